"""Write the app's bundled sample: ``web/sample/coffee.jpg`` and its depth map ``coffee_depth.png``.

    python models/make_sample.py [--model student|teacher]

The photo is scikit-image's ``coffee.png`` (CC0, from ../shared/photos/skimage) re-encoded as
JPEG quality 90. The depth map is an 8-bit grey PNG of the same size, white = near, made from
the decoded JPEG (what the app sees) by the packaged student model (default) or, before one
exists, by the teacher's multi-scale ensemble; both are normalised the way the app normalises
model output (1st..99th percentile).
"""

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "py"))

from diorama.depthmap import depth_to_uint8, normalize_depth  # noqa: E402
from diorama.model_io import estimate_depth  # noqa: E402
from diorama.photo import load_photo  # noqa: E402


def teacher_depth(rgb, teacher_dir):
    """(H, W) float32 in [0, 1], 1 = near, from the teacher's ceil-pad multi-scale ensemble."""
    import teacher
    from labels import ensemble

    net = teacher.FloatTeacher(teacher.load_teacher(teacher_dir)).eval()
    return normalize_depth(np.exp(ensemble(net, rgb)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=("student", "teacher"), default="student")
    parser.add_argument(
        "--photo", type=Path, default=ROOT.parent.parent / "shared" / "photos" / "skimage" / "coffee.png"
    )
    parser.add_argument("--teacher", type=Path, default=ROOT.parent.parent / "shared" / "teacher" / "tiefenrausch")
    parser.add_argument("--out", type=Path, default=ROOT.parent / "web" / "sample")
    args = parser.parse_args()

    buf = io.BytesIO()
    Image.open(args.photo).convert("RGB").save(buf, "JPEG", quality=90)
    rgb = load_photo(buf.getvalue())
    depth = estimate_depth(rgb) if args.model == "student" else teacher_depth(rgb, args.teacher)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "coffee.jpg").write_bytes(buf.getvalue())
    Image.fromarray(depth_to_uint8(depth)).save(args.out / "coffee_depth.png")
    print(
        f"wrote {args.out / 'coffee.jpg'} and coffee_depth.png, {rgb.shape[1]}x{rgb.shape[0]}, "
        f"depth by the {args.model}"
    )


if __name__ == "__main__":
    main()
