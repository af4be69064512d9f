"""Many photos from the command line: which files, where their outputs go, and the work on each (CPython only).

:func:`find_photos` turns the CLI's PHOTO arguments into photos: files as given, folders walked recursively
(hidden entries skipped, symlinked folders followed once), with a depth map named like ``photo_depth.png``
beside its photo paired with it (as the page pairs dropped files) instead of being taken as a photo.
:func:`plan_jobs` gives each photo its output under ``-o``, mirroring the folder it was found in.

:func:`run_job` is the work on one photo, whatever runs it: the calling process (``-j 1``), a process of
:func:`run_in_processes` (``-j N``) or a task on a Dask cluster (:func:`run_on_dask`). It never raises for a
bad photo: its :class:`Outcome` says ``written``, ``kept`` (the output exists and ``--force`` was not given)
or ``failed`` with a one-line reason. Outputs are written under a temporary name and renamed, so a stopped
run never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing import connection, get_context
from pathlib import Path

import numpy as np

from .depthmap import black_is_near_agreement, depth_png, load_depth_map, postprocess_depth
from .embedded import find_embedded_depth, fit_to_photo, photo_with_gdepth, write_gdepth
from .errors import DioramaError
from .layers import Layers, renderer_layers
from .mesh import layered_glb
from .model_io import estimate_depth
from .options import defaults
from .photo import load_photo, pillow_reads, sniff_format
from .photo3d import photo_3d_html

__all__ = [
    "KINDS",
    "Job",
    "Outcome",
    "find_photos",
    "output_names",
    "plan_jobs",
    "run_in_processes",
    "run_job",
    "run_on_dask",
    "write_atomically",
]

# The files a folder is searched for: the page's (its file picker takes image/*, .heic, .heif and .avif).
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".jfif", ".mpo", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")
OPTIONAL_SUFFIXES = {"heic": (".heic", ".heif"), "avif": (".avif",)}
UNREAD_HINTS = {
    "heic": "pip install 'diorama[heif]' (pillow-heif) to read them",
    "avif": "a Pillow built with AVIF (11.2 or later) reads them",
}
DEPTH_NAME = re.compile(r"^(?P<photo>.+)[_-]depth\.[a-z0-9]+$", re.IGNORECASE)  # as web/ui/files.js pairs them


@dataclass(frozen=True)
class Photo:
    """A photo found by :func:`find_photos`: its file, the depth map paired with it, and the folder (relative
    to ``-o``) its outputs go to."""

    path: Path
    depth_map: Path | None = None
    subfolder: Path = Path()


@dataclass(frozen=True)
class Job:
    """One photo's work for :func:`run_job` (plain values: it travels to worker processes and Dask workers).

    kind: ``depth``, ``extract``, ``mesh``, ``jpeg`` or ``html`` (:data:`KINDS`); photo, depth_map (paired, or
    None) and target are paths; threads: onnxruntime's threads for the model in the process that runs it.
    """

    kind: str
    photo: str
    target: str
    depth_map: str | None = None
    display: bool = False
    model: str | None = None
    model_only: bool = False
    force: bool = False
    threads: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What :func:`run_job` did: state ``written``, ``kept`` or ``failed``; words: where the depth came from
    (written), or why it failed, in one line."""

    photo: str
    target: str
    state: str
    words: str


# --------------------------------------------------------------------------- finding photos


def readable_suffixes() -> tuple[str, ...]:
    """The file name endings a folder is searched for: HEIC/HEIF and AVIF only where this Pillow reads them."""
    return PHOTO_SUFFIXES + tuple(
        s for kind, suffixes in OPTIONAL_SUFFIXES.items() if pillow_reads(kind) for s in suffixes
    )


def find_photos(
    arguments: Iterable[Path], *, skip: Path | None = None, say: Callable[[str], None] = print
) -> list[Photo]:
    """The photos the CLI's PHOTO arguments name, in order, each with its paired depth map.

    Parameters
    ----------
    arguments : iterable of Path
        Files (taken as they are, whatever their name, to be refused one by one if unreadable) and folders
        (walked recursively in name order; hidden files and folders skipped; files with the endings of
        :func:`readable_suffixes` taken).
    skip : Path, optional
        A folder not to walk into (the output folder, when it lies inside a folder given).
    say : callable
        Gets one line for each folder skipped (unreadable, or a link back into a folder already walked).

    Returns
    -------
    list of Photo
        A file named like ``NAME_depth.EXT`` or ``NAME-depth.EXT`` next to a photo ``NAME.*`` (both found
        here) is that photo's depth map, not a photo; a photo found in a folder keeps its place under it
        (``subfolder``), a file given alone has none.
    """
    found: list[tuple[Path, Path]] = []  # (file, subfolder)
    suffixes = readable_suffixes()
    unread: Counter = Counter()  # files of the formats this Pillow can't read, by kind
    unreadable = {
        ending: kind for kind, endings in OPTIONAL_SUFFIXES.items() for ending in endings if ending not in suffixes
    }
    skip_id = _folder_id(skip) if skip is not None else None
    for argument in arguments:
        if not argument.is_dir():
            found.append((argument, Path()))
            continue
        walked: set = set()

        def walk(folder: Path, subfolder: Path, walked: set = walked) -> None:
            identity = _folder_id(folder)
            if identity in walked:
                say(f"{folder}: a link back to a folder already searched; skipped")
                return
            walked.add(identity)
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as err:
                say(f"{folder}: could not read this folder ({err.strerror or err}); skipped")
                return
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                path = Path(entry.path)
                if _is_dir(entry):
                    if skip_id is None or _folder_id(path) != skip_id:
                        walk(path, subfolder / entry.name)
                elif entry.name.lower().endswith(suffixes):
                    found.append((path, subfolder))
                elif path.suffix.lower() in unreadable:
                    unread[unreadable[path.suffix.lower()]] += 1

        walk(argument, Path())
    for kind, count in unread.items():
        say(f"{count} {kind.upper()} file{'s' if count > 1 else ''} skipped: {UNREAD_HINTS[kind]}")
    return _paired(found)


def _folder_id(folder: Path) -> tuple[int, int] | None:
    try:
        stat = folder.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link to nowhere, or a loop of links
        return False


def _paired(found: list[tuple[Path, Path]]) -> list[Photo]:
    """Photos with the depth maps named after them in their folder (the rest, depth-named or not, are photos)."""
    stems = defaultdict(set)
    for path, _ in found:
        stems[path.parent].add(path.stem)
    depth_of: dict[tuple[Path, str], Path] = {}
    maps = set()
    for path, _ in found:
        match = DEPTH_NAME.match(path.name)
        if match and match["photo"] in stems[path.parent]:
            depth_of.setdefault((path.parent, match["photo"]), path)
            maps.add(path)
    return [
        Photo(path, depth_of.get((path.parent, path.stem)), subfolder) for path, subfolder in found if path not in maps
    ]


# --------------------------------------------------------------------------- outputs


KINDS = {  # kind -> (name suffix, file format)
    "depth": ("_depth", "png"),
    "extract": ("_depth", "png"),
    "mesh": ("_3d", "glb"),
    "jpeg": ("_3d", "jpg"),
    "html": (".3d", "html"),
}


def output_names(photos: list[Path], fmt: str, suffix: str = "_depth") -> list[str]:
    """One distinct output file name per photo of one folder, in order.

    ``<stem><suffix>.<fmt>``; photos that would share a name keep their extension in it, and a number after
    that if they still would.

    Examples
    --------
    >>> output_names([Path("a/hopper.jpg"), Path("hopper.webp"), Path("cat.png")], "png")
    ['hopper.jpg_depth.png', 'hopper.webp_depth.png', 'cat_depth.png']
    >>> output_names([Path("a/photo.jpg"), Path("b/photo.jpg")], "npy")
    ['photo.jpg_depth.npy', 'photo.jpg-2_depth.npy']
    """
    stems = Counter(p.stem for p in photos)
    bases = [p.stem if stems[p.stem] == 1 else p.name for p in photos]
    seen: Counter = Counter()
    names = []
    for base in bases:
        seen[base] += 1
        names.append(f"{base}{'' if seen[base] == 1 else f'-{seen[base]}'}{suffix}.{fmt}")
    return names


def plan_jobs(photos: list[Photo], outdir: Path, template: Job, fmt: str | None = None) -> list[Job]:
    """A job per photo, `template` (kind and options) with its photo, depth map and target.

    Targets mirror the folders photos were found in (``in/2019/a.jpg`` -> ``OUTDIR/2019/a_depth.png``); the
    names of photos bound for one folder are made distinct by :func:`output_names`. `fmt` replaces the kind's
    file format (``depth --format npy``).
    """
    suffix, fmt = KINDS[template.kind][0], fmt or KINDS[template.kind][1]
    by_folder: dict[Path, list[int]] = defaultdict(list)
    for i, photo in enumerate(photos):
        by_folder[photo.subfolder].append(i)
    targets: list[Path] = [Path()] * len(photos)
    for subfolder, indices in by_folder.items():
        for i, name in zip(indices, output_names([photos[i].path for i in indices], fmt, suffix)):
            targets[i] = outdir / subfolder / name
    return [
        replace(
            template,
            photo=str(photo.path),
            target=str(target),
            depth_map=str(photo.depth_map) if photo.depth_map else None,
        )
        for photo, target in zip(photos, targets)
    ]


def temporary_path(target: Path) -> Path:
    """Where `target` is written before it is renamed into place: hidden, beside it, one name per target."""
    return target.with_name(f".{target.name}.part")


def write_atomically(target: Path, data: bytes) -> None:
    """Write `data` to `target` so that it is either whole or absent: a temporary file, then a rename."""
    temporary = temporary_path(target)
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- the work on one photo


def run_job(job: Job) -> Outcome:
    """Do one photo's work (every runner's one code path); never raises for bad input (see the module docs)."""
    target = Path(job.target)
    if target.exists() and not job.force:
        return Outcome(job.photo, job.target, "kept", "already there; --force overwrites it")
    try:
        try:
            data = Path(job.photo).read_bytes()
            depth_map = Path(job.depth_map).read_bytes() if job.depth_map and not job.model_only else None
        except OSError as err:
            raise DioramaError(_read_error(Path(job.photo), err)) from err
        with _native_stderr_silenced():
            output, words = _MAKERS[job.kind](job, data, depth_map)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, output)
        except OSError as err:
            raise DioramaError(f"could not write {target} ({err.strerror or err})") from err
    except DioramaError as err:
        return Outcome(job.photo, job.target, "failed", str(err))
    except MemoryError:
        return Outcome(job.photo, job.target, "failed", "not enough memory for this photo")
    except Exception as err:  # a bug, not bad input: still one line, and the run goes on  # noqa: BLE001
        return Outcome(job.photo, job.target, "failed", f"unexpected error ({type(err).__name__}: {err})")
    return Outcome(job.photo, job.target, "written", words)


def _read_error(path: Path, err: OSError) -> str:
    if isinstance(err, FileNotFoundError):
        return "no such file"
    if isinstance(err, IsADirectoryError) or path.is_dir():
        return "is a folder, not a photo"
    if isinstance(err, PermissionError):
        return "not allowed to read it"
    return f"could not read it ({err.strerror or err})"


@contextlib.contextmanager
def _native_stderr_silenced():
    """Silence what C libraries (libtiff, libjpeg) print on stderr themselves; Python's own errors still
    reach the caller as exceptions, and are reported in one line each."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _photo_depth(job: Job, data: bytes, rgb: np.ndarray, depth_map: bytes | None) -> tuple[np.ndarray, str]:
    """A photo's raw depth and words saying where it came from: its paired depth map (white = near, unless it
    disagrees with the model's depth so clearly that it was drawn black = near, as the page decides), else the
    depth it carries, else the model's (``model_only``: always the model's)."""
    if depth_map is not None:
        depth, name = load_depth_map(depth_map, rgb.shape[:2]), Path(job.depth_map).name
        if black_is_near_agreement(depth, estimate_depth(rgb, job.model, threads=job.threads)) is not None:
            return 1 - depth, f"depth from {name}, drawn black = near (it disagrees with the photo otherwise)"
        return depth, f"depth from {name}"
    found, note = (None, None) if job.model_only else find_embedded_depth(data)
    if found:
        return fit_to_photo(found.depth, rgb.shape[:2]), f"depth from the photo: {found.label}"
    depth = estimate_depth(rgb, job.model, threads=job.threads)
    return depth, "depth estimated by the model" + (f"; {note}" if note else "")


def _encode_depth(depth: np.ndarray, fmt: str) -> bytes:
    """(H, W) float32 depth in [0, 1] as a 16-bit PNG (the page's depth export too: depth_png) or a .npy file's
    bytes."""
    if fmt != "npy":
        return depth_png(depth)
    buf = io.BytesIO()
    np.save(buf, depth.astype(np.float32))
    return buf.getvalue()


def _make_depth(job: Job, data: bytes, depth_map: bytes | None) -> tuple[bytes, str]:
    rgb = load_photo(data)
    depth, words = _photo_depth(job, data, rgb, depth_map)
    return _encode_depth(postprocess_depth(depth) if job.display else depth, Path(job.target).suffix[1:]), words


def _make_extract(job: Job, data: bytes, depth_map: bytes | None) -> tuple[bytes, str]:
    found, note = find_embedded_depth(data)
    if found is None:
        load_photo(data)  # a file that is no photo at all says so
        raise DioramaError(
            note
            or "this photo carries no depth map (iPhone portrait, Lens Blur, Pixel "
            "portrait, Samsung Live Focus or XDM); `diorama depth` estimates one"
        )
    return _encode_depth(found.depth, "png"), f"{found.label}, {found.depth.shape[1]} x {found.depth.shape[0]}"


def _scene(job: Job, data: bytes, depth_map: bytes | None) -> tuple[np.ndarray, np.ndarray, Layers, str]:
    """The photo, its depth as the renderer draws it and its layers, at the app's default settings; words."""
    rgb = load_photo(data)
    depth, words = _photo_depth(job, data, rgb, depth_map)
    return (rgb, *renderer_layers(rgb, postprocess_depth(depth)), words)


def _make_mesh(job: Job, data: bytes, depth_map: bytes | None) -> tuple[bytes, str]:
    rgb, front_depth, layers, words = _scene(job, data, depth_map)
    return layered_glb(rgb, front_depth, layers.background_rgb, layers.background_depth), words


def _make_html(job: Job, data: bytes, depth_map: bytes | None) -> tuple[bytes, str]:
    """The page's single-file 3D photo at the view's default strength, the middle depth held still (the
    renderer's focus before a click)."""
    rgb, front_depth, layers, words = _scene(job, data, depth_map)
    return photo_3d_html(rgb, front_depth, layers, strength=defaults("view")["strength"], focus=0.5), words


def _make_jpeg(job: Job, data: bytes, depth_map: bytes | None) -> tuple[bytes, str]:
    """The 3D JPEG: a JPEG keeps its own bytes (full size, EXIF) with the depth added; other photos are encoded
    as the page's export encodes them."""
    rgb = load_photo(data)
    depth, words = _photo_depth(job, data, rgb, depth_map)
    if sniff_format(data) == "jpeg":
        return write_gdepth(data, depth), words
    return photo_with_gdepth(rgb, depth), words


_MAKERS: dict[str, Callable[[Job, bytes, bytes | None], tuple[bytes, str]]] = {
    "depth": _make_depth,
    "extract": _make_extract,
    "mesh": _make_mesh,
    "jpeg": _make_jpeg,
    "html": _make_html,
}


# --------------------------------------------------------------------------- running many


def run_serially(jobs: list[Job]) -> Iterator[Outcome]:
    """Each job's outcome, one after the other, in this process (``-j 1``)."""
    for job in jobs:
        yield run_job(job)


class _Worker:
    """A process running :func:`_serve`, and the job it holds."""

    def __init__(self, context) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        # Ctrl-C is the parent's: a process started with SIGINT ignored keeps it ignored from its first moment
        # (Python installs its KeyboardInterrupt handler only where SIGINT was not ignored)
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            self.process.start()
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        child.close()
        self.job: Job | None = None

    def give(self, job: Job | None) -> None:
        self.job = job
        with contextlib.suppress(OSError):  # it died: run_in_processes sees it and fails the job given
            self.conn.send(job)

    def stop(self) -> None:
        """End the process now (its job, if any, is abandoned; its temporary file removed)."""
        self.process.terminate()
        self.process.join()
        self.conn.close()
        if self.job is not None:
            temporary_path(Path(self.job.target)).unlink(missing_ok=True)


def _serve(conn) -> None:
    """A worker process: run the jobs it is sent until it is sent None. Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # also when started from another thread than the main one
    while (job := conn.recv()) is not None:
        conn.send(run_job(job))


def _died(job: Job, exitcode: int | None) -> Outcome:
    if exitcode is not None and exitcode < 0:
        how = f"killed by {signal.Signals(-exitcode).name}"
        how += ", perhaps for lack of memory" if -exitcode == signal.SIGKILL else ""
    else:
        how = f"exit status {exitcode}"
    return Outcome(job.photo, job.target, "failed", f"the process working on it stopped ({how}); the run went on")


def run_in_processes(jobs: list[Job], processes: int) -> Iterator[Outcome]:
    """Each job's outcome as it is done, by `processes` worker processes (``-j N``).

    Every process loads the model once (on its first photo) and runs jobs one at a time. One that dies (killed,
    out of memory) fails its photo with one line and is replaced. Stopping the iteration (Ctrl-C in the
    caller) ends the processes at once, removing the temporary files of the photos they held.
    """
    context = get_context("spawn")  # no fork of a parent that may hold onnxruntime's threads
    waiting = list(reversed(jobs))
    workers = [_Worker(context) for _ in range(min(processes, len(jobs)))]
    try:
        for worker in workers:
            worker.give(waiting.pop())
        while any(w.job is not None for w in workers):
            busy = [w for w in workers if w.job is not None]
            ready = connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for i, worker in enumerate(workers):
                if worker.job is None or (worker.conn not in ready and worker.process.sentinel not in ready):
                    continue
                try:
                    outcome = worker.conn.recv()
                except (EOFError, OSError):  # it died
                    worker.process.join()
                    outcome = _died(worker.job, worker.process.exitcode)
                    worker.stop()
                    worker = workers[i] = _Worker(context)
                worker.job = None
                yield outcome
                if waiting:
                    worker.give(waiting.pop())
    finally:
        for worker in workers:
            if worker.job is None:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)  # done: it ends by itself
                worker.process.join(timeout=5)
            worker.stop()


def run_on_dask(jobs: list[Job], client) -> Iterator[Outcome]:
    """Each job's outcome as it is done, each job a task running :func:`run_job` on the Dask cluster of
    `client`. A task lost with its workers (Dask gives up after its ``allowed-failures``) fails its photo."""
    from distributed import as_completed

    futures = client.map(run_job, jobs, pure=False)
    job_of = {future.key: job for future, job in zip(futures, jobs)}
    try:
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as err:  # noqa: BLE001  KilledWorker, a lost connection: one line, the run goes on
                job, first = job_of[future.key], (str(err).strip().splitlines() or [""])[0][:200]
                yield Outcome(job.photo, job.target, "failed", f"the Dask task failed ({type(err).__name__}: {first})")
    finally:
        client.cancel(futures)
