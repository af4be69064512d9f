"""Precompressed copies (build.write_precompressed): .br and .gz beside every file that compresses, identical
between two builds, left out of the precache, and served by ``build.py serve`` by Accept-Encoding."""

from __future__ import annotations

import gzip
import os
import shutil
import threading
import urllib.request

import pytest

import build


def make_site(folder):
    """A small site: text that compresses, an image that does not, a wasm-like file."""
    folder.mkdir(parents=True)
    (folder / "main.js").write_text("export const greeting = 'hello';\n" * 400)
    (folder / "data.json").write_text('{"values": [' + ", ".join(str(i % 7) for i in range(3000)) + "]}")
    (folder / "photo.png").write_bytes(os.urandom(4000))
    (folder / "tiny.css").write_text("a{}")
    return folder


@pytest.fixture
def compressed_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "CACHE", tmp_path / "cache")
    return tmp_path / "cache"


def test_two_builds_write_identical_copies_beside_the_files_that_compress(tmp_path, compressed_cache):
    first = make_site(tmp_path / "first")
    written = build.write_precompressed(first)
    assert {p.relative_to(first).as_posix() for p in written} == {
        "main.js.br",
        "main.js.gz",
        "data.json.br",
        "data.json.gz",
    }
    assert gzip.decompress((first / "main.js.gz").read_bytes()) == (first / "main.js").read_bytes()
    # a second build, from scratch (no cache), elsewhere and later: the same bytes
    shutil.rmtree(compressed_cache)
    second = make_site(tmp_path / "second")
    os.utime(second / "main.js", (0, 1_000_000))
    build.write_precompressed(second)
    for path in written:
        assert (second / path.relative_to(first)).read_bytes() == path.read_bytes(), path.name


def test_the_precache_lists_the_files_not_their_copies(tmp_path, compressed_cache):
    site = make_site(tmp_path / "site")
    (site / "index.html").write_text('<!doctype html><meta charset="utf-8"><title>t</title>' + "<p>text</p>" * 200)
    (site / "sw.js").write_text("const VERSION = 'dev';\n")
    build.write_precompressed(site)
    urls = {f["url"] for f in build.write_precache_manifest(site)["files"]}
    assert urls == {"main.js", "data.json", "photo.png", "tiny.css", "index.html"}


@pytest.fixture
def served(tmp_path, compressed_cache):
    site = make_site(tmp_path / "site")
    build.write_precompressed(site)
    server = build.make_server(site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def get(url, encoding):
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(request) as response:
        return response.headers, response.read()


@pytest.mark.parametrize(
    "accept, sent",
    [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), ("br;q=0, gzip", "gzip"), ("", None), ("identity", None)],
)
def test_serve_sends_the_copy_the_browser_accepts(served, accept, sent):
    site, url = served
    headers, body = get(url + "main.js", accept)
    assert headers["Content-Encoding"] == sent
    assert headers["Content-Type"] == "text/javascript" and "Accept-Encoding" in headers["Vary"]
    suffix = build.ENCODINGS.get(sent, "")
    assert body == (site / f"main.js{suffix}").read_bytes()
    # a file without copies is sent as it is
    headers, body = get(url + "photo.png", accept)
    assert headers["Content-Encoding"] is None and body == (site / "photo.png").read_bytes()


def test_serve_never_sends_a_copy_older_than_its_file(served):
    site, url = served
    (site / "main.js").write_text("export const changed = true;\n")
    headers, body = get(url + "main.js", "br, gzip")
    assert headers["Content-Encoding"] is None and body == b"export const changed = true;\n"
