"""Embedded depth of the real phone files: `python -m tests.phone_depth` writes docs/phone-depth.md.

Per file of ../shared/phone-depth/embedded: the kind found, the depth's size and value range, the photo's
EXIF orientation, the correlation with an independent decode of the same payload (the test's byte searches
and Pillow), and the time to extract it (best of 5, CPython), next to the time to load the photo
(diorama.photo.load_photo) for scale. Skips with a message without ../shared.

HEIC files are read with pillow-heif, as the CLI reads them (`pip install .[heif]`); without it they are listed,
not read. Their depth's independent decode is libheif's own `heif-convert --with-aux` (Debian's
libheif-examples), where it is installed.

In a git worktree whose .venv is the main checkout's (an editable install of its py/), run it as
`PYTHONPATH=py python -m tests.phone_depth` so that the worktree's diorama is the one measured.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from diorama.embedded import find_embedded_depth, stereo_views
from diorama.photo import exif_orientation, load_photo, open_image

from tests.py.test_embedded import REAL, independent_depth

OUT = Path(__file__).resolve().parents[1] / "docs" / "phone-depth.md"


def best_of(run, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def heif_convert_depth(path: Path) -> np.ndarray | None:
    """The depth image of a HEIC as libheif's heif-convert writes it (its raw samples, 0..1), or None."""
    if shutil.which("heif-convert") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            ["heif-convert", "--quiet", "--with-aux", "--no-colons", str(path), f"{folder}/photo.png"],
            check=True,
            capture_output=True,
        )
        written = Path(folder, "photo-depth.png")
        if not written.exists():
            return None
        from PIL import Image

        with Image.open(written) as image:
            samples = np.asarray(
                image.convert("I") if image.mode.startswith("I") else image.convert("L"), dtype=np.float32
            )
        return samples / (65535.0 if samples.max() > 255 else 255.0)


def independent(path: Path, data: bytes, depth) -> np.ndarray | None:
    if path.suffix.lower() != ".heic":
        return independent_depth(data, depth.format)
    samples = heif_convert_depth(path)
    if samples is None or samples.shape != depth.depth.shape:
        return None
    return samples


def row(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix.lower() == ".heic" and not heif_readable():
        return f"| {path.name} | HEIC: needs pillow-heif (`pip install .[heif]`), not installed here | | | | | | |"
    depth, note = find_embedded_depth(data)
    extract = best_of(lambda: find_embedded_depth(data))
    load = best_of(lambda: load_photo(data), 3)
    orientation = exif_orientation(open_image(data))
    if depth is None:
        views = stereo_views(data)
        kind = f"stereo pair, views {views[0].size[0]} x {views[0].size[1]}" if views else "no depth"
        return (
            f"| {path.name} | {kind}{' (' + note + ')' if note else ''} | | {orientation} | | | "
            f"{extract * 1000:.1f} | {load * 1000:.0f} |"
        )
    expected = independent(path, data, depth)
    h, w = depth.depth.shape
    if expected is None:
        return (
            f"| {path.name} | {depth.format} ({depth.label}) | {w} x {h} | {orientation} | "
            f"{depth.depth.min():.3f} .. {depth.depth.max():.3f} | | {extract * 1000:.1f} | {load * 1000:.0f} |"
        )
    valid = np.isfinite(expected)
    r = np.corrcoef(expected[valid], depth.depth[valid])[0, 1]
    return (
        f"| {path.name} | {depth.format} ({depth.label}) | {w} x {h} | {orientation} | "
        f"{depth.depth.min():.3f} .. {depth.depth.max():.3f} | {r:.4f} | {extract * 1000:.1f} | {load * 1000:.0f} |"
    )


def heif_readable() -> bool:
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> int:
    if not REAL.is_dir():
        print(f"skipped: the real files are not here ({REAL})")
        return 0
    rows = [row(path) for path in sorted(REAL.iterdir()) if path.suffix.lower() in (".jpg", ".jpeg", ".mpo", ".heic")]
    OUT.write_text(
        "\n".join(
            [
                "# Depth embedded in real phone photos",
                "",
                "Written by `python -m tests.phone_depth` (CPython, best of 5; the browser's Pyodide is about 2x slower)",
                f"from `../shared/phone-depth/embedded` ({len(rows)} files). Depth is (h, w) float32 in [0, 1], 1 = near,",
                "upright (turned by the photo's EXIF orientation). *r*: Pearson correlation with an independent decode",
                "of the same payload (byte searches + Pillow, tests/py/test_embedded.py). *extract*: `find_embedded_depth`",
                "on the whole file; *load*: `load_photo` (decode to 2048 px) of the same file, for scale.",
                "",
                "| file | found | depth w x h | EXIF orientation | range | r | extract ms | load ms |",
                "|---|---|---|---|---|---|---|---|",
                *rows,
                "",
                "HEIC files are read with pillow-heif here, as the CLI reads them; in the browser libheif-js decodes them",
                "and hands the depth image's samples (or the second view) to the same Python. Their *r* is against",
                "libheif's `heif-convert --with-aux` depth PNG (the raw samples): the reader turns disparity samples into",
                "1 = near through the file's representation (d_min/d_max, or z_near/z_far for depth). `pug.heic` is an",
                "iPhone portrait with its disparity image; `aux_YCbCr.heic` (Samsung) carries only an HDR gain map, no depth;",
                "`vision-pro.HEIC` is an Apple spatial photo: its two views are read (the 'ster' entity group) and matched",
                "(docs/stereo-matching.md), and refused there as too inconsistent, so it gets model depth.",
                "",
            ]
        )
    )
    print(OUT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
