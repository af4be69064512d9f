"""The studio controls in the app: renderer choice and layers, click-to-focus, motion presets, export."""

from __future__ import annotations

import pytest

from .support import changed, open_files, photo_with_depth, settle, stage_pixels

pytestmark = pytest.mark.browser

LAYERS_READY = "() => ['ready', 'failed'].includes(document.getElementById('renderer').dataset.layers)"


def wait_for_layers(page) -> str:
    page.wait_for_function(LAYERS_READY, timeout=90_000)
    return page.evaluate("() => document.getElementById('renderer').dataset.layers")


def test_layered_is_the_default_and_gets_its_layers(app):
    assert app.evaluate("() => window.diorama.viewer.renderer") == "layered"
    assert app.evaluate("() => document.getElementById('renderer').value") == "layered"
    assert wait_for_layers(app) == "ready"
    assert int(app.evaluate("() => document.getElementById('renderer').dataset.layersMs")) > 0


def test_render_modes_can_be_switched_and_each_draws_parallax(app):
    # a photo with a sharp depth edge (a near square), where the modes must differ: 'layered' shows the
    # filled background the square uncovers, 'displacement' stretches the edge, 'classic' (the seed's stock
    # filter, one sample at the pixel) keeps the square's outline and slides what is inside it
    assert [
        o["value"]
        for o in app.evaluate("() => [...document.querySelectorAll('#renderer option')].map((o) => ({value: o.value}))")
    ] == ["layered", "displacement", "classic"]
    assert open_files(app, photo_with_depth(640, 480)) == "shown"
    wait_for_layers(app)
    still = settle(app)
    views = {}
    for name in ("displacement", "classic", "layered"):
        app.select_option("#renderer", name)
        assert app.evaluate("() => window.diorama.viewer.renderer") == name
        if name == "layered":
            assert wait_for_layers(app) == "ready"
        app.evaluate("() => window.diorama.look(1, 0)")
        app.wait_for_function("() => window.diorama.viewer.idle", timeout=30_000)
        views[name] = stage_pixels(app)
        app.evaluate("() => window.diorama.look(0, 0)")
        app.wait_for_function("() => window.diorama.viewer.idle", timeout=30_000)
        assert changed(still, views[name]) > 0.3, f"{name}: the view did not move"
    assert changed(views["displacement"], views["layered"]) > 0.05, (
        "the layered renderer draws the same as the displacement one"
    )
    assert changed(views["displacement"], views["classic"]) > 0.05, (
        "the classic mode draws the same as the displacement one"
    )


def test_a_new_photo_gets_new_layers(app):
    wait_for_layers(app)
    assert open_files(app, photo_with_depth(320, 240)) == "shown"
    assert wait_for_layers(app) == "ready"


def test_click_sets_the_focus_to_the_depth_under_the_pointer(app):
    assert open_files(app, photo_with_depth(640, 480)) == "shown"  # near square in the middle
    box = app.locator("#stage canvas").bounding_box()
    app.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert app.evaluate("() => window.diorama.viewer.focus") == pytest.approx(1.0, abs=0.02)
    app.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.08)  # the far background
    assert app.evaluate("() => window.diorama.viewer.focus") < 0.5


def test_presets_loop_and_zoom_changes_the_view(app):
    poses = app.evaluate("""async () => {
        const { PRESETS } = await import(new URL('motion/presets.js', location.href).href);
        return Object.entries(PRESETS).map(([name, path]) => [name, path(0, 0.8), path(1, 0.8), path(0.25, 0.8)]);
    }""")
    assert {name for name, *_ in poses} == {"circle", "horizontal swing", "vertical swing", "zoom", "dolly zoom"}
    for name, start, end, quarter in poses:
        assert start == pytest.approx(end, abs=1e-9), f"{name} does not loop"
        assert start != pytest.approx(quarter), f"{name} does not move"
    wait_for_layers(app)
    still = settle(app)
    app.evaluate("() => { window.diorama.viewer.setZoom(1, 0.05); }")
    app.wait_for_function("() => window.diorama.viewer.idle", timeout=30_000)
    assert changed(still, stage_pixels(app)) > 0.3, "zoom did not change the view"
    app.evaluate("() => window.diorama.viewer.setZoom(0, 0)")
    # a preset played from the UI holds the idle motion still through motion.suspendIdle() (tests/web/
    # test_motion.py), not by unticking the person's "Idle motion" box: that stays as it was
    app.check("#idle_motion")  # settle() above unticked it
    app.select_option("#preset", "circle")
    app.wait_for_function("() => !window.diorama.viewer.idle", timeout=10_000)
    assert app.is_checked("#idle_motion")
    app.select_option("#preset", "")
    assert app.is_checked("#idle_motion")


def export_with_button(app, kind: str) -> None:
    """Choose a kind in the Export section and press Export."""
    app.select_option("#export-kind", kind)
    app.click("#export-run")


def test_export_buttons_download_the_depth_map_and_the_facebook_pair(app):
    with app.expect_download() as depth_download:
        export_with_button(app, "depth")
    assert depth_download.value.suggested_filename == "photo_depth.png"
    names = []
    app.on("download", lambda download: names.append(download.suggested_filename))
    # the pair's depth map comes from the worker; photo.jpg is handed over just before it
    with app.expect_event(
        "download", lambda download: download.suggested_filename == "photo_depth.png", timeout=90_000
    ):
        export_with_button(app, "facebook")
    assert sorted(names) == ["photo.jpg", "photo_depth.png"]
