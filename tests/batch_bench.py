"""The CLI on a library: photos per second at -j 1, -j 2 and on a local 2-worker Dask cluster, and each run's
largest process's peak memory -> docs/batch.md (``python -m tests.batch_bench``).

The photos: 100 JPEGs of 2048 x 1536 (3.1 MP, quality 90), crops of the larger photos of ../shared/photos
(or, without it, made up: smooth gradients and grain). Each run is ``diorama KIND FOLDER -o NEW_FOLDER ...`` in
its own interpreter, timed from start to exit (so process start-up, model loading and the Dask cluster's start
are counted, as a person running it would see them).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "photos"
SIZE = (2048, 1536)
NOTES = "## What these figures say"


def make_photos(folder: Path, count: int) -> str:
    """`count` 3 MP JPEGs in `folder` (10 per sub-folder); what they were made from."""
    sources = (
        sorted(
            p for p in SHARED.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png") and "bsds500" not in p.parts
        )
        if SHARED.is_dir()
        else []
    )
    sources = [p for p in sources if _size(p) and min(_size(p)) >= 400]
    rng = np.random.default_rng(0)
    for i in range(count):
        target = folder / f"set{i // 10:02d}" / f"photo{i:03d}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        if sources:
            with Image.open(sources[i % len(sources)]) as image:
                image = image.convert("RGB")
                scale = max(SIZE[0] / image.width, SIZE[1] / image.height) * (1 + (i // len(sources)) * 0.15)
                image = image.resize((round(image.width * scale), round(image.height * scale)), Image.BILINEAR)
                x, y = rng.integers(0, image.width - SIZE[0] + 1), rng.integers(0, image.height - SIZE[1] + 1)
                image.crop((x, y, x + SIZE[0], y + SIZE[1])).save(target, quality=90)
        else:
            yy, xx = np.mgrid[0 : SIZE[1], 0 : SIZE[0]].astype(np.float32)
            base = np.stack([xx / SIZE[0], yy / SIZE[1], (xx + yy) / sum(SIZE)], -1) * 200 + 20
            grain = rng.normal(0, 12, base.shape)
            Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8)).save(target, quality=90)
    return (
        (
            f"crops of the {len(sources)} photos of ../shared/photos at least 400 px on each side (BSDS500 left "
            "out: too small), enlarged as needed"
        )
        if sources
        else "made up (no ../shared/photos here)"
    )


def _size(path: Path):
    try:
        with Image.open(path) as image:
            return image.size
    except OSError:
        return None


def timed_run(args: list[str]) -> tuple[float, float, float, str]:
    """Run the CLI in a fresh interpreter: seconds, CPU seconds (user + system, of the CLI and every process it
    waited for), the largest process's peak resident memory (MB) and the summary line."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); s = time.perf_counter() - t; "
        "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(s, u.ru_utime + u.ru_stime, u.ru_maxrss, sep='\\n'); "
        "print(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else '')"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "py"))
    out = subprocess.run(
        [sys.executable, "-c", code, sys.executable, "-m", "diorama.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return float(out[0]), float(out[1]), int(out[2]) / 1024, out[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--kind", default="depth")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "batch.md")
    args = parser.parse_args()
    rows = []
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        photos = Path(tmp) / "library"
        made_from = make_photos(photos, args.photos)
        for label, extra in (("-j 1", ["-j", "1"]), ("-j 2", ["-j", "2"]), ("--dask local:2", ["--dask", "local:2"])):
            seconds, cpu, peak, summary = timed_run(
                [args.kind, str(photos), "-o", str(Path(tmp) / label.replace(" ", "")), *extra]
            )
            rows.append((label, seconds, args.photos / seconds, cpu / args.photos, peak, summary))
            print(rows[-1], flush=True)
    noisy = (
        ": **the cores were shared with other work, so the rates here are noisy and low**"
        if before > 0.5 * (os.cpu_count() or 1)
        else ", an otherwise idle machine"
    )
    one = rows[0][2]
    table = "\n".join(
        f"| `{label}` | {seconds:.1f} s | {rate:.2f} | {rate / one:.2f}x | {cpu:.2f} s | {peak:.0f} MB | {summary} |"
        for label, seconds, rate, cpu, peak, summary in rows
    )
    # The projection: CPU seconds per photo are what a photo costs whatever else runs; a machine of C cores
    # running -j C does C / (CPU seconds per photo at -j 2, the parallel runs' own overhead included) photos/s.
    per_photo = rows[1][3]
    hours = {cores * machines: 1e6 * per_photo / (cores * machines) / 3600 for cores, machines in ((16, 1), (16, 20))}
    # the notes written by hand under NOTES stay; the rest is measured again
    notes = args.out.read_text().partition(NOTES)[1:] if args.out.exists() else ("", "")
    args.out.write_text(
        f"""# A photo library from the command line

Measured {time.strftime("%Y-%m-%d %H:%M")} UTC by `python -m tests.batch_bench` on this machine ({os.cpu_count()}
cores, {platform.machine()}, Python {platform.python_version()}; load average {before:.1f} before the runs{noisy}).
`diorama {args.kind} FOLDER -o NEW_FOLDER` on {args.photos} JPEGs of {SIZE[0]} x {SIZE[1]} ({SIZE[0] * SIZE[1] / 1e6:.1f}
MP, quality 90, ten per sub-folder; {made_from}), each run in a fresh interpreter and timed from start to exit:
start-up, model loading and the Dask cluster's start included. CPU: user + system seconds of every process
of the run, per photo (what a photo costs, whatever else shares the machine). Peak memory: the largest process
of the run (resident set, `RUSAGE_CHILDREN`): the CLI itself at `-j 1`, a worker process otherwise.

| run | time | photos/s | vs `-j 1` | CPU per photo | peak memory (largest process) | summary line |
|---|---|---|---|---|---|---|
{table}

## 1,000,000 photos, on paper

From the CPU seconds per photo at `-j 2` ({per_photo:.2f} s, the processes' own overhead included), assuming a
core per process and nothing else on the machine: one 16-core machine at `-j 16` does {16 / per_photo:.1f}
photos/s, 1,000,000 photos in **{hours[16]:.0f} hours** ({hours[16] / 24:.1f} days); 20 such machines as one Dask
cluster (`--dask tcp://...`, 16 one-thread workers each) in **{hours[320]:.1f} hours**. Dask's own cost per task
(about a millisecond of scheduler time) is nothing beside a photo's; what is not in this figure is the shared file
system, which then carries {320 / per_photo:.0f} photos/s each way (about 1 MB of JPEG in and, for `depth`, a
16-bit PNG of a few MB out per photo), and memory: each process peaks at the figure above, so 16 need a few GB.

{"".join(notes)}""".rstrip()
        + "\n"
    )
    print(args.out.read_text())


if __name__ == "__main__":
    main()
