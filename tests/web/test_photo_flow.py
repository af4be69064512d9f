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
        assert option.label in app.locator(f"label[for={option.name}]").inner_text()


def test_a_look_sets_its_contrast(app):
    app.select_option("#curve", "linear")
    assert app.locator("#contrast").input_value() == "5"
    app.select_option("#curve", "soft")
    assert app.locator("#contrast").input_value() == "1.5"


def test_a_setting_changed_during_an_open_waits_for_it_and_applies_to_the_new_photo(app):
    photo, _ = scene(300, 200)
    slow = [file_payload("slow.jpg", encode(photo, "JPEG"), "image/jpeg")]  # model depth: the worker is busy
    result = app.evaluate(
        """async (files) => {
        const make = files.map((f) => new File([new Uint8Array(f.bytes)], f.name, {type: f.type}));
        const opened = window.diorama.open(make).then(() => 'shown', (err) => err.name);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const contrast = document.getElementById('contrast');
        contrast.value = '0';   // flat depth
        contrast.dispatchEvent(new Event('change'));
        const outcome = await opened;
        const depth = await window.diorama.depth();
        return {outcome, width: depth.width, spread: Math.max(...depth.data) - Math.min(...depth.data)};
    }""",
        _js_files(slow),
    )
    assert result == {"outcome": "shown", "width": 300, "spread": 0}
    assert _held_width(app) == 300


# A big JPEG made in the page (noise: about 5 MB at 2400x1800, depth from the model), kept as window[name],
# so no megabytes cross from Python.
def _make_big_jpeg(app, name: str) -> int:
    return app.evaluate(
        """async (name) => {
        const [width, height] = [2400, 1800];
        const canvas = new OffscreenCanvas(width, height);
        const context = canvas.getContext('2d');
        const pixels = context.createImageData(width, height);
        for (let i = 0; i < pixels.data.length; i += 65536) crypto.getRandomValues(pixels.data.subarray(i, i + 65536));
        for (let i = 3; i < pixels.data.length; i += 4) pixels.data[i] = 255;
        context.putImageData(pixels, 0, 0);
        window[name] = new File([await canvas.convertToBlob({type: 'image/jpeg', quality: 0.95})], `${name}.jpg`,
            {type: 'image/jpeg'});
        return window[name].size;
    }""",
        name,
    )


_LAYERS_READY = "() => document.body.dataset.layers === 'ready'"


def test_a_drop_shows_progress_at_once_and_layers_stay_pending_until_its_clean_view(app):
    app.wait_for_function(_LAYERS_READY, timeout=90_000)  # the sample's
    assert _make_big_jpeg(app, "big") > 4_000_000
    at_once = app.evaluate("""() => {
        window.seen = [];
        new MutationObserver(() => window.seen.push(`${document.body.dataset.state} ${document.body.dataset.layers}`))
            .observe(document.body, {attributes: true, attributeFilter: ['data-state', 'data-layers']});
        const drop = new DataTransfer();
        drop.items.add(window.big);
        document.dispatchEvent(new DragEvent('drop', {dataTransfer: drop, bubbles: true, cancelable: true}));
        // still in the drop's own task: the file has not even been read yet
        return {state: document.body.dataset.state, layers: document.body.dataset.layers,
            status: getComputedStyle(document.getElementById('status')).display,
            text: document.getElementById('status-text').textContent};
    }""")
    assert at_once["status"] != "none", "the progress is hidden"
    assert {**at_once, "status": None} == {
        "state": "working",
        "layers": "pending",
        "status": None,
        "text": "Reading the photo…",
    }, at_once
    app.wait_for_function(_LAYERS_READY, timeout=90_000)
    seen = app.evaluate("() => window.seen")
    # working + pending at the drop, shown (layers still pending) with the first 3D frame, then the clean edges
    assert seen[0] == "working pending" and seen[-1] == "shown ready", seen
    assert seen.index("shown pending") < seen.index("shown ready"), seen
    timings = app.evaluate("() => window.diorama.timings")
    for stage in (
        "read",
        "queued",
        "decode",
        "depth",
        "source",
        "model",
        "postprocess",
        "show",
        "frame",
        "firstFrame",
        "layers",
        "layersWorker",
    ):
        assert timings[stage] >= 0, (stage, timings)
    assert timings["model"] > 0 and timings["layers"] > timings["firstFrame"]


def test_a_new_photo_stops_the_previous_photos_layers_instead_of_waiting_for_them(app):
    """The first photo is shown; the worker is computing its layers when the second arrives: it stops them at
    its next step (no layers part is ever sent for the first photo) and opens the second at once."""
    _make_big_jpeg(app, "first")
    second = _js_files(photo_with_depth(320, 240, name="second"))
    app.evaluate(
        """async (second) => {
        window.layersSent = [];
        window.diorama.client.worker.addEventListener('message', ({data}) => {
            if (data.part === 'layers') window.layersSent.push(data.value.width);
        });
        await window.diorama.open([window.first]);  // resolves with its first 3D frame; its layers are under way
        const files = second.map((f) => new File([new Uint8Array(f.bytes)], f.name, {type: f.type}));
        await window.diorama.open(files);
    }""",
        second,
    )
    app.wait_for_function(_LAYERS_READY, timeout=90_000)
    assert app.evaluate("() => window.diorama.viewer.shown.photo.width") == 320
    assert app.evaluate("() => window.layersSent") == [320], "the first photo's layers were computed and sent"


# Posts two adjust requests for the held photo straight to the worker, one with its interrupt flag already set
# (as the page sets it when it gives a request up) and one without: what each sent back, by part.
_ADJUST_WITH_FLAGS = """async (photoId) => {
    const worker = window.diorama.client.worker;
    const replies = {};
    const flags = {interrupted: 2, control: 0};
    const ids = {interrupted: 1e9, control: 1e9 + 1};
    const done = new Promise((resolve) => worker.addEventListener('message', function listen({data}) {
        for (const [name, id] of Object.entries(ids)) {
            if (data.id !== id) continue;
            replies[name] ??= [];
            replies[name].push(data.part ?? (data.error ? `error ${data.error.code}` : 'result'));
        }
        if (['interrupted', 'control'].every((name) => replies[name]?.some((r) => !['depth', 'layers'].includes(r)))) {
            worker.removeEventListener('message', listen);
            resolve();
        }
    }));
    for (const [name, id] of Object.entries(ids)) {
        const interrupt = new Int32Array(new SharedArrayBuffer(4));
        interrupt[0] = flags[name];
        worker.postMessage({id, op: 'adjust', args: {photoId, options: {}}, interrupt, sentAt: Date.now()});
    }
    await done;
    return replies;
}"""


def test_a_set_interrupt_flag_stops_the_requests_layers_inside_python(app):
    """On a cross-origin isolated page every abortable request carries an interrupt flag on shared memory; the
    worker arms it around the layers (Python's longest steps), so a request given up stops inside a step
    (KeyboardInterrupt) instead of at the step's end, and sends no layers."""
    assert app.evaluate("() => crossOriginIsolated")
    app.evaluate("""() => {
        window.heldIds = [];
        window.diorama.client.worker.addEventListener('message', ({data}) => {
            if (data.part === 'depth') window.heldIds.push(data.value.photoId);
        });
    }""")
    assert open_files(app, photo_with_depth(320, 240)) == "shown"
    photo_id = app.evaluate("() => window.heldIds.at(-1)")
    replies = app.evaluate(_ADJUST_WITH_FLAGS, photo_id)
    assert replies == {"interrupted": ["depth", "error cancelled"], "control": ["depth", "layers", "result"]}
    # the worker is still fine: the next setting gets its layers
    app.evaluate("() => { document.body.dataset.layers = ''; }")
    app.select_option("#curve", "linear")
    app.wait_for_function(_LAYERS_READY, timeout=90_000)


def test_giving_a_request_up_sets_its_interrupt_flag(app):
    captured = app.evaluate("""async () => {
        const client = window.diorama.client;
        const posted = [];
        const post = client.worker.postMessage;
        client.worker.postMessage = (message) => posted.push(message);  // held back from the worker
        const controller = new AbortController();
        const call = client.call('memory', {}, {signal: controller.signal}).catch((err) => err.name);
        const plain = client.call('memory');  // no signal: nothing can give it up
        const before = Atomics.load(posted[0].interrupt, 0);
        controller.abort();
        const outcome = await call;
        client.worker.postMessage = post;
        client.finish(posted[1].id);
        return {before, after: Atomics.load(posted[0].interrupt, 0), outcome, cancel: posted[2]?.cancel === posted[0].id,
                plain: posted[1].interrupt};
    }""")
    assert captured == {"before": 0, "after": 2, "outcome": "AbortError", "cancel": True, "plain": None}


@pytest.mark.browser_context_args(reduced_motion="no-preference")  # the idle motion on, as by default
def test_the_view_holds_still_while_a_photo_is_prepared_then_its_idle_motion_resumes(app):
    """The idle motion (on by default) stops while a dropped photo is prepared, until its clean-edge view is on
    screen: its frames would compete with the preparation for the device. Then it fades in again."""
    app.wait_for_function(_LAYERS_READY, timeout=90_000)
    assert app.locator("#idle_motion").is_checked()
    _make_big_jpeg(app, "big")
    app.evaluate("""() => {
        window.looks = [];
        const look = window.diorama.viewer.look.bind(window.diorama.viewer);
        window.diorama.viewer.look = (x, y) => {
            window.looks.push({at: performance.now(), layers: document.body.dataset.layers});
            return look(x, y);
        };
    }""")
    # the idle motion starts 3 s after the last input: there is some to begin with
    app.wait_for_function("() => window.looks.length > 5", timeout=15_000)
    app.evaluate("async () => { window.looks = []; await window.diorama.open([window.big]); }")
    app.wait_for_function(_LAYERS_READY, timeout=90_000)
    during = app.evaluate("() => window.looks.filter((l) => l.layers === 'pending').length")
    assert during <= 1, f"the view moved {during} times while the photo was prepared"  # 1: settling where it was
    # and it resumes
    app.wait_for_function("() => window.looks.filter((l) => l.layers === 'ready').length > 5", timeout=15_000)


def test_a_refused_photo_leaves_the_shown_photos_clean_edge_view(app):
    """A photo that cannot be opened changes nothing on screen: the shown photo's layers stay ready, or, when the
    refused open stopped them half way, are made again, while the refusal stays on screen."""
    app.wait_for_function(_LAYERS_READY, timeout=90_000)
    bad = [file_payload("bad.jpg", b"\xff\xd8 not a JPEG", "image/jpeg")]
    assert open_files(app, bad) == "error"
    assert app.evaluate("() => document.body.dataset.layers") == "ready"
    _make_big_jpeg(app, "big")
    app.evaluate("() => window.diorama.open([window.big])")  # resolves with its first frame: its layers under way
    assert app.evaluate("() => document.body.dataset.layers") == "pending"
    assert open_files(app, bad) == "error"
    app.wait_for_function(_LAYERS_READY, timeout=90_000)
    assert app.evaluate("() => window.diorama.viewer.shown.photo.width") == 2048  # the big photo, working size
    assert app.locator("#alert").is_visible()
