"""Draw the app icons (web/icons/*.png) from web/icon.svg's design with Pillow.

    .venv/bin/python tools/make_icons.py

Writes icon-192.png and icon-512.png (rounded square, "any" purpose) and icon-maskable-512.png
(full-bleed background, the picture inside the central 80 % safe zone, for Android's masks).
The PNGs are committed; run this again only when the design changes.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "web" / "icons"
BACKGROUND, SKY_SHAPE, SUN = "#1b2a3a", "#7cc4ff", "#ffd36b"
SUPERSAMPLE = 4


def draw(size: int, *, maskable: bool) -> Image.Image:
    """The icon.svg design (a 64-unit square) at `size` px; maskable shrinks it into the safe zone."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        pen.rectangle((0, 0, big, big), fill=BACKGROUND)
        scale, offset = big * 0.8 / 64, big * 0.1
    else:
        scale, offset = big / 64, 0.0
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=12 * scale, fill=BACKGROUND)

    def xy(x: float, y: float) -> tuple[float, float]:
        return offset + x * scale, offset + y * scale

    pen.polygon([xy(8, 50), xy(26, 24), xy(36, 38), xy(44, 28), xy(56, 50)], fill=SKY_SHAPE)
    cx, cy = xy(46, 16)
    r = 6 * scale
    pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill=SUN)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
    ):
        draw(size, maskable=maskable).save(OUT / name, optimize=True)
        print(OUT / name)


if __name__ == "__main__":
    main()
