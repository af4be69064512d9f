"""Measure the student against real ground truth, the teacher, the prior, and its speed.

    python models/evaluate.py [--model py/diorama/data/depth.onnx] [--json out.json]

1. ../shared/eval, the 12 real pairs (the 2 flagged synthetic are left out): AbsRel and delta1
   per image and mean for the student, the teacher (one pass as its own cli.py runs it: long
   side 384, sides floored to /32, so squashed), the teacher ensemble our labels come from, and
   the prior "lower rows are nearer". Each prediction is resized to the ground truth, its
   disparity fitted to the ground truth's inverse depth by least-squares scale and shift on the
   valid pixels, inverted to depth and compared there.
2. Agreement with the single-pass teacher on the held-out photos (labels.py's split), same
   alignment with the teacher in place of the ground truth; against the pass as cli.py runs it
   (squashed to /32) and as one ceil-pad pass at 384 (aspect kept), for the student and, as a
   yardstick, for the labels it learnt from (the teacher ensemble).
3. Median latency of CPython onnxruntime at 384x288, 1 and 2 threads.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import teacher
import torch
import torch_required  # noqa: F401  (says which extra to install when torch is missing)
from labels import GRID, ceil_pad_pass, ensemble, fit_long_side, read_photo, resize, split_of
from PIL import Image

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "py"))

from diorama.model_io import default_model_path, prepare_model_input  # noqa: E402

SHARED = ROOT.parent.parent / "shared"


def resize_float(d, shape):
    """(h, w) float -> (H, W) float32, bilinear (Pillow 'F', filtering when shrinking)."""
    if d.shape == tuple(shape):
        return d.astype(np.float32)
    return np.asarray(Image.fromarray(d.astype(np.float32), "F").resize(shape[::-1], Image.BILINEAR))


def scores(disparity, depth_gt):
    """AbsRel and delta1 of a disparity map against metric depth (0 = invalid).

    Scale and shift of the disparity are fitted to 1 / depth on the valid pixels; the aligned
    disparity is kept at or above 1 / (farthest ground truth) so near-zero or negative values (a
    shift that overshoots, e.g. towards the sky) can't blow up the depth.
    """
    valid = np.isfinite(depth_gt) & (depth_gt > 0)
    d = resize_float(disparity, depth_gt.shape)[valid].astype(np.float64)
    gt = depth_gt[valid].astype(np.float64)
    a = np.stack([d, np.ones_like(d)], 1)
    scale, shift = np.linalg.lstsq(a, 1 / gt, rcond=None)[0]
    aligned = np.maximum(scale * d + shift, 1 / gt.max())
    pred = 1 / aligned
    absrel = float(np.mean(np.abs(pred - gt) / gt))
    delta1 = float(np.mean(np.maximum(pred / gt, gt / pred) < 1.25))
    return absrel, delta1


class Student:
    """The ONNX student with model_io's preprocessing; returns raw disparity on the photo grid."""

    def __init__(self, path, threads=2):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, rgb):
        x, (h, w) = prepare_model_input(rgb)
        (y,) = self.session.run(["disparity"], {"image": x})
        return y[0, 0, :h, :w]


def teacher_single(net):
    """The teacher as its cli.py runs it (squashing to /32), disparity on its own grid."""

    def run(rgb):
        with torch.no_grad():
            return np.exp(net(teacher.reference_input(rgb))[0, 0].numpy())

    return run


def teacher_ceil_pad(net):
    """One teacher pass at long side 384 with the aspect kept (reflect-padded to /32, cropped back)."""

    def run(rgb):
        return np.exp(ceil_pad_pass(net, rgb, GRID)[0, 0].numpy())

    return run


def teacher_ensemble(net):
    """The pseudo-label recipe (labels.py), on the photo at the labels' long side."""

    def run(rgb):
        return np.exp(ensemble(net, resize(rgb, fit_long_side(*rgb.shape[:2], GRID))))

    return run


def lower_rows_nearer(rgb):
    h, w = rgb.shape[:2]
    return np.repeat(((np.arange(h) + 0.5) / h)[:, None], w, 1).astype(np.float32)


def eval_real(methods, folder):
    """{method: [(name, absrel, delta1)]} over the real pairs of ../shared/eval."""
    manifest = json.loads((folder / "manifest.json").read_text())
    results = {m: [] for m in methods}
    for entry in manifest:
        if entry["synthetic"]:
            continue
        rgb = np.asarray(Image.open(folder / entry["rgb"]).convert("RGB"))
        gt = np.load(folder / entry["gt_npy"]).astype(np.float32)
        for method, predict in methods.items():
            results[method].append((entry["name"], *scores(predict(rgb), gt)))
    return results


def agreement(student, single, photos):
    """Mean AbsRel / delta1 of `student` (any method) against `single` (a teacher pass) on held-out photos."""
    import csv

    with open(photos / "manifest.csv", newline="") as f:
        names = [row["file"] for row in csv.DictReader(f) if split_of(row["file"]) == "val"]
    absrel, delta1 = [], []
    for name in names:
        rgb = read_photo(photos / name)
        target = resize_float(single(rgb), rgb.shape[:2])
        a, d = scores(student(rgb), 1 / target)
        absrel.append(a)
        delta1.append(d)
    return float(np.mean(absrel)), float(np.mean(delta1)), len(names)


def latency(path, threads, runs=20):
    """Median seconds of one 384x288 run in CPython onnxruntime."""
    session = Student(path, threads).session
    x = np.random.default_rng(0).random((1, 3, 288, 384), dtype=np.float32)
    session.run(None, {"image": x})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, {"image": x})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=default_model_path())
    parser.add_argument("--eval", type=Path, default=SHARED / "eval")
    parser.add_argument("--photos", type=Path, default=SHARED / "photos")
    parser.add_argument("--teacher", type=Path, default=SHARED / "teacher" / "tiefenrausch")
    parser.add_argument("--json", type=Path, default=None, help="also write all numbers here")
    args = parser.parse_args()
    torch.set_num_threads(2)

    net = teacher.FloatTeacher(teacher.load_teacher(args.teacher)).eval()
    student = Student(args.model)
    methods = {
        "student": student,
        "teacher": teacher_single(net),
        "teacher ensemble (labels)": teacher_ensemble(net),
        "lower rows nearer": lower_rows_nearer,
    }
    real = eval_real(methods, args.eval)

    names = [r[0] for r in next(iter(real.values()))]
    print("| image | " + " | ".join(f"{m} AbsRel / δ1" for m in methods) + " |")
    print("|---" * (len(methods) + 1) + "|")
    for i, name in enumerate(names):
        print(f"| {name} | " + " | ".join(f"{real[m][i][1]:.3f} / {real[m][i][2]:.3f}" for m in methods) + " |")
    means = {m: (float(np.mean([r[1] for r in real[m]])), float(np.mean([r[2] for r in real[m]]))) for m in methods}
    print("| **mean** | " + " | ".join(f"**{a:.3f} / {d:.3f}**" for a, d in means.values()) + " |")

    agree = {}
    for reference_name, reference in (
        ("squashed (cli.py)", teacher_single(net)),
        ("ceil-pad 384", teacher_ceil_pad(net)),
    ):
        for method_name, method in (
            ("student", student),
            ("teacher ensemble (labels)", methods["teacher ensemble (labels)"]),
        ):
            agree[f"{method_name} vs {reference_name}"] = result = agreement(method, reference, args.photos)
            print(
                f"agreement of the {method_name} with the single-pass teacher, {reference_name}, on {result[2]} "
                f"held-out photos: AbsRel {result[0]:.3f}, δ1 {result[1]:.3f}"
            )
    speed = {t: latency(args.model, t) for t in (1, 2)}
    print(
        f"CPython onnxruntime, 384x288: {speed[1] * 1000:.0f} ms (1 thread), {speed[2] * 1000:.0f} ms (2 threads); "
        f"model file {args.model.stat().st_size / 1e6:.2f} MB"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"real": real, "means": means, "agreement": agree, "latency_s": speed}, indent=1)
        )


if __name__ == "__main__":
    main()
