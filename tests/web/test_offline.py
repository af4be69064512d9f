"""Offline and installable: the service worker's precache, a second visit without network, a new build
taking over cleanly, the web app manifest and its icons — all under a sub-path, as on a real host."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from PIL import Image

import build

from .site import Site
from .support import open_files, photo_with_depth, stage_pixels, wait_for_state

pytestmark = pytest.mark.browser

SUB_PATH = "apps/diorama"


def wait_until_offline_ready(page, timeout: float = 120_000) -> str:
    """Wait until every file is cached and a service worker controls the page; returns the version."""
    page.wait_for_function(
        """() => document.documentElement.dataset.offline === 'ready'
        && navigator.serviceWorker.controller !== null""",
        timeout=timeout,
    )
    return page.evaluate("() => document.documentElement.dataset.offlineVersion")


def cache_contents(page) -> dict[str, int]:
    """{cache name: number of entries} of every Cache Storage cache of the origin."""
    return page.evaluate("""async () => Object.fromEntries(await Promise.all((await caches.keys()).map(
        async (name) => [name, (await (await caches.open(name)).keys()).length])))""")


@pytest.fixture
def site(tmp_path):
    site = Site.copy_of_dist(tmp_path, prefix=SUB_PATH)
    yield site
    site.stop()


def manifest_of(site: Site) -> dict:
    return json.loads((site.dist / "precache.json").read_text())


def test_second_visit_works_with_the_network_off(page, context, site):
    page.goto(site.url)
    wait_for_state(page, "shown")
    version = wait_until_offline_ready(page)
    manifest = manifest_of(site)
    assert version == manifest["version"]
    caches = cache_contents(page)
    assert list(caches.values()) == [len(manifest["files"]) + 1], caches  # + its own precache.json
    assert f"/{SUB_PATH}/" in next(iter(caches)), "the cache name should carry the scope"
    # The precache starts once the page has loaded (diorama.ready), so it revalidates what it loaded (304)
    # instead of downloading it again. Playwright's contexts are incognito, whose in-memory HTTP cache
    # does not keep entries as large as pyodide.asm.wasm (10 MB); a normal profile's disk cache does.
    downloads = Counter(r.path for r in site.requests if r.status == 200)
    twice = [
        path for path, n in downloads.items() if n > 1 and (site.root / path.lstrip("/")).stat().st_size < 5_000_000
    ]
    assert not twice, f"downloaded twice on the first visit: {twice}"

    context.set_offline(True)
    site.stop()  # Chromium's offline mode does not cover a service worker's own fetches; no server does
    response = page.reload()
    assert response.from_service_worker
    wait_for_state(page, "shown")
    assert stage_pixels(page).std() > 20, "the sample is not shown"
    assert open_files(page, photo_with_depth(480, 360, name="offline")) == "shown"
    assert page.locator("#alert").is_hidden()
    if json.loads((site.dist / "build.json").read_text()).get("model"):
        photo = photo_with_depth(320, 240, name="alone")[:1]
        assert open_files(page, photo) == "shown", page.locator("#alert").inner_text()
    # the standard library's late half (build.py split_stdlib) comes from the offline cache too, on first import
    late = page.evaluate("() => window.diorama.importModules(['xml.dom.minidom', 'unittest.mock', 'encodings.cp1252'])")
    assert late == {"failed": {}, "lateFetched": True}


def test_a_usual_session_imports_nothing_from_the_late_standard_library(app):
    """Every module that starting Python and the pipeline import is in the core archive Pyodide boots from: a
    session (model depth, layers, a depth edit, the Python-made exports) never waits for the late archive."""
    assert open_files(app, photo_with_depth(320, 240, name="alone")[:1]) == "shown"
    app.wait_for_function("() => document.body.dataset.layers === 'ready'", timeout=90_000)
    assert open_files(app, photo_with_depth(320, 240, name="mapped")) == "shown"
    app.evaluate("() => window.diorama.stroke([[100, 100], [140, 120]], {brush_tool: 'nearer'})")
    app.evaluate("() => window.diorama.stroke([[160, 120]], {brush_tool: 'pop out'})")
    for kind in ("glb", "gdepth", "html", "depth", "facebook"):
        app.evaluate("(kind) => window.diorama.export(kind, {}).then(() => null)", kind)
    loaded = app.evaluate("() => window.diorama.importModules([])")
    assert loaded == {"failed": {}, "lateFetched": False}, (
        "a usual session imported a standard library module that web/worker/stdlib-core.txt does not list"
    )


def test_a_new_build_replaces_the_old_one_and_its_cache(page, site):
    page.goto(site.url)
    wait_for_state(page, "shown")
    first = wait_until_offline_ready(page)

    # "Build again with a change": a changed file, then the build's last step on the copy.
    info = json.loads((site.dist / "build.json").read_text())
    (site.dist / "build.json").write_text(json.dumps({**info, "rebuilt": True}, indent=2))
    second = build.write_precache_manifest(site.dist)["version"]
    assert second != first

    before_update = len(site.requests)
    page.reload()  # the browser compares sw.js on navigation and installs the new one
    page.wait_for_function("v => document.documentElement.dataset.offlineVersion === v", arg=second, timeout=120_000)
    wait_until_offline_ready(page)
    # The update fetched the new sw.js and precache.json and the one changed file; every other file (same
    # SHA-256) was copied from the old cache, not downloaded again.
    fetched = {r.path.removeprefix(f"/{SUB_PATH}/") for r in site.requests[before_update:]}
    assert fetched == {"sw.js", "precache.json", "build.json"}, sorted(fetched)
    caches = cache_contents(page)
    assert len(caches) == 1 and next(iter(caches)).endswith(second), f"the old cache is still there: {caches}"
    page.reload()
    wait_for_state(page, "shown")
    served = page.evaluate("async () => (await fetch('build.json')).json()")
    assert served.get("rebuilt") is True, "the page is still served the old build"


def test_web_app_manifest_and_icons_are_installable():
    dist = build.DIST
    index = (dist / "index.html").read_text()
    assert '<link rel="manifest" href="manifest.webmanifest">' in index
    assert '<meta name="theme-color"' in index
    manifest = json.loads((dist / "manifest.webmanifest").read_text())
    assert manifest["name"] and len(manifest["short_name"]) <= 12
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == ".", "relative, so the app installs under any sub-path"
    assert manifest["background_color"].startswith("#") and manifest["theme_color"].startswith("#")
    purposes = set()
    for icon in manifest["icons"]:
        src = icon["src"]
        assert not src.startswith(("/", "http:", "https:")), f"{src} is not relative"
        assert (dist / src).is_file(), f"{src} is missing from dist/"
        if icon["type"] == "image/png":
            width, height = (int(v) for v in icon["sizes"].split("x"))
            with Image.open(dist / src) as image:
                assert image.size == (width, height), f"{src} is {image.size}, the manifest says {icon['sizes']}"
                assert image.format == "PNG"
        purposes.update((icon.get("purpose") or "any").split())
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes and {"any", "maskable"} <= purposes
    maskable = next(i for i in manifest["icons"] if "maskable" in i.get("purpose", ""))
    with Image.open(dist / maskable["src"]) as image:
        assert np.asarray(image.convert("RGBA"))[..., 3].min() == 255, "a maskable icon must be opaque to its edges"
    cached = {f["url"] for f in json.loads((dist / "precache.json").read_text())["files"]}
    assert {"manifest.webmanifest", *(i["src"] for i in manifest["icons"])} <= cached


def test_chromium_reads_the_manifest_without_errors(page, site):
    page.goto(site.url)
    wait_for_state(page, "shown")
    wait_until_offline_ready(page)
    cdp = page.context.new_cdp_session(page)
    result = cdp.send("Page.getAppManifest")
    assert result["url"] == site.url + "manifest.webmanifest"
    assert not result["errors"], result["errors"]
    parsed = result.get("parsed") or {}
    if "scope" in parsed:  # newer Chromium: the manifest as the browser resolved it
        assert parsed["scope"] == site.url
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito-like; that is the only reason allowed not to offer installing.
    assert {e["errorId"] for e in errors} <= {"in-incognito"}, errors
