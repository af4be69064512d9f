"""Tiny HEIC and AVIF photos for the browser tests: four coloured quadrants, stored turned, and depth maps.

``python -m tests.web.heif_fixtures`` writes ``tests/web/data/quadrants.heic`` (pillow-heif's HEVC encoder) and
``tests/web/data/quadrants.avif`` (Pillow's AVIF encoder, Pillow >= 11.2), and ``ramp_depth.heic`` /
``ramp_depth.avif``: a 96 x 64 grey depth map, black on the left to white (near) on the right (:func:`ramp`). Each stores a 64 x 96 picture with
EXIF orientation 6, which both encoders turn into the HEIF ``irot`` property: shown upright it is 96 x 64 with
red top left, green top right, blue bottom left and white bottom right (:data:`UPRIGHT`). They are committed
(under 1 KB each) because the test machine need not have either encoder.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

DATA = Path(__file__).parent / "data"
SIZE = (96, 64)  # upright (width, height)
UPRIGHT = {
    "top left": (255, 0, 0),
    "top right": (0, 255, 0),
    "bottom left": (0, 0, 255),
    "bottom right": (255, 255, 255),
}


def quadrants() -> Image.Image:
    width, height = SIZE
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[: height // 2, : width // 2] = UPRIGHT["top left"]
    rgb[: height // 2, width // 2 :] = UPRIGHT["top right"]
    rgb[height // 2 :, : width // 2] = UPRIGHT["bottom left"]
    rgb[height // 2 :, width // 2 :] = UPRIGHT["bottom right"]
    return Image.fromarray(rgb)


def ramp() -> Image.Image:
    """A depth map of :data:`SIZE`, white = near: from black on the left to white on the right."""
    width, height = SIZE
    return Image.fromarray(np.tile(np.linspace(0, 255, width).round().astype(np.uint8), (height, 1)), "L")


def encode(fmt: str) -> bytes:
    """The quadrants stored turned (shown upright with orientation 6, as conftest's _INVERSE says) as HEIF or AVIF."""
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    quadrants().transpose(Image.Transpose.ROTATE_90).save(buf, fmt, quality=90, exif=exif.tobytes())
    return buf.getvalue()


def encode_depth_map(fmt: str) -> bytes:
    """:func:`ramp` as HEIF or AVIF, RGB (the encoders' usual form; the app reads its luminance)."""
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    ramp().convert("RGB").save(buf, fmt, quality=95)
    return buf.getvalue()


if __name__ == "__main__":
    for fmt, name in (("HEIF", "quadrants.heic"), ("AVIF", "quadrants.avif")):
        (DATA / name).write_bytes(encode(fmt))
        print(f"wrote {DATA / name}")
    for fmt, name in (("HEIF", "ramp_depth.heic"), ("AVIF", "ramp_depth.avif")):
        (DATA / name).write_bytes(encode_depth_map(fmt))
        print(f"wrote {DATA / name}")
