"""Resilience: when the pipeline worker dies, the page notices, replaces it, says so, and stays usable."""

from __future__ import annotations

import pytest

from .support import change_contrast, open_files, photo_with_depth, stage_pixels

pytestmark = pytest.mark.browser

# Ways a worker dies. "close" and "hang" are silent (no event reaches the page; the client's heartbeat
# notices within ~20 s, and terminates the hung one); "throw" is an uncaught error (the worker's error
# event, at once).
KILLS = {
    "close": "() => { setTimeout(() => self.close(), 0); }",
    "hang": "() => { setTimeout(() => { for (;;) {} }, 0); }",
    "throw": "() => { setTimeout(() => { throw new Error('simulated crash'); }, 0); }",
}


@pytest.mark.parametrize("how", KILLS)
def test_a_dead_worker_is_replaced_and_the_next_photo_works(app, how):
    [worker] = app.workers
    worker.evaluate(KILLS[how])
    app.wait_for_function("() => !document.getElementById('alert').hidden", timeout=60_000)
    assert "restarted" in app.locator("[role=alert]").inner_text()
    assert app.evaluate("() => document.body.dataset.state") == "error"
    assert stage_pixels(app).std() > 20, "the photo shown before was lost"
    # The new worker was given the photo on screen again: its depth can still be adjusted.
    change_contrast(app, "4")
    assert "restarted" in app.locator("[role=alert]").inner_text(), "adjusting failed in the new worker"
    assert open_files(app, photo_with_depth(400, 300, name="after")) == "shown"
    assert app.locator("#alert").is_hidden()
    assert len(app.workers) == 1 and app.workers[0] is not worker
