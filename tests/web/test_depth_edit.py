"""Depth editing in the app (issue #18): the depth brush through the stage's pointer events and the
window.diorama API, undo / redo, pop-out, the depth view; edits reach the rendered view, the display depth
and the exported depth map, and survive a slider change."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from .support import change_contrast, changed, encode, file_payload, open_files, photo_with_depth, settle, stage_pixels

pytestmark = pytest.mark.browser

LAYERS_READY = "() => ['ready', 'failed'].includes(document.getElementById('renderer').dataset.layers)"

# The display depth as the page has it, summarised in the page: mean depth over boxes (fractions of the photo)
# and a checksum of every texel, so no megabytes cross over.
DEPTH_SUMMARY = """async (boxes) => {
    const d = await window.diorama.depth();
    const mean = ([x0, y0, x1, y1]) => {
        let sum = 0, n = 0;
        for (let y = Math.floor(y0 * d.height); y < Math.floor(y1 * d.height); y++)
            for (let x = Math.floor(x0 * d.width); x < Math.floor(x1 * d.width); x++) { sum += d.data[y * d.width + x]; n++; }
        return sum / n;
    };
    let hash = 0;
    for (let i = 0; i < d.data.length; i++) hash = (hash * 31 + Math.round(d.data[i] * 255)) >>> 0;
    return {means: boxes.map(mean), hash, width: d.width, height: d.height};
}"""

# the sample scene (support.scene): a near square in the middle of a far background; the brush paints a
# horizontal line across the background's upper part, well away from the square
BRUSHED = [0.3, 0.12, 0.7, 0.18]  # right under the line
UNTOUCHED = [0.05, 0.8, 0.2, 0.95]  # far background the brush never reaches


def depth_summary(page):
    return page.evaluate(DEPTH_SUMMARY, [BRUSHED, UNTOUCHED])


def wait_for_edits(page, can_undo: bool):
    page.wait_for_function(
        "(on) => document.getElementById('undo-edit').disabled === !on", arg=can_undo, timeout=90_000
    )
    page.evaluate("() => window.diorama.depth()")  # the edited depth shown, everything before settled


def exported_depth(page) -> np.ndarray:
    exported = page.evaluate("""async () => { const {name, blob} = await window.diorama.export('depth');
        return {name, bytes: Array.from(new Uint8Array(await blob.arrayBuffer()))}; }""")
    assert exported["name"] == "photo_depth.png"
    return np.asarray(Image.open(io.BytesIO(bytes(exported["bytes"]))), dtype=np.float32) / 65535  # 16-bit grey


def box_mean(depth: np.ndarray, box) -> float:
    h, w = depth.shape
    return float(depth[int(box[1] * h) : int(box[3] * h), int(box[0] * w) : int(box[2] * w)].mean())


def test_painting_on_the_stage_changes_the_view_the_depth_and_the_export_and_undo_returns_it(app):
    assert open_files(app, photo_with_depth(640, 480)) == "shown"
    app.wait_for_function(LAYERS_READY, timeout=90_000)
    settle(app)
    app.evaluate("() => window.diorama.viewer.lookNow(1, 0)")
    view_before = stage_pixels(app)
    before = depth_summary(app)
    export_before = exported_depth(app)
    assert app.locator("#undo-edit").is_disabled() and app.locator("#depth-brush").is_hidden()

    app.click("#paint-depth")
    assert app.get_attribute("#paint-depth", "aria-pressed") == "true" and app.locator("#depth-brush").is_visible()
    app.select_option("#brush_tool", "nearer")
    app.evaluate("""() => { for (const [id, v] of [['brush_size', '10'], ['brush_strength', '1']]) {
        const input = document.getElementById(id); input.value = v; input.dispatchEvent(new Event('change')); } }""")
    app.evaluate("""() => { window.longTasks = []; window.shownWidths = [];
        window.diorama.viewer.events.addEventListener('show', (e) => window.shownWidths.push(e.detail.depth.width));
        new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration)))
            .observe({type: 'longtask'}); }""")
    box = app.locator("#stage canvas").bounding_box()
    photo = app.evaluate("() => window.diorama.viewer.photoBox()")
    scale = box["width"] / app.evaluate("() => window.diorama.viewer.canvas.width")
    left, top = box["x"] + photo["x"] * scale, box["y"] + photo["y"] * scale
    width, height = photo["width"] * scale, photo["height"] * scale
    focus_before = app.evaluate("() => window.diorama.viewer.focus")
    app.mouse.move(left + 0.3 * width, top + 0.15 * height)
    app.mouse.down()
    for i in range(1, 21):
        app.mouse.move(left + (0.3 + 0.02 * i) * width, top + 0.15 * height)
    app.mouse.up()
    wait_for_edits(app, True)
    long_tasks = app.evaluate("() => window.longTasks")
    widths = app.evaluate("() => window.shownWidths")
    assert 320 in widths and widths[-1] == 640, f"no reduced preview while painting, then the full depth: {widths}"

    after = depth_summary(app)
    assert after["means"][0] > before["means"][0] + 0.1, "the stroke did not bring the depth under it nearer"
    assert after["means"][1] == pytest.approx(before["means"][1], abs=0.03), "depth changed far from the brush"
    assert (after["width"], after["height"]) == (640, 480)  # the full depth after the release
    assert app.evaluate("() => window.diorama.viewer.focus") == focus_before  # painting is not a click-to-focus
    assert app.evaluate("() => window.diorama.viewer.view.targetX") == 1  # nor looking around
    app.evaluate("() => window.diorama.viewer.lookNow(1, 0)")
    view_after = stage_pixels(app)
    h, w = view_after.shape[:2]
    assert changed(view_before[int(0.05 * h) : int(0.3 * h)], view_after[int(0.05 * h) : int(0.3 * h)]) > 0.5, (
        "the rendered view did not change under the brush"
    )
    export_after = exported_depth(app)
    assert box_mean(export_after, BRUSHED) > box_mean(export_before, BRUSHED) + 0.1, "the exported depth lacks the edit"
    print(f"long main-thread tasks while painting (ms): {long_tasks}")
    assert max(long_tasks, default=0) < 200  # SwiftShader renders on the CPU here; the budget on a GPU is 50 ms

    app.keyboard.press("Control+z")
    wait_for_edits(app, False)
    undone = depth_summary(app)
    assert undone["hash"] == before["hash"], "undo did not return the depth exactly"
    assert not app.locator("#redo-edit").is_disabled()

    app.keyboard.press("Control+Shift+z")
    wait_for_edits(app, True)
    assert depth_summary(app)["hash"] == after["hash"]
    change_contrast(app, "3")
    kept = depth_summary(app)
    assert kept["hash"] != after["hash"]
    assert kept["means"][0] > kept["means"][1] + 0.1, "a slider change lost the edit"

    app.click("#reset-edits")
    app.wait_for_function("() => document.getElementById('redo-edit').disabled", timeout=90_000)
    app.evaluate("() => window.diorama.depth()")
    reset = depth_summary(app)
    assert reset["means"][0] == pytest.approx(reset["means"][1], abs=0.03), "reset edits left the edit"


def kite_scene(width=480, height=360) -> list[dict]:
    """A red kite against a grey sky, the depth map putting it at the sky's depth (the model's classic mistake)."""
    rng = np.random.default_rng(4)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.full((height, width, 3), 150, np.int16) + rng.integers(-10, 10, (height, width, 3))
    kite = np.hypot(x - 300, y - 150) < 50
    rgb[kite] = [210, 40, 40]
    depth = (60 + 120 * y / height).astype(np.uint8)
    return [
        file_payload(
            "kite.jpg", encode(Image.fromarray(rgb.clip(0, 255).astype(np.uint8)), "JPEG", quality=92), "image/jpeg"
        ),
        file_payload("kite_depth.png", encode(Image.fromarray(depth), "PNG"), "image/png"),
    ]


def test_api_strokes_pop_out_and_the_depth_view(app):
    assert open_files(app, kite_scene()) == "shown"
    kite, sky = [0.58, 0.36, 0.67, 0.47], [0.1, 0.36, 0.2, 0.47]
    means = lambda: app.evaluate(DEPTH_SUMMARY, [kite, sky])["means"]  # noqa: E731
    before = means()
    assert before[0] == pytest.approx(before[1], abs=0.03)
    state = app.evaluate("() => window.diorama.stroke([[300, 150]], {brush_tool: 'pop out', brush_strength: 1})")
    assert state == {"canUndo": True, "canRedo": False}
    popped = means()
    assert popped[0] > popped[1] + 0.1, "pop out did not bring the kite forward"
    assert popped[1] == pytest.approx(before[1], abs=0.05)

    # the depth view draws the display depth over the photo, and follows edits
    app.check("#show_depth")
    app.wait_for_function("() => !document.getElementById('depth-view').hidden")
    overlay = app.evaluate("""() => { const c = document.getElementById('depth-view');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const at = (u, v) => Array.from(px.slice((Math.floor(v * c.height) * c.width + Math.floor(u * c.width)) * 4, ((Math.floor(v * c.height) * c.width + Math.floor(u * c.width)) * 4) + 3));
        return {kite: at(0.625, 0.42), sky: at(0.15, 0.42), size: [c.width, c.height], clip: c.style.clipPath}; }""")
    assert overlay["size"] == [480, 360] and overlay["kite"] != overlay["sky"]
    assert "50" in overlay["clip"]  # half the photo by default: the photo shows beside it
    app.evaluate(
        "() => window.diorama.stroke([[40, 300], [200, 300]], {brush_tool: 'farther', brush_size: 10, brush_strength: 1})"
    )
    assert app.evaluate("() => window.diorama.undo()") == {"canUndo": True, "canRedo": True}
    assert means() == pytest.approx(popped, abs=1e-6), "one undo took back more than the last edit"
    assert app.evaluate("() => window.diorama.undo()") == {"canUndo": False, "canRedo": True}
    assert means() == pytest.approx(before, abs=1e-6)
    app.uncheck("#show_depth")
    app.wait_for_function("() => document.getElementById('depth-view').hidden")


@pytest.mark.parametrize("pointer_type", ["touch", "pen"])
def test_a_finger_or_a_pen_paints_too(app, pointer_type):
    assert open_files(app, photo_with_depth(320, 240)) == "shown"
    settle(app)  # idle motion off, view at rest in the centre
    app.click("#paint-depth")
    before = app.evaluate(DEPTH_SUMMARY, [BRUSHED, UNTOUCHED])["means"]
    # synthetic pointer events as a finger or a pen sends them (pointer events: one code path for all three)
    app.evaluate(
        """(type) => {
        const canvas = window.diorama.viewer.canvas, r = canvas.getBoundingClientRect(), box = window.diorama.viewer.photoBox();
        const k = r.width / canvas.width;
        const at = (u, v) => ({clientX: r.left + (box.x + u * box.width) * k, clientY: r.top + (box.y + v * box.height) * k});
        const send = (kind, u, v) => canvas.dispatchEvent(new PointerEvent(kind, {pointerType: type, pointerId: 9,
            isPrimary: true, button: 0, buttons: kind === 'pointerup' ? 0 : 1, bubbles: true, cancelable: true, ...at(u, v)}));
        send('pointerdown', 0.3, 0.15);
        for (let i = 1; i <= 20; i++) send('pointermove', 0.3 + 0.02 * i, 0.15);
        send('pointerup', 0.7, 0.15);
    }""",
        pointer_type,
    )
    wait_for_edits(app, True)
    after = app.evaluate(DEPTH_SUMMARY, [BRUSHED, UNTOUCHED])["means"]
    assert after[0] > before[0] + 0.04 and after[1] == pytest.approx(
        before[1], abs=0.03
    )  # default brush: half strength
    assert app.evaluate("() => window.diorama.viewer.view.targetX") == 0  # the finger painted instead of looking


# Ways the worker is replaced: a crash (an uncaught error in it: the client restarts it and says so), and the
# quiet replacement of an idle worker whose memory grew large (any heap counts as large here).
REPLACEMENTS = {
    "crash": lambda page: next(w for w in page.workers if w.url.endswith("/worker/worker.js")).evaluate(
        "() => { setTimeout(() => { throw new Error('simulated crash'); }, 0); }"
    ),
    "quiet": lambda page: page.evaluate("""() => { window.diorama.client.replaceHeapAbove = 1;
        return window.diorama.client.call('isDepthLike', {file: new ArrayBuffer(8)}).catch(() => null); }"""),
}


@pytest.mark.parametrize("how", REPLACEMENTS)
def test_a_new_worker_gets_the_edits_their_undo_history_and_the_settings(app, how):
    assert open_files(app, photo_with_depth(320, 240)) == "shown"
    change_contrast(app, "2")
    line = [[96, 36], [224, 36]]  # across BRUSHED
    app.evaluate(
        "(line) => window.diorama.stroke(line, {brush_tool: 'nearer', brush_size: 10, brush_strength: 1})", line
    )
    one = depth_summary(app)
    app.evaluate(
        "() => window.diorama.stroke([[60, 200], [260, 200]], {brush_tool: 'farther', brush_size: 10, brush_strength: 1})"
    )
    app.evaluate(
        "() => window.diorama.stroke([[20, 100], [20, 140]], {brush_tool: 'nearer', brush_size: 10, brush_strength: 1})"
    )
    two = depth_summary(app)
    assert app.evaluate("() => window.diorama.undo()") == {"canUndo": True, "canRedo": True}
    edited = depth_summary(app)
    assert edited["hash"] not in (one["hash"], two["hash"])

    REPLACEMENTS[how](app)
    app.wait_for_function("() => window.diorama.client.restarts === 1", timeout=30_000)
    app.evaluate("() => { window.diorama.client.replaceHeapAbove = 2 ** 30; }")
    assert depth_summary(app)["hash"] == edited["hash"], "the new worker shows the photo without its edits"
    assert app.evaluate("() => window.diorama.rawDepth().then(() => true)")  # it holds the photo
    assert app.input_value("#contrast") == "2"
    assert not app.locator("#undo-edit").is_disabled() and not app.locator("#redo-edit").is_disabled()
    # the undo history is the old worker's: redo and two undos step through the same depths
    assert app.evaluate("() => window.diorama.redo()") == {"canUndo": True, "canRedo": False}
    assert depth_summary(app)["hash"] == two["hash"]
    app.evaluate("() => window.diorama.undo()")
    app.evaluate("() => window.diorama.undo()")
    assert depth_summary(app)["hash"] == one["hash"]
    # and the new worker goes on recording: a crash now would restore this
    change_contrast(app, "1")
    assert depth_summary(app)["means"][0] > depth_summary(app)["means"][1] + 0.1
