"""The standard library served in two (build.py split_stdlib) and its late half imported on demand
(web/worker/late_stdlib.py), checked in CPython on a small stand-in for Pyodide's python_stdlib.zip."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
import zipfile

import pytest

import build

# A stand-in standard library: a package split between the archives, a package and a module wholly late.
FILES = {
    "corepkg/": b"",
    "corepkg/__init__.py": b"VALUE = 'core'\n",
    "corepkg/used.py": b"WHERE = 'core'\n",
    "corepkg/rare.py": b"WHERE = 'late'\n",
    "corepkg/sub/": b"",
    "corepkg/sub/__init__.py": b"from .deep import DEEP\n",
    "corepkg/sub/deep.py": b"DEEP = 'late package'\n",
    "lonely.py": b"LONELY = True\n",
    "corepkg/py.typed": b"",
}
CORE = {"corepkg", "corepkg.used"}


@pytest.fixture
def official(tmp_path):
    path = tmp_path / "python_stdlib.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in FILES.items():
            archive.writestr(name, data)
    return path


def _names(archive: bytes) -> set[str]:
    return set(zipfile.ZipFile(io.BytesIO(archive)).namelist())


def test_each_module_lands_in_one_archive_with_its_bytes_and_folders_go_where_their_files_go(official):
    core, late, late_modules = build.split_stdlib(official, CORE, b"FINDER = 1\n")
    assert _names(core) == {
        "corepkg/",
        "corepkg/__init__.py",
        "corepkg/used.py",
        "corepkg/py.typed",
        "_diorama_late_stdlib.py",
    }
    # no "corepkg/sub/" folder in the core: there it would import as an empty namespace package
    assert _names(late) == {
        "corepkg/",
        "corepkg/rare.py",
        "corepkg/sub/",
        "corepkg/sub/__init__.py",
        "corepkg/sub/deep.py",
        "lonely.py",
    }
    assert late_modules == ["corepkg.rare", "corepkg.sub", "corepkg.sub.deep", "lonely"]
    for archive in (core, late):
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            for name in z.namelist():
                assert z.read(name) == FILES.get(name, b"FINDER = 1\n"), name
    assert build.split_stdlib(official, CORE, b"FINDER = 1\n") == (core, late, late_modules)  # reproducible


def test_a_core_list_naming_a_module_the_library_lacks_or_a_module_without_its_package_stops_the_build(official):
    with pytest.raises(build.BuildError, match="corepkg.gone"):
        build.split_stdlib(official, CORE | {"corepkg.gone"}, b"")
    with pytest.raises(build.BuildError, match="without their package.*corepkg.sub.deep"):
        build.split_stdlib(official, CORE | {"corepkg.sub.deep"}, b"")


def test_the_real_core_list_names_only_real_modules_and_the_finder_itself_is_core():
    listed = {line for line in build.STDLIB_CORE_LIST.read_text().splitlines() if line and not line.startswith("#")}
    # what the finder imports must never be late (it would have to fetch itself)
    finder_imports = {"hashlib", "importlib", "importlib.abc", "importlib.machinery", "collections.abc", "__future__"}
    assert finder_imports <= listed


@pytest.fixture
def late_stdlib():
    spec = importlib.util.spec_from_file_location("late_stdlib_under_test", build.LATE_STDLIB_FINDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def split_on_path(official, tmp_path, late_stdlib):
    """The stand-in split, its core on sys.path, the finder installed; yields (finder, downloads made)."""
    core, late, late_modules = build.split_stdlib(official, CORE, b"")
    (tmp_path / "core.zip").write_bytes(core)
    downloads = []

    def download():
        downloads.append(1)
        return late

    saved_path, saved_meta = list(sys.path), list(sys.meta_path)
    sys.path.insert(0, str(tmp_path / "core.zip"))
    finder = late_stdlib.install(late_modules, str(tmp_path / "late.zip"), hashlib.sha256(late).hexdigest(), download)
    yield finder, downloads
    sys.path[:], sys.meta_path[:] = saved_path, saved_meta
    for name in [m for m in sys.modules if m.split(".")[0] in ("corepkg", "lonely")]:
        del sys.modules[name]


def test_late_modules_import_after_one_download_and_core_ones_need_none(split_on_path):
    finder, downloads = split_on_path
    import corepkg.used

    assert corepkg.used.WHERE == "core" and downloads == [] and not finder.installed
    import corepkg.rare  # a late module of a core package
    import corepkg.sub  # a late package inside a core package, with its own late module
    import lonely  # a wholly late top-level module

    assert (corepkg.rare.WHERE, corepkg.sub.DEEP, lonely.LONELY) == ("late", "late package", True)
    assert downloads == [1] and finder.installed
    with pytest.raises(ModuleNotFoundError):
        import corepkg.nothing  # noqa: F401  (names in neither archive are still missing)


def test_a_damaged_download_is_refused(official, tmp_path, late_stdlib):
    core, late, late_modules = build.split_stdlib(official, CORE, b"")
    finder = late_stdlib.LateStdlib(late_modules, str(tmp_path / "late.zip"), "0" * 64, lambda: late)
    with pytest.raises(ImportError, match="SHA-256"):
        finder.find_spec("lonely")
    assert not (tmp_path / "late.zip").exists()
