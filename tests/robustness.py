"""Robustness on a corpus nobody here wrote: Pillow's own test images (../shared/corpus/pillow).

Every file goes through ``load_photo`` and ``load_depth_map`` in a process of its own (forked from one that
imported the pipeline), with a timeout and an address-space limit, and the whole corpus through the ``diorama depth`` CLI in chunks.
What counts (the corpus README's definition of robust): each file opens or is refused with a
``DioramaError``; nothing else escapes, nothing hangs, and no file takes a process past the memory
budget (photo.MEMORY_BUDGET keeps the arrays under 768 MB; the process, interpreter included, must stay
under 1 GB). The peak is the resident set's high-water mark (Linux VmHWM) of the probe process.

    python -m tests.robustness            # writes docs/robustness.md (skipped without ../shared)
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "pillow"
REPORT = ROOT / "docs" / "robustness.md"
TIMEOUT_S = 60
PEAK_LIMIT = 2**30  # 1 GiB: the bound on one file's peak, interpreter included
ADDRESS_LIMIT = 3 * 2**30  # a hard stop well above it, so a runaway file fails here and not the machine
DEPTH_SHAPE = (480, 640)

# Each file is read in a process of its own, forked from a server that has imported the pipeline once (a fresh
# interpreter per file spent most of the check's time importing NumPy and Pillow, 780 times): a crash, a hang
# or a runaway allocation stays that file's.
_PROCESSES = multiprocessing.get_context("forkserver")
_PROCESSES.set_forkserver_preload(["diorama.depthmap", "diorama.photo"])


def _read_as_photo_and_depth_map(path: str, results) -> None:
    """In the file's own process: read it as a photo, then as a depth map for a 640x480 photo; send the outcomes."""
    from diorama.depthmap import load_depth_map
    from diorama.errors import DioramaError
    from diorama.photo import load_photo

    _limit_address_space()
    data = Path(path).read_bytes()
    out = {}
    for step, read in (("photo", load_photo), ("depth", lambda d: load_depth_map(d, DEPTH_SHAPE))):
        start = time.perf_counter()
        try:
            out[step] = {"outcome": "opened", "detail": list(read(data).shape)}
        except DioramaError as err:
            out[step] = {"outcome": "refused", "detail": str(err)}
        except BaseException as err:  # noqa: BLE001  (what the check looks for: anything but a DioramaError)
            out[step] = {"outcome": "other", "detail": f"{type(err).__name__}: {err}"[:300]}
        out[step]["seconds"] = time.perf_counter() - start
    with open("/proc/self/status") as status:  # the resident high-water mark, imports included
        out["peak_kib"] = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    results.send(out)


@dataclass
class Probe:
    name: str
    photo: str  # opened | refused | other | timeout | killed
    depth: str
    detail: str
    seconds: float
    peak_bytes: int


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))


def probe(path: Path) -> Probe:
    """Read one file as a photo and as a depth map in a limited process of its own."""
    start = time.perf_counter()
    received, results = _PROCESSES.Pipe(duplex=False)
    process = _PROCESSES.Process(target=_read_as_photo_and_depth_map, args=(str(path), results))
    process.start()
    results.close()
    try:
        if not received.poll(TIMEOUT_S):
            return Probe(path.name, "timeout", "timeout", f"over {TIMEOUT_S} s", TIMEOUT_S, 0)
        out = received.recv()
    except EOFError:  # it died before it could say anything
        process.join()
        return Probe(path.name, "killed", "killed", f"exit {process.exitcode}", time.perf_counter() - start, 0)
    finally:
        process.kill()
        process.join()
        received.close()
    details = [f"{step}: {out[step]['detail']}" for step in ("photo", "depth") if out[step]["outcome"] == "other"]
    return Probe(
        path.name,
        out["photo"]["outcome"],
        out["depth"]["outcome"],
        "; ".join(details),
        out["photo"]["seconds"] + out["depth"]["seconds"],
        out["peak_kib"] * 1024,
    )


def probe_corpus(folder: Path = CORPUS, jobs: int = 2) -> list[Probe]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("README"))
    with ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(probe, files))


@dataclass
class CliRun:
    files: int
    exit_codes: list[int]
    failures: int
    bad_lines: list[str]  # stderr lines that are not one `path: message`
    written: int


SUMMARY = re.compile(r"diorama: \d+ written, \d+ kept \(already there\), \d+ failed")


def run_cli(folder: Path = CORPUS, chunk: int = 100) -> CliRun:
    """``diorama depth`` over the corpus in chunks (one model load each), every output kept apart."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("README"))
    codes, failures, bad, written = [], 0, [], 0
    with tempfile.TemporaryDirectory() as out:
        for i in range(0, len(files), chunk):
            part = files[i : i + chunk]
            done = subprocess.run(
                [sys.executable, "-m", "diorama.cli", "depth", *map(str, part), "-o", out],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S * len(part),
                preexec_fn=_limit_address_space,
                cwd=ROOT,
            )
            codes.append(done.returncode)
            for line in done.stderr.splitlines():
                if any(line.startswith(f"{p}: ") and len(line) > len(f"{p}: ") for p in part):
                    failures += 1
                elif not SUMMARY.fullmatch(line):  # the run's one summary line
                    bad.append(line)
        written = len(list(Path(out).iterdir()))
    return CliRun(len(files), codes, failures, bad, written)


def probe_forged() -> list[Probe]:
    """The hand-made small-but-huge files (tests/forged.py) through the same probe."""
    from tests.forged import float_tiff_header, png

    forged = {
        "tall 1 x 100,000,000 grey PNG": png(1, 100_000_000),
        "wide 100,000,000 x 1 grey PNG": png(100_000_000, 1),
        "10,000 x 10,000 float TIFF header": float_tiff_header(10_000, 10_000),
        "8,000 x 8,000 RGB PNG": png(8_000, 8_000, colour_type=2),
    }
    with tempfile.TemporaryDirectory() as folder:
        out = []
        for name, data in forged.items():
            path = Path(folder) / "file"
            path.write_bytes(data)
            out.append(probe(path))
            out[-1].name = f"{name} ({len(data) // 1024:,} KB)"
        return out


def report(probes: list[Probe], cli: CliRun | None, forged: list[Probe] = ()) -> str:
    count = lambda field, value: sum(getattr(p, field) == value for p in probes)  # noqa: E731
    slowest = max(probes, key=lambda p: p.seconds)
    heaviest = max(probes, key=lambda p: p.peak_bytes)
    rows = [
        "| | as a photo (`load_photo`) | as a depth map (`load_depth_map`) |",
        "|---|---|---|",
        f"| files | {len(probes)} | {len(probes)} |",
        *(
            f"| {label} | {count('photo', key)} | {count('depth', key)} |"
            for key, label in (
                ("opened", "opened"),
                ("refused", "refused cleanly (a `DioramaError`)"),
                ("other", "anything else (must be 0)"),
                ("timeout", f"over {TIMEOUT_S} s (must be 0)"),
                ("killed", "process died (must be 0)"),
            )
        ),
    ]
    lines = [
        "# Robustness: a corpus nobody here wrote",
        "",
        "Written by `python -m tests.robustness` (also run by `tests/py/test_robustness.py` when `../shared` is present).",
        f"Corpus: `../shared/corpus/pillow`, Pillow's own test images ({len(probes)} files: every mode Pillow reads,",
        "plus its crash, fuzz, out-of-memory and timeout cases). Each file is read in a process of its own (forked",
        "from a server that has imported the pipeline once)",
        f"(timeout {TIMEOUT_S} s, address space limited to {ADDRESS_LIMIT // 2**30} GiB), first as a photo, then as the",
        f"depth map of a {DEPTH_SHAPE[1]}x{DEPTH_SHAPE[0]} photo. Peak memory is the process's resident high-water mark",
        "(VmHWM), interpreter, NumPy and Pillow included.",
        "",
        *rows,
        "",
        f"- Slowest file: `{slowest.name}`, {slowest.seconds:.2f} s for both reads.",
        f"- Peak memory: {heaviest.peak_bytes / 2**20:.0f} MB (`{heaviest.name}`); the bound is {PEAK_LIMIT // 2**20} MB.",
    ]
    others = [p for p in probes if p.photo not in ("opened", "refused") or p.depth not in ("opened", "refused")]
    lines += [f"- Not clean: `{p.name}` ({p.photo} / {p.depth}): {p.detail}" for p in others]
    if forged:
        lines += [
            "",
            "Small files that claim huge images (tests/forged.py), through the same probe:",
            "",
            "| file | as a photo | as a depth map | seconds | peak memory |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {p.name} | {p.photo} | {p.depth} | {p.seconds:.2f} | {p.peak_bytes / 2**20:.0f} MB |" for p in forged
        ]
    if cli:
        lines += [
            "",
            f"The CLI over the same {cli.files} files (`diorama depth FILES -o OUT`, {len(cli.exit_codes)} runs of up to",
            f"100 files): exit statuses {sorted(set(cli.exit_codes))} (1: some file failed), {cli.failures} failures each",
            f"reported as one line `path: message`, {cli.written} depth maps written (none overwritten: names are unique),",
            f"{len(cli.bad_lines)} other lines on stderr (must be 0).",
        ]
        lines += [f"  - other line: `{line[:160]}`" for line in cli.bad_lines[:10]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"Skipped: {args.corpus} is not here (it lives in ../shared, beside the checkout).")
        return 0
    probes = probe_corpus(args.corpus)
    cli = run_cli(args.corpus)
    args.out.write_text(report(probes, cli, probe_forged()))
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
