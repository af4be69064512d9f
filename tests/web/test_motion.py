"""web/motion.js on its own: the controller's idle-motion holds (suspendIdle), on a bare same-origin page
with a stand-in viewer that records every look(x, y)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# attachMotion on a bare page; window.looks collects [x, y] per viewer.look call, window.wait(ms) sleeps.
MOUNT = """async (options) => {
    const { attachMotion } = await import(new URL('motion.js', location.href).href);
    window.looks = [];
    const canvas = document.body.appendChild(document.createElement('canvas'));
    const viewer = { canvas, look: (x, y) => window.looks.push([x, y]) };
    window.motion = attachMotion(viewer, options);
    window.wait = (ms) => new Promise((r) => setTimeout(r, ms));
}"""


@pytest.fixture
def bare(page, site_url):
    page.goto(site_url + "no-such-page.html")  # any same-origin document (a 404 page) will do
    return page


def looks_during(page, ms: int) -> list:
    """The looks the controller makes in the next `ms` milliseconds."""
    return page.evaluate("async (ms) => { window.looks = []; await window.wait(ms); return window.looks; }", ms)


def test_a_held_suspension_keeps_the_idle_motion_still_and_its_release_resumes_it(bare):
    bare.evaluate(MOUNT, {"idleMs": 150, "autoMotion": True})
    moving = looks_during(bare, 600)
    assert len(moving) > 5 and len({tuple(p) for p in moving}) > 5, "no idle motion to begin with"

    # a hold taken while the idle motion runs stops it at once, settled where the inputs left the view
    bare.evaluate("() => { window.looks = []; window.resumeA = window.motion.suspendIdle(); }")
    assert bare.evaluate("() => window.looks") == [[0, 0]]
    assert looks_during(bare, 600) == [], "the view moved while the idle motion was held"

    # two holders: the motion waits for both; a second resume() by the same holder releases nothing
    bare.evaluate("() => { window.resumeB = window.motion.suspendIdle(); window.resumeA(); window.resumeA(); }")
    assert looks_during(bare, 600) == [], "the view moved while one hold was left"

    # input still moves the view during a hold, and the idle motion stays still after it
    bare.evaluate("() => window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }))")
    assert looks_during(bare, 600) == []
    bare.evaluate(
        "() => { window.looks = []; window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft' })); }"
    )
    assert bare.evaluate("() => window.looks") == [[0, 0]]
    assert looks_during(bare, 400) == []

    bare.evaluate("() => window.resumeB()")
    resumed = looks_during(bare, 600)
    assert len(resumed) > 5 and len({tuple(p) for p in resumed}) > 5, "the idle motion did not resume"


def test_releasing_a_hold_does_not_turn_on_an_idle_motion_the_person_turned_off(bare):
    bare.evaluate(MOUNT, {"idleMs": 100, "autoMotion": True})
    bare.evaluate("() => { window.motion.setAutoMotion(false); window.motion.suspendIdle()(); }")
    assert looks_during(bare, 500) == []
    bare.evaluate("() => window.motion.setAutoMotion(true)")
    assert len(looks_during(bare, 500)) > 5
    # and the person's setting cannot end a hold either
    bare.evaluate("() => { window.resume = window.motion.suspendIdle(); window.motion.setAutoMotion(true); }")
    assert looks_during(bare, 500) == []
    bare.evaluate("() => { window.resume(); window.motion.destroy(); }")
    assert looks_during(bare, 500) == [], "the idle motion outlived destroy()"
