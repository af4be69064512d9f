"""The first visit from any static host (issue 29): the photo before the precache and every file fetched once
(web/fetched-files.js hands the page's files to the service worker's precache); a host that sends no COOP/COEP
headers (most do not) still gets cross-origin isolation from the service worker (web/sw.js, withIsolation) once
it controls the page."""

from __future__ import annotations

from collections import Counter

import pytest

from .site import Site
from .support import open_files, photo_with_depth, wait_for_state
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
BIG_FILES = ("pyodide/pyodide.asm.wasm", "pyodide/numpy-", "vendor/ort/ort-wasm-simd-threaded.wasm", "models/depth.onnx")


def test_the_first_photo_comes_before_the_precache_and_every_file_is_fetched_once(page, plain_site):
    page.goto(plain_site.url)
    wait_for_state(page, "shown")
    page.evaluate("() => window.diorama.ready")
    assert open_files(page, photo_with_depth(320, 240)[:1]) == "shown", page.locator("#alert").inner_text()
    before_photo = {r.path.lstrip("/") for r in plain_site.requests}
    assert "precache.json" not in before_photo and "vendor/libheif/libheif.wasm" not in before_photo, (
        "the precache started before the person's photo was shown")
    wait_until_offline_ready(page)

    fetched = Counter(r.path.lstrip("/") for r in plain_site.requests)
    for name in BIG_FILES:
        counts = {path: n for path, n in fetched.items() if path.startswith(name)}
        assert counts and set(counts.values()) == {1}, f"{name}: {counts}"
    # and the whole site is offline now: the precache took those files over from the page
    assert "vendor/libheif/libheif.wasm" in fetched
