"""Pseudo-labels: the teacher, ensembled over scales, on every photo of ../shared/photos.

Writes ``models/cache/labels/<photo id>.npz`` with ``rgb`` (h, w, 3) uint8 at long side 384 and
``label`` (h, w) float16 log-disparity on the same grid, plus ``models/cache/labels/index.json``
(photo id, source file, split). Existing files are kept, so an interrupted run resumes.

    python models/labels.py [--photos ../shared/photos] [--teacher ../shared/teacher/tiefenrausch]

The label is better than one teacher pass (teacher README, measured on the real eval pairs):
keep the aspect ratio and reflect-pad to a multiple of 32 instead of squashing ("ceil-pad"),
then average log-disparity over long sides 256, 320 and 384 on one common grid.
"""

import argparse
import csv
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import teacher
import torch
import torch.nn.functional as F
import torch_required  # noqa: F401  (says which extra to install when torch is missing)
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent
SCALES = (256, 320, 384)  # long sides of the ensemble
GRID = 384  # long side of the cached photo and label
HELD_OUT_PERCENT = 10


def split_of(name):
    """'val' for a fixed ~10 % of photos (by a hash of the file name, stable across machines)."""
    digest = hashlib.sha1(name.encode()).digest()
    return "val" if digest[0] * 100 // 256 < HELD_OUT_PERCENT else "train"


def fit_long_side(height, width, long_side):
    """(h, w) with the aspect ratio kept and the longer side equal to ``long_side``."""
    scale = long_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def read_photo(path, long_side=GRID):
    """Decode, apply EXIF orientation, convert to RGB, downscale (area) to ``long_side``.

    Returns
    -------
    (h, w, 3) uint8 ndarray
    """
    with Image.open(path) as im:
        im.draft("RGB", (2 * long_side, 2 * long_side))  # JPEG: decode at a reduced size, faster
        rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    return resize(rgb, fit_long_side(*rgb.shape[:2], long_side))


def resize(rgb, size):
    """(H, W, 3) uint8 -> (h, w, 3): area average when shrinking, as the teacher's inputs were
    made; bicubic when enlarging."""
    if size[0] * size[1] <= rgb.shape[0] * rgb.shape[1]:
        return teacher.area_resize(rgb, size)
    return np.asarray(Image.fromarray(rgb).resize(size[::-1], Image.BICUBIC))


def to_tensor(rgb):
    """(h, w, 3) uint8 -> (1, 3, h, w) float32 RGB/255."""
    return torch.from_numpy(rgb.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)


def pad_to_32(x):
    """Reflect-pad a (1, C, h, w) tensor bottom/right up to multiples of 32."""
    h, w = x.shape[-2:]
    pad_h, pad_w = -h % 32, -w % 32
    if pad_h or pad_w:
        # Reflection needs the pad to be shorter than the side; replicate covers tiny sides.
        mode = "reflect" if pad_h < h and pad_w < w else "replicate"
        x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
    return x


@torch.no_grad()
def ceil_pad_pass(net, rgb, long_side):
    """One teacher pass at ``long_side`` without squashing: (1, 1, h, w) log-disparity."""
    h, w = fit_long_side(*rgb.shape[:2], long_side)
    return net(pad_to_32(to_tensor(resize(rgb, (h, w)))))[..., :h, :w]


@torch.no_grad()
def ensemble(net, rgb, scales=SCALES):
    """Log-disparity averaged over ceil-pad passes at several scales, on ``rgb``'s grid.

    Parameters
    ----------
    net : FloatTeacher
    rgb : (H, W, 3) uint8 ndarray
    scales : tuple of int
        Long sides of the passes.

    Returns
    -------
    (H, W) float32 ndarray
        Log-disparity (larger = nearer).
    """
    size = rgb.shape[:2]
    total = sum(
        F.interpolate(ceil_pad_pass(net, rgb, s), size=size, mode="bilinear", align_corners=False) for s in scales
    )
    return (total / len(scales))[0, 0].numpy()


def photo_id(name):
    return hashlib.sha1(name.encode()).hexdigest()[:12]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=Path, default=ROOT.parent.parent / "shared" / "photos")
    parser.add_argument("--teacher", type=Path, default=ROOT.parent.parent / "shared" / "teacher" / "tiefenrausch")
    parser.add_argument("--out", type=Path, default=ROOT / "cache" / "labels")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    net = teacher.FloatTeacher(teacher.load_teacher(args.teacher)).eval()
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.photos / "manifest.csv", newline="") as f:
        names = [row["file"] for row in csv.DictReader(f)]
    index, start = [], time.time()
    for i, name in enumerate(names):
        pid = photo_id(name)
        target = args.out / f"{pid}.npz"
        if not target.exists():
            rgb = read_photo(args.photos / name)
            label = ensemble(net, rgb)
            np.savez(target, rgb=rgb, label=label.astype(np.float16))
        index.append({"id": pid, "file": name, "split": split_of(name)})
        if i % 20 == 0:
            # Written as it grows, so a training run can start on the first labels.
            (args.out / "index.json").write_text(json.dumps(index, indent=1))
            print(f"{i}/{len(names)} photos, {time.time() - start:.0f} s", flush=True)
    (args.out / "index.json").write_text(json.dumps(index, indent=1))
    print(f"done: {len(index)} labels, {sum(e['split'] == 'val' for e in index)} held out, {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
