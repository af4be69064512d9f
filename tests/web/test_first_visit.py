"""The first visit from any static host (issue 29): the photo before the precache and every file fetched once
(web/fetched-files.js hands the page's files to the service worker's precache); a host that sends no COOP/COEP
headers (most do not) still gets cross-origin isolation from the service worker (web/sw.js, withIsolation) once
it controls the page."""

from __future__ import annotations

import gzip
import json
import os
import re
import time
from collections import Counter

import pytest

import build

from .site import Link, Site
from .support import after_opening, open_files, photo_with_depth, stage_pixels, wait_for_state
from .test_offline import wait_until_offline_ready

pytestmark = pytest.mark.browser


@pytest.fixture
def plain_site(tmp_path):
    """A copy of dist/ served as a plain static host does: no COOP/COEP headers."""
    site = Site.copy_of_dist(tmp_path, isolated=False)
    yield site
    site.stop()


def model_threads(page) -> int:
    """How many threads onnxruntime-web runs the depth model on in the page's pipeline worker."""
    return page.evaluate("async () => (await window.diorama.timeModel(64, 64, 1)).threads")


def test_a_host_without_isolation_headers_is_isolated_from_the_second_load(page, plain_site):
    page.goto(plain_site.url)
    wait_for_state(page, "shown")
    # the first load: what the host sends, so not isolated, and the model on one thread
    assert page.evaluate("() => self.crossOriginIsolated") is False
    assert model_threads(page) == 1
    wait_until_offline_ready(page)

    response = page.reload()
    assert response.from_service_worker
    assert response.headers["cross-origin-embedder-policy"] == "require-corp"
    wait_for_state(page, "shown")
    assert page.evaluate("() => self.crossOriginIsolated") is True
    assert model_threads(page) == min(4, page.evaluate("() => navigator.hardwareConcurrency")) > 1
    assert open_files(page, photo_with_depth(320, 240)[:1]) == "shown", page.locator("#alert").inner_text()


# The big files a photo needs (83 % of the bytes until the first photo is in 3D), by their path in dist/.
BIG_FILES = (
    "pyodide/pyodide.asm.wasm",
    "pyodide/numpy-",
    "vendor/ort/ort-wasm-simd-threaded.wasm",
    "models/depth.onnx",
)


def test_the_first_photo_comes_before_the_precache_and_every_file_is_fetched_once(page, plain_site):
    page.goto(plain_site.url)
    wait_for_state(page, "shown")
    page.evaluate("() => window.diorama.ready")
    assert open_files(page, photo_with_depth(320, 240)[:1]) == "shown", page.locator("#alert").inner_text()
    wait_until_offline_ready(page)

    order = [r.path.lstrip("/") for r in plain_site.requests]
    # the model is the last file the photo needs: the precache (precache.json, then what the page has not
    # fetched, e.g. libheif) asks for nothing before it was sent
    model_sent = next(r.done for r in plain_site.requests if r.path == "/models/depth.onnx")
    precache_asked = order.index("precache.json")
    assert order.index("models/depth.onnx") < precache_asked < order.index("vendor/libheif/libheif.wasm"), order
    assert plain_site.requests[precache_asked].done >= model_sent, "the precache started before the photo's model came"
    fetched = Counter(order)
    for name in BIG_FILES:
        counts = {path: n for path, n in fetched.items() if path.startswith(name)}
        assert counts and set(counts.values()) == {1}, f"{name}: {counts}"
    # and the whole site is offline now: the precache took those files over from the page
    assert "vendor/libheif/libheif.wasm" in fetched
    # Python's packages came lean (build.py lean_archives); the official files they come from were never asked for
    lock = json.loads((plain_site.dist / "pyodide" / build.LEAN_LOCK).read_text())
    assert {f"pyodide/{entry['file_name']}" for entry in lock["packages"].values()} <= set(fetched)
    official = json.loads((plain_site.dist / "build.json").read_text())["pyodidePackages"]["official"]
    assert not set(official) & set(fetched), set(official) & set(fetched)


def test_a_file_served_compressed_without_its_encoding_is_refused_in_one_line(page, tmp_path):
    """A host that sends a precompressed file's bytes as the file itself (no Content-Encoding): the precache's
    integrity check refuses it with one line naming it; the page works on, and is not marked offline-ready."""
    site = Site.copy_of_dist(tmp_path)
    wasm = site.dist / "vendor/libheif/libheif.wasm"
    wasm.write_bytes((site.dist / "vendor/libheif/libheif.wasm.br").read_bytes())
    for suffix in (".br", ".gz"):
        (site.dist / f"vendor/libheif/libheif.wasm{suffix}").unlink()
    warnings = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    try:
        page.goto(site.url)
        wait_for_state(page, "shown")
        page.wait_for_function("() => document.documentElement.dataset.offline === 'failed'", timeout=120_000)
        assert any("vendor/libheif/libheif.wasm differs from this build (SHA-256)" in text for text in warnings), (
            warnings
        )
        alert = page.locator("#alert-text").inner_text() if page.locator("#alert").is_visible() else ""
        assert "libheif" not in alert and "offline" not in alert, f"the page shows it to the person: {alert}"
        assert open_files(page, photo_with_depth(320, 240)) == "shown"
    finally:
        site.stop()


def test_a_photo_dropped_on_a_slow_first_visit_says_what_it_waits_for_and_how_far(page, tmp_path):
    """On a phone's link (9 Mbps, 60 ms a response, paid by the worker's fetches too) a photo dropped while Python
    and the model are still downloading: the progress line names the step and counts its megabytes."""
    site = Site.copy_of_dist(tmp_path, isolated=False, link=Link(mbps=9, latency_s=0.06))
    try:
        page.goto(site.url)
        wait_for_state(page, "shown")  # the sample, before Python
        seen = []

        def drop_and_watch():
            page.locator("#file").set_input_files(photo_with_depth(320, 240)[:1])
            for words in ("Starting Python|Loading NumPy", "Loading the depth model"):
                handle = page.wait_for_function(
                    """(words) => {
                    const text = document.getElementById('status-text').textContent;
                    return document.body.dataset.state === 'working' && new RegExp(`(${words}).* [0-9.]+ of [0-9.]+ MB`).test(text)
                        && [text, document.getElementById('progress').value];
                }""",
                    arg=words,
                    timeout=90_000,
                )
                seen.append(handle.json_value())

        assert after_opening(page, drop_and_watch) == "shown", page.locator("#alert").inner_text()
    finally:
        site.stop()
    for text, fraction in seen:
        received, total = (float(x) for x in re.search(r"([0-9.]+) of ([0-9.]+) MB", text).groups())
        assert 0 <= received <= total and 0 <= fraction <= 1, seen


def test_a_host_that_sends_the_stored_zips_whole_gets_their_gzip_copies_instead(page, tmp_path):
    """Python's stored zips (build.py lean_archives) from a host that neither sends their precompressed copies nor
    compresses zips (most CDNs compress text types only): the worker stops the whole file at its headers, takes the
    gzip copy beside it and inflates it itself; the service worker keeps the inflated file, so the next visit asks
    for neither."""
    site = Site.copy_of_dist(tmp_path, isolated=False, precompressed=False, link=Link(mbps=200, latency_s=0.01))
    try:
        page.goto(site.url)
        wait_for_state(page, "shown")
        page.evaluate("() => window.diorama.ready")
        assert open_files(page, photo_with_depth(320, 240)[:1]) == "shown", page.locator("#alert").inner_text()
        wait_until_offline_ready(page)
        stored = json.loads((site.dist / "build.json").read_text())["storedArchives"]
        for path in stored:
            whole = (site.dist / path).stat().st_size
            sent = {r.path.lstrip("/"): r.sent for r in site.requests if r.path.lstrip("/") in (path, f"{path}.gz")}
            assert sent.get(f"{path}.gz") == (site.dist / f"{path}.gz").stat().st_size, (path, sent)
            # stopped at its headers (what socket buffers hold went out: most of a small file)
            assert sent.get(path, 0) < (0.5 * whole if whole > 1_000_000 else whole), f"{path}: {sent} of {whole}"
        site.requests.clear()
        page.reload()
        wait_for_state(page, "shown")
        page.evaluate("() => window.diorama.ready")
        asked = {r.path.lstrip("/") for r in site.requests}
        assert not asked & ({*stored} | {f"{path}.gz" for path in stored}), asked
    finally:
        site.stop()


@pytest.mark.parametrize("precompressed", [True, False], ids=["sent-as-gzip", "gzip-copy-taken-by-the-worker"])
def test_a_damaged_gzip_copy_is_refused_in_one_line_and_a_reload_after_the_fix_starts(page, tmp_path, precompressed):
    """numpy's stored zip is checked against build.json's SHA-256 (stored-archives.js), whether the host sends its
    damaged gzip copy with Content-Encoding (Python gets it as it streams, checked meanwhile) or the worker takes
    that copy itself: the start stops with one line naming the file, the sample stays on screen, and once the host
    has the right file a reload starts Python (nothing wrong was kept)."""
    site = Site.copy_of_dist(tmp_path, isolated=False, precompressed=precompressed)
    copy = next(site.dist.glob("pyodide/numpy-*-1lean-*.whl.gz"))
    copy.with_suffix(".br").unlink()  # a host that has the gzip copy only
    good = copy.read_bytes()
    copy.write_bytes(gzip.compress(b"not numpy" * 1000))
    os.utime(copy, (time.time() + 60,) * 2)  # newer than the file: build.py serve sends it
    named = copy.relative_to(site.dist).as_posix().removesuffix(".gz" if precompressed else "")
    try:
        page.goto(site.url)
        wait_for_state(page, "shown")
        page.wait_for_function("() => document.getElementById('alert-text')?.textContent.includes('SHA-256')")
        alert = page.locator("#alert-text").inner_text()
        assert f"{named} differs from this build (SHA-256)" in alert, alert
        assert "\n" not in alert.strip(), alert
        assert stage_pixels(page).std() > 20, "the sample is gone"
        copy.write_bytes(good)
        # the host deployed again: newer files (build.py serve's validator is the file's time)
        for path in (copy, copy.with_suffix("")):
            os.utime(path, (time.time() + 120,) * 2)
        page.reload()
        wait_for_state(page, "shown")
        page.evaluate("() => window.diorama.ready")
        assert open_files(page, photo_with_depth(320, 240)) == "shown", page.locator("#alert").inner_text()
    finally:
        site.stop()
