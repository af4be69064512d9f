"""Embedded depth of the real phone files: `python -m tests.phone_depth` writes docs/phone-depth.md.

Per file of ../shared/phone-depth/embedded: the kind found, the depth's size and value range, the photo's
EXIF orientation, the correlation with an independent decode of the same payload (the test's byte searches
and Pillow), and the time to extract it (best of 5, CPython), next to the time to load the photo
(diorama.photo.load_photo) for scale. Skips with a message without ../shared.

In a git worktree whose .venv is the main checkout's (an editable install of its py/), run it as
`PYTHONPATH=py python -m tests.phone_depth` so that the worktree's diorama is the one measured.
"""

from __future__ import annotations

import sys
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


def row(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix.lower() == ".heic":
        return f"| {path.name} | HEIC: needs the HEIC decoder (not part of this reader) | | | | | | |"
    depth, note = find_embedded_depth(data)
    extract = best_of(lambda: find_embedded_depth(data))
    load = best_of(lambda: load_photo(data), 3)
    orientation = exif_orientation(open_image(data))
    if depth is None:
        views = stereo_views(data)
        kind = f"stereo pair, views {views[0].size[0]} x {views[0].size[1]}" if views else "no depth"
        return (f"| {path.name} | {kind}{' (' + note + ')' if note else ''} | | {orientation} | | | "
                f"{extract * 1000:.1f} | {load * 1000:.0f} |")
    expected = independent_depth(data, depth.format)
    valid = np.isfinite(expected)
    r = np.corrcoef(expected[valid], depth.depth[valid])[0, 1]
    h, w = depth.depth.shape
    return (f"| {path.name} | {depth.format} ({depth.label}) | {w} x {h} | {orientation} | "
            f"{depth.depth.min():.3f} .. {depth.depth.max():.3f} | {r:.4f} | {extract * 1000:.1f} | {load * 1000:.0f} |")


def main() -> int:
    if not REAL.is_dir():
        print(f"skipped: the real files are not here ({REAL})")
        return 0
    rows = [row(path) for path in sorted(REAL.iterdir()) if path.suffix.lower() in (".jpg", ".jpeg", ".mpo", ".heic")]
    OUT.write_text("\n".join([
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
        "HEIC files (iPhone portrait HEIC with auxiliary depth, Apple spatial photos, Samsung HEIC) need the",
        "HEIC decoder, which is not part of this reader: they are listed, not read.",
        "",
    ]))
    print(OUT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
