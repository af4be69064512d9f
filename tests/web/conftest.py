"""End-to-end fixtures: dist/ served on localhost, Debian's Chromium driven by pytest-playwright."""

from __future__ import annotations

import os
import shutil
import threading

import pytest

import build

from .support import CHROMIUM_ARGS, wait_for_state


def _chromium() -> str:
    path = os.environ.get("DIORAMA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is missing: run the tests through `python3 build.py test`, which installs it.")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": _chromium(),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Every test's page prefers reduced motion, so the idle motion stays off: it redraws the view every frame in
    software WebGL, two cores' worth (19.5 s of CPU in 10 s idle, 3.6 s without it), which every test's Python and
    model then waited behind. The tests of the idle motion ask for it back (``browser_context_args`` marker)."""
    return {**browser_context_args, "reduced_motion": "reduce"}


def _serve(isolated: bool):
    if not (build.DIST / "index.html").exists():
        pytest.fail("dist/ is not built: run the tests through `python3 build.py test`.")
    server = build.make_server(build.DIST, isolated=isolated)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def site_url():
    """dist/ served with COOP/COEP (cross-origin isolated: onnxruntime may use threads)."""
    yield from _serve(isolated=True)


@pytest.fixture(scope="session")
def plain_site_url():
    """dist/ served without COOP/COEP, as a plain static host would (single-threaded)."""
    yield from _serve(isolated=False)


@pytest.fixture
def requests_seen(context):
    """Every URL requested by the page and its workers during the test."""
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    return urls


@pytest.fixture
def app(page, site_url, requests_seen):
    """The app loaded with its sample shown."""
    return _loaded(page, site_url)


def _loaded(page, url: str):
    """`page` with the app at `url` open: its sample shown and Python taken over."""
    page.goto(url)
    wait_for_state(page, "shown")
    page.evaluate("() => window.diorama.ready")
    return page


@pytest.fixture(scope="module")
def shared_app(browser, browser_context_args, site_url):
    """One app page for a module's list of photos (the refused ones, the unusual ones): each test leaves it usable
    and showing a photo, which is what those tests check, so the next starts where a person would."""
    context = browser.new_context(**browser_context_args)
    yield _loaded(context.new_page(), site_url)
    context.close()
