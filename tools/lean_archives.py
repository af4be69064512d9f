"""Zip archives of Python made lean for the browser: bytecode instead of source, stored instead of deflated.

build.py runs :func:`main` inside Pyodide's own interpreter (in Node.js, at build time), so that the bytecode is
exactly what the worker's Python would compile on every visit; the functions are plain Python and tested in
CPython too.

Why: Pyodide's official wheels and standard library carry Python source in deflated zips. In the worker, every
visit inflates them and compiles each imported module again (a few hundred milliseconds of a phone's boot), and
deflated bytes do not compress again on the wire. Bytecode in *stored* zips is read as it is, and the host's
brotli compresses it better than the zip's own deflate did (numpy's wheel: 3.06 MB deflated, 1.9 MB brotli).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import zipfile
from collections.abc import Iterable
from importlib._bootstrap_external import _code_to_hash_pyc  # what py_compile uses
from importlib.util import source_hash

__all__ = ["lean_archive", "record", "main"]

# The one timestamp of every entry (zip's first day), so that the same input gives the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _entry(name: str, stored: bool) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    entry.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    entry.external_attr = (0o40755 << 16 | 0x10) if name.endswith("/") else 0o644 << 16
    entry.create_system = 3
    return entry


def _bytecode(source: bytes, filename: str) -> bytes:
    """A hash-based, unchecked ``.pyc`` (PEP 552) of ``source``: no timestamp in it, and never recompiled."""
    code = compile(source, filename, "exec", dont_inherit=True, optimize=0)
    return _code_to_hash_pyc(code, source_hash(source), checked=False)


def record(files: Iterable[tuple[str, bytes]], record_name: str) -> bytes:
    """A wheel's ``RECORD`` (PEP 376) for ``files``, ``(path, bytes)`` pairs, itself listed last without a hash."""
    lines = []
    for name, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{name},sha256={digest},{len(data)}\n")
    return "".join(lines).encode() + f"{record_name},,\n".encode()


def lean_archive(
    data: bytes, site: str, drop: Iterable[str] = (), keep_source: bool = False, stored: bool = True
) -> bytes:
    """An archive's Python as bytecode, in a zip whose entries are stored, with ``drop``'s files left out.

    Parameters
    ----------
    data : bytes
        A zip archive: a wheel or a standard library archive.
    site : str
        The folder the worker imports the archive's paths from (``/lib/python3.12/site-packages`` for a wheel,
        the archive's own path for the standard library): the file names tracebacks give.
    drop : iterable of str
        Entries to leave out: one starting with ``.`` or ``/`` is an ending (``.pyi``, ``/py.typed``), any other
        the start of a path (a folder ``numpy/random/``, a file ``PIL/_imagingft.``).
    keep_source : bool
        Keep each ``X.py`` and add its bytecode as ``__pycache__/X.<cache tag>.pyc`` (tracebacks show the
        source lines); else ``X.pyc`` takes the place of ``X.py`` (a sourceless module, as Pyodide ships its own).
    stored : bool
        Store the entries (for the host to compress the whole file); else deflate each (level 9), for an archive
        fetched where the worker cannot fall back to its gzip copy.

    Returns
    -------
    bytes
        The lean archive: the entries in their original order, one timestamp; a wheel's
        ``.dist-info/RECORD`` rewritten for what it now holds.
    """
    endings = tuple(d for d in drop if d.startswith((".", "/")))
    starts = tuple(d for d in drop if not d.startswith((".", "/")))

    def dropped(name: str) -> bool:
        return name.startswith(starts) or name.endswith(endings)

    out: list[tuple[str, bytes]] = []
    record_name = None
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        for item in src.infolist():
            name = item.filename
            if dropped(name):
                continue
            if name.endswith(".dist-info/RECORD"):
                record_name = name
                continue
            content = b"" if item.is_dir() else src.read(item)
            if not name.endswith(".py"):
                out.append((name, content))
                continue
            pyc = _bytecode(content, f"{site}/{name}")
            if keep_source:
                folder, _, stem = name[:-3].rpartition("/")
                cached = f"{folder}/__pycache__/{stem}.{sys.implementation.cache_tag}.pyc".lstrip("/")
                out += [(name, content), (cached, pyc)]
            else:
                out.append((name[:-3] + ".pyc", pyc))
    if record_name is not None:
        out.append((record_name, record([(n, d) for n, d in out if not n.endswith("/")], record_name)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        for name, content in out:
            dst.writestr(_entry(name, stored), content, compresslevel=None if stored else 9)
    return buffer.getvalue()


def main(jobs_path: str) -> None:
    """Make each job of a JSON list: ``{"source", "dest", "site", "drop", "keep_source", "stored"}`` (paths of
    files)."""
    with open(jobs_path) as file:
        jobs = json.load(file)
    for job in jobs:
        with open(job["source"], "rb") as file:
            data = file.read()
        lean = lean_archive(data, job["site"], job["drop"], job["keep_source"], job["stored"])
        with open(job["dest"], "wb") as file:
            file.write(lean)
