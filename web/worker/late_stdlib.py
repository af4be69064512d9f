"""The standard library's rarely used modules, fetched on their first import (Pyodide in the pipeline worker).

Pyodide's ``python_stdlib.zip`` is split at build time (``build.py split_stdlib``): the modules that starting
Python, installing the packages and the whole diorama pipeline import form the *core* archive, which Pyodide
boots from; every other module goes to the *late* archive, which costs nothing until something imports one of
its modules. Then :class:`LateStdlib` fetches it once (synchronously: an import cannot wait), checks its
SHA-256, writes it to the file system and lets the normal path finder import the module from it (a module of a
package from the package's folder in the archive: ``email``, ``encodings``... are split between the two).

build.py puts this file into the core archive as ``_diorama_late_stdlib``; the worker calls :func:`install`.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Iterable

__all__ = ["LateStdlib", "install"]


class LateStdlib(importlib.abc.MetaPathFinder):
    """A last-resort finder for the modules of the late archive.

    Parameters
    ----------
    modules : iterable of str
        The dotted names of every module (and package) in the late archive.
    archive : str
        Where to write the archive in the file system.
    sha256 : str
        The archive's SHA-256, hex; a download that differs raises ImportError.
    download : callable () -> bytes
        Fetches the archive's bytes (blocking); in Pyodide it may return a JavaScript Uint8Array.
    """

    def __init__(self, modules: Iterable[str], archive: str, sha256: str, download: Callable[[], bytes]):
        self.modules = frozenset(modules)
        self.archive = archive
        self.sha256 = sha256
        self.download = download
        self.installed = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.modules:
            return None
        self._install()
        # a module of a package is looked for in the package's folder in the late archive (its core part, on the
        # package's __path__, has been searched already)
        parent = fullname.rpartition(".")[0]
        folder = f"{self.archive}/{parent.replace('.', '/')}" if parent else self.archive
        return importlib.machinery.PathFinder.find_spec(fullname, [folder])

    def _install(self) -> None:
        if self.installed:
            return
        data = self.download()
        data = data if isinstance(data, bytes) else data.to_bytes()  # a Uint8Array's JsProxy
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.sha256:
            raise ImportError(f"{self.archive}: SHA-256 {digest}, expected {self.sha256} (a damaged download)")
        with open(self.archive, "wb") as file:
            file.write(data)
        importlib.invalidate_caches()
        self.installed = True


def install(modules: Iterable[str], archive: str, sha256: str, download: Callable[[], bytes]) -> LateStdlib:
    """Put a :class:`LateStdlib` at the end of ``sys.meta_path`` (after every finder of the core) and return it."""
    finder = LateStdlib(modules, archive, sha256, download)
    sys.meta_path.append(finder)
    return finder
