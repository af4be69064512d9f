"""Command line: ``diorama depth PHOTO... [-o OUTDIR] [--format png|npy] [--display]``.

Writes ``<stem>_depth.png`` (16-bit grey, white = near) or ``<stem>_depth.npy`` ((H, W) float32
in [0, 1], 1 = near) per photo, at the photo's working size, using the same decoding and
model pre/post-processing as the browser and the packaged ONNX model: the model's raw depth, or
with ``--display`` the display depth the app shows at its defaults (``postprocess_depth``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from .depthmap import depth_to_uint16, postprocess_depth
from .errors import DioramaError
from .model_io import estimate_depth
from .photo import load_photo


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="diorama", description="3D photos from one picture.")
    commands = parser.add_subparsers(dest="command", required=True)
    depth = commands.add_parser("depth", help="estimate a depth map for each photo",
                                description="Estimate a depth map (white = near) for each photo.")
    depth.add_argument("photos", nargs="+", type=Path, metavar="PHOTO")
    depth.add_argument("-o", "--outdir", type=Path, default=Path("."),
                       help="folder for the depth maps (default: the current folder)")
    depth.add_argument("--format", choices=("png", "npy"), default="png",
                       help="16-bit PNG (default) or float32 NumPy array in [0, 1]")
    depth.add_argument("--model", type=Path, default=None,
                       help="another ONNX model with the same input/output contract")
    depth.add_argument("--display", action="store_true",
                       help="write the display depth the app shows at its defaults (normalised, soft "
                            "contrast, smoothed) instead of the model's raw depth")
    return parser


def write_depth(depth: np.ndarray, path: Path) -> None:
    """Save (H, W) float32 depth in [0, 1] as a 16-bit PNG or a .npy, by the path's suffix."""
    if path.suffix == ".npy":
        np.save(path, depth.astype(np.float32))
    else:
        Image.fromarray(depth_to_uint16(depth)).save(path)


def depth_command(photos: list[Path], outdir: Path, fmt: str, model: Path | None, display: bool = False) -> int:
    """Process each photo; report failures and carry on. Returns the exit status."""
    outdir.mkdir(parents=True, exist_ok=True)
    failed = 0
    for photo in photos:
        try:
            rgb = load_photo(photo.read_bytes())
        except (OSError, DioramaError) as err:
            print(f"{photo}: {err}", file=sys.stderr)
            failed += 1
            continue
        target = outdir / f"{photo.stem}_depth.{fmt}"
        depth = estimate_depth(rgb, model)
        write_depth(postprocess_depth(depth) if display else depth, target)
        print(target)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return depth_command(args.photos, args.outdir, args.format, args.model, args.display)


if __name__ == "__main__":
    sys.exit(main())
