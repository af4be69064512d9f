"""Reproducible builds: the same sources give byte-identical files, so a rebuild keeps the precache version
and returning visitors download nothing again (web/sw.js copies files whose hash it already holds)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import zipfile
from pathlib import Path

import build


def test_the_browser_wheel_is_byte_identical_across_builds():
    """Two wheels from the same sources, with a source file's modification time changed in between."""
    python = Path(sys.executable)
    first = build.build_wheel(python).read_bytes()
    source = build.ROOT / "py" / "diorama" / "__init__.py"
    stat = source.stat()
    try:
        os.utime(source, (stat.st_atime, stat.st_mtime + 3600))
        second = build.build_wheel(python).read_bytes()
    finally:
        os.utime(source, (stat.st_atime, stat.st_mtime))
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    with zipfile.ZipFile(build.build_wheel(python)) as wheel:
        names = wheel.namelist()
        assert {info.date_time for info in wheel.infolist()} == {build.zip_timestamp()}
    assert names[-1].endswith(".dist-info/RECORD") and not any(n.startswith("diorama/data/") for n in names)


def test_the_precache_manifest_depends_on_contents_only(tmp_path):
    """The same files give the same precache.json and sw.js (no times); a changed file, a new version."""
    site = tmp_path / "site"
    shutil.copytree(build.WEB, site)
    first = build.write_precache_manifest(site)
    sw = (site / "sw.js").read_bytes()
    for path in site.rglob("*"):
        os.utime(path, (0, 1_000_000))
    assert build.write_precache_manifest(site) == first
    assert (site / "sw.js").read_bytes() == sw
    (site / "main.js").write_text((site / "main.js").read_text() + "\n")
    changed = build.write_precache_manifest(site)
    assert changed["version"] != first["version"]
    assert [f for f in changed["files"] if f not in first["files"]] == [
        {"url": "main.js", "sha256": build.sha256_of(site / "main.js")}
    ]
