"""From the gallery and back: photos shared into the installed app (the manifest's share target, answered by the
service worker, also offline), "Share…" after an export (Web Share API, stubbed: headless Chromium on Linux has no
Share sheet) and "Open with diorama" (File Handling's launchQueue, stubbed) — each opening as a drop does."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import urljoin

import numpy as np
import pytest
from PIL import Image

from .site import Site
from .support import after_opening, dispatch_files, encode, file_payload, photo_with_depth, scene, wait_for_state
from .test_offline import wait_until_offline_ready

pytestmark = pytest.mark.browser

SUB_PATH = "apps/diorama"  # as on a real host: the share target's action and the cache names carry the scope
NOT_AN_IMAGE = file_payload("notes.jpg", b"These are my notes, not a photo.\n" * 20, "image/jpeg")


@pytest.fixture
def site(tmp_path):
    site = Site.copy_of_dist(tmp_path, prefix=SUB_PATH)
    yield site
    site.stop()


@pytest.fixture
def installed(page, site):
    """The app after one visit: every file cached, its service worker in control."""
    page.goto(site.url)
    wait_for_state(page, "shown")
    wait_until_offline_ready(page)
    return page


def share(page, site: Site, files: list[dict]) -> None:
    """Share files into the app as a phone's Share sheet does: a multipart form POST navigation to the manifest's
    share target action, with the files in the field it names. The form is on a blank page of its own (the Share
    sheet is outside the app; the app's own policy, form-action 'none', allows it no form). Returns once the app
    has loaded from the redirect the service worker answers with."""
    target = json.loads((site.dist / "manifest.webmanifest").read_text())["share_target"]
    assert (target["method"], target["enctype"]) == ("POST", "multipart/form-data")
    action = urljoin(site.url + "manifest.webmanifest", target["action"])
    field = target["params"]["files"][0]["name"]
    page.goto("about:blank")
    page.set_content(
        f'<form method="post" enctype="multipart/form-data" action="{action}">'
        f'<input type="file" name="{field}" multiple></form>'
    )
    if files:
        page.set_input_files("input", files)
    with page.expect_navigation(url=lambda url: url.startswith(f"{site.url}?share=")):
        page.evaluate("() => document.forms[0].submit()")


def wait_until_opened(page) -> str:
    """The app's state once the shared files have been opened (shown or refused)."""
    page.wait_for_function("() => window.diorama?.settledOpens > 0", timeout=120_000)
    return page.evaluate("() => document.body.dataset.state")


def shown_size(page) -> list[int]:
    return page.evaluate("() => { const p = window.diorama.viewer.shown.photo; return [p.width, p.height]; }")


def shares_left(page) -> list[str]:
    return page.evaluate("async () => (await caches.keys()).filter((name) => name.startsWith('diorama-shared'))")


def assert_shown_from_share(page, site: Site, size: tuple[int, int], depth_source: str) -> None:
    assert wait_until_opened(page) == "shown", page.locator("#alert").text_content()
    assert shown_size(page) == list(size)
    assert page.locator("#depth-source").inner_text().startswith(depth_source)
    assert page.evaluate("() => location.href") == site.url, "a reload would look for the share again"
    assert shares_left(page) == [], "the page took the files: nothing of them may stay behind"
    assert not [r for r in site.requests if r.method == "POST"], "the share reached the server"
    assert site.csp_reports == [], "the share broke the Content-Security-Policy"


def model_bundled(site: Site) -> bool:
    return bool(json.loads((site.dist / "build.json").read_text()).get("model"))


def test_a_shared_photo_opens_with_its_depth_online_and_offline(installed, context, site):
    page = installed
    share(page, site, photo_with_depth(320, 240, name="online"))
    assert_shown_from_share(page, site, (320, 240), "Depth from your depth map")

    context.set_offline(True)
    site.stop()  # Chromium's offline mode does not cover a service worker's own fetches; no server does
    share(page, site, photo_with_depth(280, 210, name="offline"))
    assert_shown_from_share(page, site, (280, 210), "Depth from your depth map")
    assert page.locator("#alert").is_hidden()
    if model_bundled(site):  # a photo alone gets the model's depth, offline too
        share(page, site, photo_with_depth(240, 180, name="alone")[:1])
        assert_shown_from_share(page, site, (240, 180), "Depth estimated from the photo")


def test_several_shared_photos_open_the_first_with_its_own_depth_map_and_say_how_many(installed, site):
    page = installed
    first = photo_with_depth(320, 240, name="first")  # its depth map: the near square in the middle
    photo, depth = scene(320, 240)
    # the second photo's depth map, which comes first in the share: the near square at the left instead
    moved = Image.fromarray(np.roll(np.asarray(depth), -100, axis=1))
    second = [
        file_payload("second.jpg", encode(photo, "JPEG"), "image/jpeg"),
        file_payload("second_depth.png", encode(moved, "PNG"), "image/png"),
    ]
    third = file_payload("third.jpg", encode(scene(200, 150)[0], "JPEG"), "image/jpeg")
    share(page, site, [first[0], *second, third, first[1]])
    assert_shown_from_share(page, site, (320, 240), "Depth from your depth map")
    assert "3 photos were shared; this is the first." in page.locator("#depth-source").inner_text()
    shown = page.evaluate("() => window.diorama.depth().then((d) => Array.from(d.data))")
    shown = np.asarray(shown).reshape(240, 320)
    assert shown[100:140, 140:180].mean() > shown[100:140, 20:60].mean() + 0.2, "not the first photo's own depth map"


def test_a_shared_non_image_gets_a_drops_message_and_a_share_without_files_says_so(installed, context, site):
    page = installed
    context.set_offline(True)
    site.stop()
    share(page, site, [NOT_AN_IMAGE])
    assert wait_until_opened(page) == "error"
    message = page.locator("#alert-text").inner_text()
    assert shares_left(page) == []
    assert dispatch_files(page, "drop", [NOT_AN_IMAGE]) == "error"
    assert page.locator("#alert-text").inner_text() == message, "a share and a drop of the same file differ"
    assert after_opening(page, lambda: page.locator("#file").set_input_files(photo_with_depth(240, 180))) == "shown"

    share(page, site, [])
    page.wait_for_function("() => window.diorama?.timings.boot != null", timeout=120_000)  # the sample is shown
    page.wait_for_function("() => !document.getElementById('alert').hidden")
    assert page.locator("#alert-text").inner_text().startswith("Nothing was shared: the share held no file.")
    assert shares_left(page) == []
    assert after_opening(page, lambda: page.locator("#file").set_input_files(photo_with_depth(240, 180))) == "shown"


# Web Share stubbed: canShare says yes to what window.shareTest.accepts, share records the files it was handed
# (or fails with window.shareTest.failWith).
STUB_SHARE = """() => {
  window.shareTest = { accepts: true, failWith: null, shared: [], tries: 0 };
  navigator.canShare = (data) => window.shareTest.accepts && data.files.length > 0;
  navigator.share = async ({ files }) => {
    window.shareTest.tries += 1;
    if (window.shareTest.failWith) throw new DOMException('The share was not made.', window.shareTest.failWith);
    const read = (file) => file.arrayBuffer().then((buffer) => {
      let s = '';
      for (const byte of new Uint8Array(buffer)) s += String.fromCharCode(byte);
      return { name: file.name, type: file.type, data: btoa(s) };
    });
    window.shareTest.shared.push(await Promise.all(files.map(read)));
  };
}"""


def export_with_downloads(page, kind: str, count: int) -> list[tuple[str, bytes]]:
    """Export `kind` from the Export section; the downloads it made, (name, bytes)."""
    downloads = []

    def keep(download):
        downloads.append(download)

    page.on("download", keep)
    page.select_option("#export-kind", kind)
    page.click("#export-run")
    page.wait_for_function("() => !document.getElementById('export-run').disabled", timeout=60_000)
    while len(downloads) < count:  # (the sync API delivers events only while it waits: no race with the listener)
        page.wait_for_event("download")
    page.remove_listener("download", keep)
    assert len(downloads) == count, [d.suggested_filename for d in downloads]
    return [(d.suggested_filename, Path(d.path()).read_bytes()) for d in downloads]


def test_share_after_an_export_hands_over_the_exported_files_where_they_can_be_shared(app):
    app.evaluate(STUB_SHARE)
    assert app.locator("#export-share").is_hidden()
    downloads = export_with_downloads(app, "facebook", 2)  # the pair: two files in one share
    share_button = app.locator("#export-share")
    assert share_button.is_visible() and share_button.inner_text() == "Share…"
    share_button.click()
    app.wait_for_function("() => window.shareTest.shared.length === 1")
    shared = app.evaluate("() => window.shareTest.shared[0]")
    assert [(f["name"], base64.b64decode(f["data"])) for f in shared] == downloads
    assert [f["type"] for f in shared] == ["image/jpeg", "image/png"]

    # a cancelled share is no error; a failed one says so
    app.evaluate("() => { window.shareTest.failWith = 'AbortError'; }")
    share_button.click()
    app.wait_for_function("() => window.shareTest.tries === 2")  # (the click's handler has settled by the next task)
    assert app.locator("#alert").is_hidden() and app.evaluate("() => document.body.dataset.state") == "shown"
    app.evaluate("() => { window.shareTest.failWith = 'NotAllowedError'; }")
    share_button.click()
    app.wait_for_function("() => !document.getElementById('alert').hidden")
    assert app.locator("#alert-text").inner_text() == "Sharing failed: The share was not made."

    # where the browser cannot share the files, only the download
    app.evaluate("() => { window.shareTest.accepts = false; }")
    export_with_downloads(app, "depth", 1)
    assert share_button.is_hidden()
    app.evaluate("() => { navigator.canShare = undefined; }")  # a browser without Web Share
    export_with_downloads(app, "depth", 1)
    assert share_button.is_hidden()


# File Handling stubbed: the page's launchQueue keeps its consumer, which the test calls as the browser would for
# "Open with diorama" on files.
STUB_LAUNCH_QUEUE = """
Object.defineProperty(window, 'launchQueue', { configurable: true,
  value: { setConsumer(consumer) { window.launchTest = { consumer }; } } });
"""

LAUNCH = """async (files) => window.launchTest.consumer({ targetURL: location.href, files: files.map((f) => ({
  kind: 'file', name: f.name, getFile: async () => new File([new Uint8Array(f.bytes)], f.name, { type: f.type }) })) })"""


def test_a_photo_opened_with_diorama_opens_with_its_depth_map(context, page, site_url):
    context.add_init_script(STUB_LAUNCH_QUEUE)
    page.goto(site_url)
    wait_for_state(page, "shown")

    def as_js(files):
        return [{"name": f["name"], "type": f["mimeType"], "bytes": list(f["buffer"])} for f in files]

    assert after_opening(page, lambda: page.evaluate(LAUNCH, as_js(photo_with_depth(300, 200)))) == "shown"
    assert shown_size(page) == [300, 200]
    assert page.locator("#depth-source").inner_text().startswith("Depth from your depth map")
    # several photos: the first, with its depth map, and a note saying how many
    first, other = photo_with_depth(320, 240, name="first"), photo_with_depth(200, 150, name="other")[0]
    assert after_opening(page, lambda: page.evaluate(LAUNCH, as_js([first[0], other, first[1]]))) == "shown"
    assert shown_size(page) == [320, 240]
    assert page.locator("#depth-source").inner_text() == (
        "Depth from your depth map (white = near). 2 photos were opened; this is the first."
    )
