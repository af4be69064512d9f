"""build.py's supply-chain checks: wheels must match the official Pyodide lock, or the build stops."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil

import pytest

import build


def fake_lock(**files: bytes) -> dict:
    packages = {
        name: {
            "name": name,
            "file_name": f"{name}-1.0-py3-none-any.whl",
            "sha256": hashlib.sha256(data).hexdigest(),
            "depends": [],
        }
        for name, data in files.items()
    }
    return {"info": {"version": "0.99.0"}, "packages": packages}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "CACHE", tmp_path / "cache")
    return tmp_path / "cache"


def test_dependencies_are_resolved_from_the_lock(monkeypatch):
    lock = fake_lock(numpy=b"n", pillow=b"p", micropip=b"m", packaging=b"k", libwebp=b"w", zlib=b"z", scipy=b"s")
    lock["packages"]["pillow"]["depends"] = ["libwebp"]
    lock["packages"]["libwebp"]["depends"] = ["zlib"]
    lock["packages"]["micropip"]["depends"] = ["packaging"]
    names = [e["name"] for e in build.needed_lock_entries(lock)]
    assert names == ["libwebp", "micropip", "numpy", "packaging", "pillow", "zlib"]


def test_a_package_missing_from_the_lock_stops_the_build():
    with pytest.raises(build.BuildError, match="no package 'pillow'"):
        build.needed_lock_entries(fake_lock(numpy=b"n", micropip=b"m"))


def test_matching_wheels_are_cached_by_hash(tmp_path, cache):
    lock = fake_lock(numpy=b"real numpy")
    source = tmp_path / "numpy-1.0-py3-none-any.whl"
    source.write_bytes(b"real numpy")
    stored = build.verified_store(list(lock["packages"].values()), {source.name: source})
    cached = stored[source.name]
    assert cached.parent == cache / "sha256" and cached.read_bytes() == b"real numpy"
    # A rebuild needs no source any more.
    assert build.verified_store(list(lock["packages"].values()), {}) == stored


def test_a_tampered_wheel_fails_loudly(tmp_path, cache):
    lock = fake_lock(numpy=b"real numpy")
    source = tmp_path / "numpy-1.0-py3-none-any.whl"
    source.write_bytes(b"evil numpy")
    with pytest.raises(build.BuildError, match="SHA-256 MISMATCH for numpy-1.0"):
        build.verified_store(list(lock["packages"].values()), {source.name: source})
    assert not list((cache / "sha256").iterdir()), "an unverified file reached the cache"


def test_a_missing_wheel_is_named(cache):
    lock = fake_lock(numpy=b"x")
    with pytest.raises(build.BuildError, match="numpy-1.0-py3-none-any.whl .* missing"):
        build.verified_store(list(lock["packages"].values()), {})


@pytest.mark.parametrize(
    "name, content",
    [
        ("pyodide-lock.json", {"info": {"version": "0.28.1"}, "packages": {}}),
        ("manifest.json", {"pyodide": "0.28.1", "packages": []}),
    ],
)
def test_the_pyodide_version_is_read_from_the_wheel_source(tmp_path, name, content):
    (tmp_path / name).write_text(json.dumps(content))
    assert build.wheel_source_version(tmp_path) == "0.28.1"


def test_the_built_site_serves_verified_pyodide_files():
    """dist/ (built by the test command) holds exactly the official files of its Pyodide release."""
    lock = json.loads((build.DIST / "pyodide" / "pyodide-lock.json").read_text())
    for entry in build.needed_lock_entries(lock):
        served = build.DIST / "pyodide" / entry["file_name"]
        assert build.sha256_of(served) == entry["sha256"], served
    info = json.loads((build.DIST / "build.json").read_text())
    assert info["pyodide"] == lock["info"]["version"]
    wheel = build.DIST / info["wheel"]["url"]
    # the worker fetches it with this subresource integrity before micropip installs it
    digest = base64.b64encode(hashlib.sha256(wheel.read_bytes()).digest()).decode()
    assert info["wheel"]["integrity"] == f"sha256-{digest}"
    assert "micropip" in {entry["name"] for entry in build.needed_lock_entries(lock)}


def test_the_browser_wheel_carries_the_pipeline_but_not_the_model():
    """The worker fetches the model on its own (with progress, when needed); booting must not wait for it."""
    import zipfile

    info = json.loads((build.DIST / "build.json").read_text())
    names = zipfile.ZipFile(build.DIST / info["wheel"]["url"]).namelist()
    assert {"diorama/bridge.py", "diorama/photo.py", "diorama/depthmap.py", "diorama/model_io.py"} <= set(names)
    assert not [n for n in names if n.startswith("diorama/data/")]


def test_the_sample_preview_is_the_pipelines_own_display_depth():
    """The page shows this before Python starts; it must be exactly what the worker will compute."""
    import numpy as np
    from diorama.bridge import Studio
    from PIL import Image

    studio = Studio()
    photo = studio.open_photo((build.DIST / build.SAMPLE_PHOTO).read_bytes(), 1)
    studio.use_depth_map((build.DIST / build.SAMPLE_DEPTH).read_bytes())
    texels, near, far = studio.commit()
    with Image.open(build.DIST / build.SAMPLE_PREVIEW) as preview:
        assert preview.mode == "L" and preview.size == (photo.shape[1], photo.shape[0])
        np.testing.assert_array_equal(np.asarray(preview), texels[..., 0])
    sample = json.loads((build.DIST / "build.json").read_text())["sample"]
    assert (sample["near"], sample["far"]) == (near, far) and sample["preview"] == build.SAMPLE_PREVIEW


def test_the_options_module_is_the_python_schema():
    from diorama import export_kinds, options, shader

    expected = options.to_javascript() + export_kinds.to_javascript()
    assert (build.DIST / "options.js").read_text(encoding="utf-8") == expected
    assert (build.DIST / "render" / "march.js").read_text(encoding="utf-8") == shader.to_javascript()
    # the WebXR view: the package's xr-*.js as they are (the single-file 3D photo includes the same)
    for name in ("offer", "session"):
        assert (build.DIST / "xr" / f"{name}.js").read_text(encoding="utf-8") == shader.template(f"xr-{name}.js")
    assert build.SAMPLE_PREVIEW in {f["url"] for f in json.loads((build.DIST / "precache.json").read_text())["files"]}


def test_a_local_folder_of_official_wheels_is_accepted_and_verified(tmp_path, cache):
    """`--pyodide-wheels DIR`: a saved folder (here: the built site's own) goes through the same check."""
    saved = tmp_path / "saved"
    shutil.copytree(build.DIST / "pyodide", saved)
    core, lock, wheels = build.gather_pyodide(None, saved)
    assert lock["info"]["version"] == build.wheel_source_version(saved)
    assert {e["file_name"] for e in build.needed_lock_entries(lock)} == set(wheels)
    tampered = saved / next(iter(wheels))
    data = bytearray(tampered.read_bytes())
    data[100] ^= 0xFF
    tampered.write_bytes(bytes(data))
    shutil.rmtree(cache)  # nothing verified earlier may stand in for the tampered file
    with pytest.raises(build.BuildError, match="SHA-256 MISMATCH"):
        build.gather_pyodide(None, saved)


@pytest.fixture
def venv(tmp_path, monkeypatch):
    """A stand-in .venv whose installs are recorded, not run: returns the list of pip install specs."""
    monkeypatch.setattr(build, "VENV", tmp_path / "venv")
    build.venv_python().parent.mkdir(parents=True)
    build.venv_python().touch()
    installs = []
    monkeypatch.setattr(build, "run", lambda *cmd, **kw: installs.append(str(cmd[-1])) if "-e" in cmd else None)
    return installs


def test_serving_installs_the_runtime_only_and_tests_add_their_extras(venv):
    build.ensure_venv(build.RUNTIME)
    assert venv == [str(build.ROOT)], "serve/build install no extras"
    build.ensure_venv(build.RUNTIME)
    assert len(venv) == 1, "nothing changed: nothing installed"
    build.ensure_venv(build.TEST_EXTRAS)
    assert venv[-1] == f"{build.ROOT}[cluster,depth,models,test]"
    # A venv with more extras than asked for is fine: serving after testing installs nothing.
    build.ensure_venv(build.RUNTIME)
    build.ensure_venv(build.BENCH_EXTRAS)
    assert len(venv) == 2


def test_a_changed_pyproject_reinstalls_what_was_there(venv, monkeypatch, tmp_path):
    build.ensure_venv(build.BENCH_EXTRAS)
    (tmp_path / "pyproject.toml").write_text((build.ROOT / "pyproject.toml").read_text() + "\n# changed\n")
    monkeypatch.setattr(build, "ROOT", tmp_path)
    build.ensure_venv(build.RUNTIME)
    assert venv[-1] == f"{tmp_path}[test]"
