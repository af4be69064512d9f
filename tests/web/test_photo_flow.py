"""The photo flow's guarantees (web/photo-flow.js, worker/worker.js, bridge.Studio): photo ids, all-or-nothing
opens, superseded replies dropped, cancelled work never applied, and the options schema driving the controls."""

from __future__ import annotations

import pytest

from diorama.options import OPTIONS

from .support import encode, file_payload, open_files, photo_with_depth, scene

pytestmark = pytest.mark.browser

# Opens `first`, waits `delay` ms, opens `second`; records the width of every photo the viewer shows.
_OPEN_TWO = """async ([first, second, delay]) => {
    const make = (files) => files.map((f) => new File([new Uint8Array(f.bytes)], f.name, {type: f.type}));
    const shown = [];
    window.diorama.viewer.events.addEventListener('show', ({detail}) => shown.push(detail.photo.width));
    const outcome = (promise) => promise.then(() => 'shown', (err) => err.name);
    const a = outcome(window.diorama.open(make(first)));
    await new Promise((resolve) => setTimeout(resolve, delay));
    const b = await outcome(window.diorama.open(make(second)));
    return {first: await a, second: b, shown};
}"""


def _js_files(files: list[dict]) -> list[dict]:
    return [{"name": f["name"], "type": f["mimeType"], "bytes": list(f["buffer"])} for f in files]


def _held_width(app) -> int:
    return app.evaluate("() => window.diorama.rawDepth().then((d) => d.width)")


def test_a_drop_during_an_open_supersedes_it_and_its_photo_never_shows(app):
    photo, _ = scene(300, 200)
    slow = [file_payload("slow.jpg", encode(photo, "JPEG"), "image/jpeg")]  # model depth: the worker is busy
    result = app.evaluate(_OPEN_TWO, [_js_files(slow), _js_files(photo_with_depth(240, 180, name="fast")), 300])
    assert result == {"first": "AbortError", "second": "shown", "shown": [240]}
    assert _held_width(app) == 240  # the worker stopped the superseded open before committing it
    assert app.locator("[role=alert]").is_hidden()


def test_two_quick_setting_changes_show_only_the_last_and_the_first_is_never_applied(app):
    assert open_files(app, photo_with_depth(320, 240)) == "shown"
    app.evaluate("() => window.diorama.depth()")
    shown = app.evaluate("""async () => {
        const depths = [];
        window.diorama.viewer.events.addEventListener('show', ({detail}) => depths.push(detail.depth));
        const contrast = document.getElementById('contrast');
        for (const value of ['0.2', '4']) {
            contrast.value = value;
            contrast.dispatchEvent(new Event('change'));
        }
        await window.diorama.depth();
        return depths.length;
    }""")
    assert shown == 1
    last = app.evaluate("() => window.diorama.depth().then((d) => Array.from(d.data.slice(0, 4000)))")
    # the same setting made alone gives the same depth: nothing of the superseded change was applied
    app.evaluate("""async () => {
        const contrast = document.getElementById('contrast');
        contrast.value = '1'; contrast.dispatchEvent(new Event('change')); await window.diorama.depth();
        contrast.value = '4'; contrast.dispatchEvent(new Event('change')); await window.diorama.depth();
    }""")
    assert app.evaluate("() => window.diorama.depth().then((d) => Array.from(d.data.slice(0, 4000)))") == last


def test_the_controls_are_built_from_the_options_schema(app):
    for option in OPTIONS:
        control = app.locator(f"#{option.name}")
        if isinstance(option.default, bool):
            assert control.is_checked() == option.default, option.name
        elif option.choices:
            assert control.input_value() == option.default, option.name
            values = app.evaluate("(id) => [...document.getElementById(id).options].map((o) => o.value)", option.name)
            assert values == [c.value for c in option.choices]
        else:
            assert float(control.input_value()) == option.default, option.name
            assert float(control.get_attribute("min")) == option.minimum
            assert float(control.get_attribute("max")) == option.maximum
        assert option.label in app.locator(f"label:has(#{option.name})").inner_text()


def test_a_look_sets_its_contrast(app):
    app.select_option("#curve", "linear")
    assert app.locator("#contrast").input_value() == "5"
    app.select_option("#curve", "soft")
    assert app.locator("#contrast").input_value() == "1.5"


def test_a_setting_changed_during_an_open_waits_for_it_and_applies_to_the_new_photo(app):
    photo, _ = scene(300, 200)
    slow = [file_payload("slow.jpg", encode(photo, "JPEG"), "image/jpeg")]  # model depth: the worker is busy
    result = app.evaluate("""async (files) => {
        const make = files.map((f) => new File([new Uint8Array(f.bytes)], f.name, {type: f.type}));
        const opened = window.diorama.open(make).then(() => 'shown', (err) => err.name);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const contrast = document.getElementById('contrast');
        contrast.value = '0';   // flat depth
        contrast.dispatchEvent(new Event('change'));
        const outcome = await opened;
        const depth = await window.diorama.depth();
        return {outcome, width: depth.width, spread: Math.max(...depth.data) - Math.min(...depth.data)};
    }""", _js_files(slow))
    assert result == {"outcome": "shown", "width": 300, "spread": 0}
    assert _held_width(app) == 300
