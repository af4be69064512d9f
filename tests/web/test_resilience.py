"""Resilience: when the pipeline worker dies, the page notices, replaces it, says so, and stays usable."""

from __future__ import annotations

import pytest

from .support import change_contrast, open_files, photo_with_depth, stage_pixels

pytestmark = pytest.mark.browser

# Ways a worker dies. "close" and "hang" are silent (no event reaches the page; the client's heartbeat
# notices, within 20 s, or within QUICK_HEARTBEAT's 3 s in these tests, and terminates the hung one); "throw" is an
# uncaught error (the worker's error event, at once).
KILLS = {
    "close": "() => { setTimeout(() => self.close(), 0); }",
    "hang": "() => { setTimeout(() => { for (;;) {} }, 0); }",
    "throw": "() => { setTimeout(() => { throw new Error('simulated crash'); }, 0); }",
}


# The client's heartbeat made quick (worker/client.js setHeartbeat), so that a hung worker is noticed in seconds.
QUICK_HEARTBEAT = {"heartbeatMs": 250, "deadAfterMs": 3000}
DEFAULT_HEARTBEAT = {"heartbeatMs": 2000, "deadAfterMs": 20000}


def set_heartbeat(page, timings: dict) -> None:
    page.evaluate("(timings) => window.diorama.client.setHeartbeat(timings)", timings)


def quick_heartbeat_until_replaced(page) -> None:
    """The quick heartbeat for the worker now, once it is idle (the sample's layers made: a long Python step takes
    seconds on a busy machine), and the usual one for the next (its start is no test of the heartbeat either)."""
    page.wait_for_function("() => ['ready', 'failed'].includes(document.body.dataset.layers)", timeout=90_000)
    page.evaluate(
        """([quick, usual]) => { const client = window.diorama.client, restarts = client.restarts;
        client.setHeartbeat(quick);
        const watch = setInterval(() => {
            if (client.restarts > restarts) { clearInterval(watch); client.setHeartbeat(usual); } }, 10); }""",
        [QUICK_HEARTBEAT, DEFAULT_HEARTBEAT],
    )


def pipeline_workers(page) -> list:
    """The pipeline workers of the page (onnxruntime's thread workers come and go with the model)."""
    return [w for w in page.workers if w.url.endswith("/worker/worker.js")]


@pytest.mark.parametrize("how", KILLS)
def test_a_dead_worker_is_replaced_and_the_next_photo_works(app, how):
    [worker] = pipeline_workers(app)
    quick_heartbeat_until_replaced(app)
    worker.evaluate(KILLS[how])
    app.wait_for_function("() => !document.getElementById('alert').hidden", timeout=30_000)
    assert "restarted" in app.locator("[role=alert]").inner_text()
    assert app.evaluate("() => document.body.dataset.state") == "error"
    assert stage_pixels(app).std() > 20, "the photo shown before was lost"
    # The new worker was given the photo on screen again: its depth can still be adjusted.
    change_contrast(app, "4")
    assert "restarted" in app.locator("[role=alert]").inner_text(), "adjusting failed in the new worker"
    assert app.locator("#alert").is_hidden() and app.evaluate("() => document.body.dataset.state") == "shown"
    assert open_files(app, photo_with_depth(400, 300, name="after")) == "shown"
    assert app.locator("#alert").is_hidden()
    assert len(pipeline_workers(app)) == 1 and pipeline_workers(app)[0] is not worker


def test_small_files_that_decode_huge_are_refused_quickly_and_the_shown_photo_stays_usable(app):
    import time

    from tests.forged import float_tiff_header, png

    from .support import file_payload

    assert open_files(app, photo_with_depth(320, 240, name="kept")) == "shown"
    for name, data in (
        ("tall.png", png(1, 100_000_000)),
        ("wide.png", png(100_000_000, 1)),
        ("float.tif", float_tiff_header(10_000, 10_000)),
    ):
        started = time.monotonic()
        assert open_files(app, [file_payload(name, data)]) == "error"
        assert time.monotonic() - started < 10, f"{name} took too long to refuse"
        alert = app.locator("[role=alert]").inner_text()
        assert alert.startswith("This image is too large to process here") and "went wrong" not in alert, alert
    assert app.evaluate("() => window.diorama.client.restarts") == 0  # the worker survived
    change_contrast(app, "3")
    assert app.evaluate("() => window.diorama.depth().then((d) => [d.width, d.height])") == [320, 240]


def test_a_worker_whose_memory_grew_large_is_replaced_quietly_once_idle(app):
    assert open_files(app, photo_with_depth(320, 240, name="kept")) == "shown"
    app.evaluate("() => { window.diorama.client.replaceHeapAbove = 1; }")  # any heap counts as large now
    [worker] = pipeline_workers(app)
    change_contrast(app, "3")
    app.wait_for_function("() => window.diorama.client.restarts === 1", timeout=30_000)
    app.evaluate("() => { window.diorama.client.replaceHeapAbove = 2 ** 30; }")
    assert app.locator("#alert").is_hidden()
    # the new worker was given the photo on screen: settings still apply to it
    app.wait_for_function("() => window.diorama.rawDepth().then(() => true, () => false)", timeout=60_000)
    change_contrast(app, "1")
    assert app.evaluate("() => window.diorama.depth().then((d) => [d.width, d.height])") == [320, 240]
    assert app.locator("#alert").is_hidden()
    assert len(pipeline_workers(app)) == 1 and pipeline_workers(app)[0] is not worker


def test_a_worker_that_announced_a_long_step_is_not_taken_for_dead(app):
    # Stereo matching on a slow phone is one long synchronous step: the worker says so first ({quietFor}),
    # and the heartbeat waits for it instead of replacing a busy worker as a hung one (6 s > its 3 s here).
    [worker] = pipeline_workers(app)
    quick_heartbeat_until_replaced(app)
    worker.evaluate("""() => { postMessage({quietFor: 60000});
        const end = performance.now() + 6000; while (performance.now() < end) {}
        postMessage({quietFor: 0}); }""")  # returns once the step is over
    # the ping sent during the step is answered now (or the worker was replaced meanwhile)
    app.wait_for_function("() => window.diorama.client.pingSentAt === null || window.diorama.client.restarts > 0")
    set_heartbeat(app, DEFAULT_HEARTBEAT)  # what follows is no test of the heartbeat
    assert app.locator("#alert").is_hidden()
    assert app.evaluate("() => window.diorama.client.restarts") == 0
    assert pipeline_workers(app) == [worker]
    assert open_files(app, photo_with_depth(400, 300, name="after")) == "shown"
