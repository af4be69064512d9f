"""The lean archives the worker loads (tools/lean_archives.py, build.py lean_archives): bytecode in stored zips,
what the pipeline never imports left out, the same bytes on every build (issue 29)."""

import ast
import base64
import hashlib
import importlib.util
import io
import json
import sys
import zipfile

import pytest

import build

spec = importlib.util.spec_from_file_location("lean_archives", build.LEAN_ARCHIVES)
lean_archives = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lean_archives)

SOURCE = {
    "pkg/__init__.py": b'"""A package."""\nfrom .mod import twice\n',
    "pkg/mod.py": b"def twice(x):\n    return 2 * x\n",
    "pkg/data.txt": b"kept as it is",
    "pkg/mod.pyi": b"def twice(x: int) -> int: ...\n",
    "pkg/extra/__init__.py": b"raise ImportError('left out')\n",
    "pkg/_ft.so": b"\0asm left out",
    "pkg-1.0.dist-info/METADATA": b"Name: pkg\nVersion: 1.0\n",
    "pkg-1.0.dist-info/RECORD": b"pkg/__init__.py,sha256=stale,1\n",
}
DROP = (".pyi", "pkg/extra/", "pkg/_ft.")


def archive(files=SOURCE) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_bytecode_takes_the_place_of_the_source_in_a_stored_zip_that_imports(tmp_path, monkeypatch):
    lean = lean_archives.lean_archive(archive(), "/site", DROP)
    with zipfile.ZipFile(io.BytesIO(lean)) as zf:
        names = zf.namelist()
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
        assert {i.date_time for i in zf.infolist()} == {lean_archives.ZIP_TIME}
        record = zf.read("pkg-1.0.dist-info/RECORD").decode().splitlines()
        contents = {name: zf.read(name) for name in names}
    assert names == [
        "pkg/__init__.pyc",
        "pkg/mod.pyc",
        "pkg/data.txt",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/RECORD",
    ]
    # RECORD lists what the wheel now holds, each with its hash and size
    for line in record[:-1]:
        name, digest, size = line.split(",")
        data = contents[name]
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (f"sha256={expected}", len(data))
    assert [line.split(",")[0] for line in record] == names[:-1] + ["pkg-1.0.dist-info/RECORD"]
    # sourceless, hash-based and unchecked (PEP 552): never recompiled, no timestamp
    flags = int.from_bytes(contents["pkg/mod.pyc"][4:8], "little")
    assert flags == 0b01
    # and it imports, from the zip as from a folder (this interpreter's bytecode here; Pyodide's in the build)
    path = tmp_path / "lean.zip"
    path.write_bytes(lean)
    monkeypatch.syspath_prepend(str(path))
    try:
        module = importlib.import_module("pkg")
        assert module.twice(21) == 42
        assert module.__doc__ == "A package."
        assert module.twice.__code__.co_filename == "/site/pkg/mod.py"
    finally:
        for name in [n for n in sys.modules if n == "pkg" or n.startswith("pkg.")]:
            del sys.modules[name]


def test_our_own_wheel_keeps_its_sources_beside_the_bytecode():
    lean = lean_archives.lean_archive(archive(), "/site", keep_source=True)
    with zipfile.ZipFile(io.BytesIO(lean)) as zf:
        names = zf.namelist()
        assert zf.read("pkg/mod.py") == SOURCE["pkg/mod.py"]
    tag = sys.implementation.cache_tag
    assert {
        "pkg/mod.py",
        f"pkg/__pycache__/mod.{tag}.pyc",
        "pkg/__init__.py",
        f"pkg/__pycache__/__init__.{tag}.pyc",
    } <= set(names)
    assert "pkg/mod.pyi" in names  # nothing dropped unless asked


def test_the_same_archive_gives_the_same_bytes():
    assert lean_archives.lean_archive(archive(), "/site", DROP) == lean_archives.lean_archive(archive(), "/site", DROP)


def test_pyodide_compiles_the_same_bytes_on_every_build(tmp_path, monkeypatch):
    """In Pyodide's own Python (Node.js), from an empty cache each time: the hash seed is fixed, so even sets of
    constants come out in the same order."""
    core = build.pyodide_core(json.loads((build.DIST / "build.json").read_text())["pyodide"])
    files = {**SOURCE, "pkg/sets.py": b"WORDS = frozenset({'alpha', 'beta', 'gamma', 'delta'})\n"}
    results = []
    for attempt in range(2):
        monkeypatch.setattr(build, "CACHE", tmp_path / str(attempt))
        results.append(build.lean_archives(core, {"pkg.whl": (archive(files), "/site", DROP, False, True)})["pkg.whl"])
    assert results[0] == results[1]
    with zipfile.ZipFile(io.BytesIO(results[0])) as zf:
        pyc = zf.read("pkg/sets.pyc")
    assert pyc[:4] == bytes.fromhex("cb0d0d0a")  # Python 3.12's magic number: Pyodide's interpreter compiled it


def _used_attributes(tree: ast.AST, module: str, aliases: set[str]) -> set[str]:
    """The attributes of ``module`` that code uses: ``np.random``, ``import numpy.random``, ``from numpy import
    random``, ``from numpy.random import x``, ``from PIL import ImageFont``."""
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            used.add(node.attr)
        elif isinstance(node, ast.Import):
            used |= {a.name.split(".")[1] for a in node.names if a.name.startswith(f"{module}.")}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == module:
                used |= {a.name for a in node.names}
            elif node.module.startswith(f"{module}."):
                used.add(node.module.split(".")[1])
    return used


def test_the_pipeline_uses_nothing_the_lean_wheels_leave_out():
    """The browser's numpy has no numpy.random (and the rest of build.LEAN_DROP_NUMPY) and its Pillow no FreeType:
    the pipeline must not use them (its docstrings' examples may: they run in CPython only)."""
    used_numpy, used_pil = set(), set()
    for path in (build.ROOT / "py" / "diorama").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        used_numpy |= _used_attributes(tree, "numpy", {"np", "numpy"})
        used_pil |= _used_attributes(tree, "PIL", set())
    assert "fft" in used_numpy  # the check sees what is used
    assert used_numpy.isdisjoint(build.LEAN_DROP_NUMPY), used_numpy & set(build.LEAN_DROP_NUMPY)
    assert not used_pil & {"ImageFont", "ImageTk"}, used_pil
    assert {"_imagingft", "_imagingtk"} == set(build.LEAN_DROP_PIL)


@pytest.mark.parametrize("package", ["numpy", "pillow", "micropip", "packaging"])
def test_the_worker_loads_each_package_lean_from_a_verified_official_file(package):
    """dist/pyodide/diorama-lock.json points at the lean copy, with its own SHA-256; build.json says which official
    file (checked against the official lock) it comes from; the precache holds the lean copy, not the official."""
    official_lock = json.loads((build.DIST / "pyodide" / "pyodide-lock.json").read_text())
    lock = json.loads((build.DIST / "pyodide" / build.LEAN_LOCK).read_text())
    entry, official = lock["packages"][package], official_lock["packages"][package]
    assert lock["info"] == official_lock["info"]
    assert entry["file_name"] == build.lean_name(official["file_name"]) != official["file_name"]
    lean = build.DIST / "pyodide" / entry["file_name"]
    assert build.sha256_of(lean) == entry["sha256"]
    info = json.loads((build.DIST / "build.json").read_text())["pyodidePackages"]
    origin = info["lean"][f"pyodide/{entry['file_name']}"]
    assert origin == {
        "sha256": entry["sha256"],
        "from": f"pyodide/{official['file_name']}",
        "fromSha256": official["sha256"],
    }
    assert build.sha256_of(build.DIST / origin["from"]) == official["sha256"]
    precached = {f["url"] for f in json.loads((build.DIST / "precache.json").read_text())["files"]}
    assert f"pyodide/{entry['file_name']}" in precached and origin["from"] not in precached
    # stored, so that the host's brotli compresses it: a precompressed copy beside it
    assert (build.DIST / "pyodide" / f"{entry['file_name']}.br").stat().st_size < 0.5 * lean.stat().st_size
