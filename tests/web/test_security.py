"""Privacy and security: the app runs under its strict Content-Security-Policy with zero violations
(page, workers, service worker), and nothing — least of all the photo — leaves the device.

Violations are caught two ways: a `securitypolicyviolation` listener that an init script puts in the
page before any of the app's code runs, and the CSP header's `report-uri`, which the test server adds
(see site.py), so that violations inside the pipeline worker, onnxruntime's threads and the service
worker are reported too. The app is driven through the file picker only.
"""

from __future__ import annotations

import html
import json
import re
import time
import urllib.request

import pytest

import build

from .site import Site
from .support import assert_all_local, encode, file_payload, open_files, scene, wait_for_state

pytestmark = pytest.mark.browser

LISTEN_FOR_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def site(tmp_path):
    site = Site.copy_of_dist(tmp_path)
    yield site
    site.stop()


def test_one_policy_in_the_meta_tag_and_the_header(site):
    index = (build.DIST / "index.html").read_text()
    metas = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', index)
    assert [html.unescape(m) for m in metas] == [build.CSP]
    assert index.index("Content-Security-Policy") < index.index("<script"), "the policy must precede every script"
    for directive in ("'unsafe-eval'", "'unsafe-inline'", "*", "http:", "https:"):
        assert directive not in build.CSP.split(), f"{directive} weakens the policy"
    assert "'wasm-unsafe-eval'" in build.CSP and "object-src 'none'" in build.CSP and "base-uri 'none'" in build.CSP
    with urllib.request.urlopen(site.url) as response:
        header = response.headers["Content-Security-Policy"]
    assert header.startswith(f"{build.CSP}; {build.CSP_HEADER_ONLY}")


def test_the_app_works_under_the_policy_without_violations(page, context, site, requests_seen):
    context.add_init_script(LISTEN_FOR_VIOLATIONS)
    page.goto(site.url)
    wait_for_state(page, "shown")
    photo, depth = scene(640, 480)
    assert (
        open_files(
            page,
            [
                file_payload("walk.jpg", encode(photo, "JPEG"), "image/jpeg"),
                file_payload("walk_depth.png", encode(depth, "PNG"), "image/png"),
            ],
        )
        == "shown"
    )
    if json.loads((site.dist / "build.json").read_text()).get("model"):  # onnxruntime-web under the policy too
        assert open_files(page, [file_payload("alone.jpg", encode(photo, "JPEG"), "image/jpeg")]) == "shown"
    page.wait_for_function("() => document.documentElement.dataset.offline === 'ready'", timeout=120_000)
    assert page.evaluate("() => window.__cspViolations") == []  # the page's own events: synchronous
    assert_all_local(requests_seen)

    # Reports travel asynchronously; a known violation sent last marks the end of what was sent. It comes from the
    # worker, so the reporting reaches into the worker too: a forbidden fetch there is reported.
    page.workers[0].evaluate("() => fetch('http://example.invalid/').catch(() => {})")
    deadline = time.monotonic() + 15
    while not site.csp_reports and time.monotonic() < deadline:
        page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => resolve()))")
    assert [r["csp-report"]["violated-directive"].split()[0] for r in site.csp_reports] == ["connect-src"], (
        site.csp_reports
    )


def test_no_photo_bytes_leave_the_device(page, context, site, requests_seen):
    bodies = []
    context.on("request", lambda request: bodies.append((request.method, request.url, request.post_data_buffer)))
    page.goto(site.url)
    wait_for_state(page, "shown")
    photo, depth = scene(800, 600)
    photo_bytes = encode(photo, "JPEG", quality=95)
    assert (
        open_files(
            page,
            [
                file_payload("private.jpg", photo_bytes, "image/jpeg"),
                file_payload("private_depth.png", encode(depth, "PNG"), "image/png"),
            ],
        )
        == "shown"
    )
    page.wait_for_function("() => document.documentElement.dataset.offline === 'ready'", timeout=120_000)

    assert_all_local(requests_seen)
    assert [r for r in site.requests if r.method not in ("GET", "HEAD") or r.body_length or r.chunked] == []
    assert [(m, u) for m, u, body in bodies if m not in ("GET", "HEAD") or body] == []
    requested = " ".join(r.path for r in site.requests) + " ".join(u for _, u, _ in bodies)
    assert "private" not in requested, "the photo's name reached the server"
    assert not any(photo_bytes[1000:1064] in (body or b"") for _, _, body in bodies)
