"""Command line: ``diorama KIND PHOTO_OR_FOLDER... [-o OUTDIR] [-j N | --dask ADDRESS] [--force]``.

Kinds (one subcommand each, the same Python pipeline as the page):

- ``depth``: ``<name>_depth.png`` (16-bit grey, white = near) or ``<name>_depth.npy`` ((H, W) float32 in [0, 1],
  1 = near) at the photo's working size: the depth map paired with it (flipped where it was drawn black = near,
  as the page decides: :func:`diorama.depthmap.black_is_near_agreement`), else the depth it carries (iPhone
  portrait, Lens Blur, ...: :mod:`diorama.embedded`) unless ``--model-only``, else the model's raw depth; with
  ``--display`` the display depth the app shows at its defaults (``postprocess_depth``);
- ``extract``: only the depth photos carry, as 16-bit PNGs at the size they store it (a photo that carries
  none fails with one line);
- ``mesh``: ``<name>_3d.glb``, the app's layered scene at its default settings as a textured binary glTF
  (:func:`diorama.mesh.layered_glb`), with the depth ``depth`` would use;
- ``jpeg``: ``<name>_3d.jpg``, the photo carrying that depth as GDepth (the page's "3D JPEG"; a JPEG keeps its
  own bytes and EXIF);
- ``html``: ``<name>.3d.html``, the page's single-file 3D photo (:func:`diorama.photo3d.photo_3d_html`) at the
  app's default settings.

Folders are walked and outputs mirror them under ``-o`` (:mod:`diorama.batch`); each photo is one call of
:func:`diorama.batch.run_job`, in this process (``-j 1``), in N processes (``-j N``, default: one per core) or
as tasks on a Dask cluster (``--dask``). An existing output is kept unless ``--force``. On a terminal a progress
bar shows done/total, rate and time left, failures printed above it; otherwise one line per photo (the output
and where its depth came from, on stdout; a failure as ``path: message`` on stderr). At the end one summary line
(written, kept, failed). Exit status: 0; 1 when a photo failed or none was found; 2 when ``-o``, ``--model`` or
``--dask`` can't be used (one line, before any photo is read); 130 after Ctrl-C, which stops at once, leaves no
half-written file (outputs are written under a temporary name, then renamed) and says how many were done: the
same command again does the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from .batch import Job, Outcome, find_photos, plan_jobs, readable_suffixes, run_in_processes, run_on_dask, run_serially
from .errors import DioramaError

RENDERED_KINDS = (
    "Videos, GIF loops, stills, stereo pairs and anaglyphs need the renderer's frames: make them in "
    "the page's Export section."
)


def _cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diorama",
        description="3D photos from one picture, for single photos or whole folders.",
        epilog="Every PHOTO may be a folder: walked recursively, outputs mirrored under -o, a depth map named "
        "like photo_depth.png used as its photo's depth. " + RENDERED_KINDS,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="KIND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "photos",
        nargs="+",
        type=Path,
        metavar="PHOTO",
        help="photos and folders of photos (walked recursively; hidden entries skipped)",
    )
    common.add_argument(
        "-o",
        "--outdir",
        type=Path,
        default=Path("."),
        help="folder for the outputs, mirroring the folders given (default: the current folder)",
    )
    common.add_argument("--force", action="store_true", help="overwrite outputs that already exist (else kept)")
    run = common.add_mutually_exclusive_group()
    run.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        default=_cores(),
        metavar="N",
        help=f"photos worked on at once, each in its own process (default: the cores, {_cores()})",
    )
    run.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run each photo as a task on a Dask cluster: tcp://HOST:8786, or local:N to start one "
        "of N worker processes here (pip install 'diorama[cluster]'); the workers read and "
        "write the paths given, so they must share this file system",
    )
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument(
        "--model", type=Path, default=None, help="another ONNX model with the same input/output contract"
    )
    model.add_argument(
        "--model-only",
        action="store_true",
        help="estimate depth with the model even for photos that carry their own or come with a depth map",
    )

    depth = commands.add_parser(
        "depth",
        parents=[common, model],
        help="a depth map for each photo",
        description="A depth map (white = near) for each photo.",
    )
    depth.add_argument(
        "--format", choices=("png", "npy"), default="png", help="16-bit PNG (default) or float32 NumPy array in [0, 1]"
    )
    depth.add_argument(
        "--display",
        action="store_true",
        help="write the display depth the app shows at its defaults (normalised, soft "
        "contrast, smoothed) instead of the raw depth",
    )
    commands.add_parser(
        "extract",
        parents=[common],
        help="the depth map a photo carries (iPhone portrait, ...)",
        description="Write the depth map each photo carries, 16-bit PNG, white = near.",
    )
    commands.add_parser(
        "mesh",
        parents=[common, model],
        help="a 3D mesh (.glb) of each photo's layered scene",
        description="Write each photo as a textured 3D mesh of its two layers (binary glTF: "
        "Blender, three.js, <model-viewer>), at the app's default settings.",
    )
    commands.add_parser(
        "jpeg",
        parents=[common, model],
        help="a 3D JPEG: the photo carrying its depth (GDepth)",
        description="Write each photo as one JPEG carrying its depth (GDepth, as Google's Lens "
        "Blur wrote it), which diorama and other 3D photo viewers open again.",
    )
    commands.add_parser(
        "html",
        parents=[common, model],
        help="a 3D photo in one file (.3d.html)",
        description="Write each photo as a 3D photo in one HTML file (the page's export: opens in "
        "any browser, offline, and moves with the mouse, a finger or the phone's "
        "tilt), at the app's default settings.",
    )
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a number of processes (1 or more)")
    return value


def _check_outdir(outdir: Path) -> str | None:
    """Why depth maps can't be written into `outdir`, or None when they can (it is created if missing)."""
    if outdir.exists() and not outdir.is_dir():
        return f"-o {outdir}: is a file, not a folder"
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return f"-o {outdir}: could not create the folder ({err.strerror or err})"
    if not os.access(outdir, os.W_OK | os.X_OK):
        return f"-o {outdir}: not allowed to write there"
    return None


def _check_model(model: Path | None) -> str | None:
    """Why `model` can't be used, or None when it can (or is None: the packaged model)."""
    if model is None:
        return None
    if not model.is_file():
        return f"--model {model}: no such file"
    from .model_io import _session, require_onnxruntime

    try:
        onnxruntime = require_onnxruntime()
    except DioramaError as err:
        return str(err)
    try:
        session = _session(str(model), onnxruntime)
    except Exception as err:  # onnxruntime raises its own types for files that are not models  # noqa: BLE001
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return f"--model {model}: not an ONNX model onnxruntime can load ({first[:200]})"
    names = ([i.name for i in session.get_inputs()], [o.name for o in session.get_outputs()])
    if names[0] != ["image"] or "disparity" not in names[1]:
        return (
            f"--model {model}: expected an input 'image' and an output 'disparity', got inputs "
            f"{names[0]} and outputs {names[1]}"
        )
    return None


def _connect(address: str, photos: int):
    """A Dask client for ``--dask`` (and the local cluster it started, or None), and the onnxruntime threads
    each task takes; or a DioramaError saying in one line why not."""
    try:
        from distributed import Client, LocalCluster
    except ModuleNotFoundError as err:
        raise DioramaError("--dask needs Dask: pip install 'diorama[cluster]'") from err
    if address.startswith("local:"):
        try:
            workers = int(address[len("local:") :])
        except ValueError:
            workers = 0
        if workers < 1:
            raise DioramaError(f"--dask {address}: say how many worker processes, as in local:4")
        cluster = LocalCluster(
            n_workers=min(workers, photos),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        return Client(cluster), cluster, max(1, _cores() // min(workers, photos))
    try:
        client = Client(address, timeout=10)
    except (OSError, TimeoutError, ValueError) as err:
        raise DioramaError(f"--dask {address}: could not reach a Dask scheduler there ({err})") from err
    # each task's share of its worker machine's cores
    cores, slots = client.run(os.cpu_count), client.nthreads()
    return client, None, max(1, min((cores[w] or 1) // max(1, slots.get(w, 1)) for w in cores) if cores else 1)


class _Report:
    """The run as people see it: a progress bar on a terminal, else one line per photo; the summary line."""

    def __init__(self, total: int, bar: bool) -> None:
        self.total, self.counts = total, Counter()
        self.bar = None
        if bar:
            from tqdm import tqdm

            try:
                width = os.get_terminal_size(sys.stderr.fileno()).columns
            except OSError:
                width = 0
            # the width of the bar's terminal (80 where the terminal says 0 columns)
            self.bar = tqdm(total=total, unit="photo", file=sys.stderr, ncols=width or 80, smoothing=0.1)

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.state] += 1
        if outcome.state == "failed":
            self._say(f"{outcome.photo}: {outcome.words}", sys.stderr)
        elif self.bar is None:
            kept = "kept: " if outcome.state == "kept" else ""
            self._say(f"{outcome.target} ({kept}{outcome.words})", sys.stdout)
        if self.bar is not None:
            self.bar.update()

    def _say(self, line: str, stream) -> None:
        if self.bar is not None:
            self.bar.write(line, file=stream)
        else:
            print(line, file=stream, flush=True)

    def finish(self, stopped: bool) -> int:
        """Print the summary line; the exit status."""
        if self.bar is not None:
            self.bar.close()
        counts = self.counts
        words = f"{counts['written']} written, {counts['kept']} kept (already there), {counts['failed']} failed"
        if stopped:
            done = sum(counts.values())
            print(
                f"diorama: stopped after {done} of {self.total} photos: {words}; the same command again does the rest",
                file=sys.stderr,
            )
            return 130
        print(f"diorama: {words}", file=sys.stderr)
        return 1 if counts["failed"] else 0


def _refused(problem: str | None) -> bool:
    """Say `problem` (a command's unusable arguments) on stderr; whether there was one."""
    if problem:
        print(f"diorama: {problem}", file=sys.stderr)
    return bool(problem)


def run_command(
    kind: str,
    photos: list[Path],
    outdir: Path,
    *,
    fmt: str | None = None,
    display: bool = False,
    model: Path | None = None,
    model_only: bool = False,
    force: bool = False,
    jobs: int = 1,
    dask: str | None = None,
) -> int:
    """Make `kind` (:data:`diorama.batch.KINDS`) of every photo found in `photos`; the exit status."""
    if _refused(_check_outdir(outdir) or _check_model(model)):
        return 2
    found = find_photos(photos, skip=outdir, say=lambda line: print(f"diorama: {line}", file=sys.stderr))
    if not found:
        print(
            f"diorama: no photos found in {', '.join(map(str, photos))} (files ending in "
            f"{' '.join(readable_suffixes())})",
            file=sys.stderr,
        )
        return 1
    template = Job(
        kind, "", "", display=display, model=str(model) if model else None, model_only=model_only, force=force
    )
    client = cluster = None
    if dask:
        try:
            client, cluster, threads = _connect(dask, len(found))
        except DioramaError as err:
            _refused(str(err))
            return 2
    else:
        jobs = min(jobs, len(found))
        threads = max(1, _cores() // jobs)
    work = plan_jobs(found, outdir, replace(template, threads=threads), fmt)
    outcomes = run_on_dask(work, client) if client else run_in_processes(work, jobs) if jobs > 1 else run_serially(work)
    report = _Report(len(work), bar=sys.stderr.isatty())
    stopped = False
    try:
        with contextlib.closing(outcomes):
            for outcome in outcomes:
                report.add(outcome)
    except KeyboardInterrupt:  # every runner has stopped its work and removed its temporary files
        stopped = True
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return report.finish(stopped)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_command(
        args.command,
        args.photos,
        args.outdir,
        fmt=getattr(args, "format", None),
        display=getattr(args, "display", False),
        model=getattr(args, "model", None),
        model_only=getattr(args, "model_only", False),
        force=args.force,
        jobs=args.jobs,
        dask=args.dask,
    )


if __name__ == "__main__":
    sys.exit(main())
