"""A studio that explains itself, on a desktop and on a phone (issue 18 part B): errors that can be dismissed and go
away after the next success, a depth map dropped alone, controls that show their value, reset and explain
themselves (keyboard, focus, axe-core), tilt's states, the phone layout, and "hold to compare"."""

from __future__ import annotations

from pathlib import Path

import pytest

import build

from .support import (
    after_opening,
    change_contrast,
    changed,
    encode,
    file_payload,
    open_files,
    photo_with_depth,
    scene,
    settle,
    stage_pixels,
    wait_for_state,
)

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 390, "height": 844}
LANDSCAPE = {"width": 844, "height": 390}
AXE = build.ROOT / "node_modules/axe-core/axe.min.js"
SCREENSHOTS = build.ROOT / "test-results"
BAD_PHOTO = [file_payload("notes.jpg", b"These are my notes, not a photo.\n" * 20)]


@pytest.fixture
def open_page(browser, playwright, site_url):
    """open_page(phone=None | viewport) -> a page of the app with its sample shown, on a desktop or an emulated
    phone (Pixel 7: touch, mobile, its pixel ratio) of that viewport; the CSP is bypassed so that tests may add axe-core."""
    contexts = []

    def open_page(phone: dict | None = None, init_script: str | None = None):
        device = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}
        context = browser.new_context(**({**device, "viewport": phone} if phone else {}), bypass_csp=True)
        contexts.append(context)
        page = context.new_page()
        if init_script:
            page.add_init_script(init_script)
        page.goto(site_url)
        wait_for_state(page, "shown")
        page.evaluate("() => window.diorama.ready")
        return page

    yield open_page
    for context in contexts:
        context.close()


def alert_shown(page) -> bool:
    return page.locator("#alert").is_visible()


def wait_alert_hidden(page) -> None:
    page.wait_for_function("() => document.getElementById('alert').hidden", timeout=30_000)


def serious_accessibility_violations(page) -> list:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
        .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }))""")
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"studio-{name}.png"
    page.screenshot(path=str(path))
    return path


# ----------------------------------------------------------------------------- errors


def test_an_error_can_be_dismissed_and_goes_away_after_the_next_success_and_the_page_says_shown(app):
    # <body data-state> says what a person sees: once the banner is gone, the photo on screen ('shown')
    def state():
        return app.evaluate("() => document.body.dataset.state")

    assert open_files(app, BAD_PHOTO) == "error"
    assert alert_shown(app)
    app.click("#alert-dismiss")
    assert not alert_shown(app) and state() == "shown"
    assert app.evaluate("() => document.activeElement.id") == "stage"  # the keyboard goes on from the photo

    assert open_files(app, BAD_PHOTO) == "error"  # a view option applied
    app.locator("#strength").focus()
    app.keyboard.press("ArrowRight")
    assert not alert_shown(app) and state() == "shown"

    assert open_files(app, BAD_PHOTO) == "error"  # a depth option applied
    change_contrast(app, "2")
    wait_alert_hidden(app)
    assert state() == "shown"

    assert open_files(app, BAD_PHOTO) == "error"  # an export done
    app.select_option("#export-kind", "depth")
    with app.expect_download():
        app.click("#export-run")
    wait_alert_hidden(app)
    assert state() == "shown"

    assert open_files(app, BAD_PHOTO) == "error"  # a photo shown
    assert open_files(app, photo_with_depth(320, 240)) == "shown"
    assert not alert_shown(app)


def test_a_depth_map_dropped_alone_asks_for_its_photo_or_is_shown_as_a_photo(app):
    photo, depth = scene(400, 300)
    shown = app.evaluate("() => window.diorama.depth().then((d) => [d.width, d.height, d.source])")
    lone = [file_payload("IMG_0001.png", encode(depth, "PNG"), "image/png")]
    assert open_files(app, lone) == "error"
    assert app.locator("#alert-text").inner_text() == "This looks like a depth map. Drop it together with its photo."
    assert app.locator("#alert-action").inner_text() == "Show it as a photo anyway"
    assert app.evaluate("() => window.diorama.depth().then((d) => [d.width, d.height, d.source])") == shown

    assert after_opening(app, lambda: app.click("#alert-action")) == "shown"  # the person says it is a photo
    assert not alert_shown(app)
    assert app.evaluate("() => window.diorama.depth().then((d) => [d.width, d.height, d.source])") == [
        400,
        300,
        "model",
    ]

    assert open_files(app, [file_payload("holiday.jpg", encode(photo, "JPEG"), "image/jpeg"), *lone]) == "shown"
    assert app.evaluate("() => window.diorama.depth().then((d) => d.source)") == "file"  # with its photo: its depth
    assert (
        open_files(app, [file_payload("holiday.jpg", encode(photo, "JPEG"), "image/jpeg")]) == "shown"
    )  # a photo alone
    assert not alert_shown(app)


# ----------------------------------------------------------------------------- controls

CONTROL = """(name) => {
    const input = document.getElementById(name);
    const hint = document.getElementById(input.getAttribute('aria-describedby'));
    const label = document.querySelector(`label[for="${name}"]`);
    const reset = input.closest('.option').querySelector('button.reset');
    const output = document.getElementById(`${name}-value`);
    return { label: label?.textContent, hint: hint?.textContent, hintShown: Boolean(hint?.checkVisibility()),
             reset: reset?.getAttribute('aria-label'), resetDisabled: reset?.disabled, output: output?.textContent ?? null,
             tag: input.tagName, value: input.type === 'checkbox' ? input.checked : input.value,
             outputFor: output?.getAttribute('for') ?? null };
}"""


@pytest.mark.browser_context_args(reduced_motion="no-preference")  # the idle motion on, as by default
def test_every_control_shows_its_value_has_a_reset_and_a_hint(app):
    options = app.evaluate("async () => (await import(new URL('options.js', location.href).href)).OPTIONS")
    for name, option in options.items():
        control = app.evaluate(CONTROL, name)
        assert control["label"] == option["label"], name
        # the depth view's controls sit over the photo and the brush's in paint mode: their hints are there for
        # screen readers (aria-describedby), shown only in the settings
        overlaid = name in ("show_depth", "depth_split") or option["stage"] == "brush"
        assert control["hint"] == option["hint"] and (control["hintShown"] or overlaid), name
        assert control["reset"].startswith(f"Reset {option['label']} to "), name
        assert control["resetDisabled"], f"{name}: its reset is offered at the default"
        if "choices" in option:
            assert control["tag"] == "SELECT"  # a list shows its choice itself
        else:
            assert control["output"] and control["outputFor"] == name, name
    assert app.evaluate(CONTROL, "strength")["output"] == "0.50"
    assert app.evaluate(CONTROL, "idle_motion")["output"] == "On"

    # the keyboard moves a slider; its value and its reset follow; the reset brings back the default
    app.locator("#strength").focus()
    app.keyboard.press("ArrowRight")
    app.keyboard.press("ArrowRight")
    assert app.evaluate(CONTROL, "strength")["output"] == "0.60"
    assert app.evaluate("() => window.diorama.viewer.strength") == pytest.approx(0.6)
    assert not app.evaluate(CONTROL, "strength")["resetDisabled"]
    app.click(".option:has(#strength) button.reset")
    control = app.evaluate(CONTROL, "strength")
    assert (control["output"], control["value"], control["resetDisabled"]) == ("0.50", "0.5", True)
    assert app.evaluate("() => window.diorama.viewer.strength") == pytest.approx(0.5)
    assert app.evaluate("() => document.activeElement.id") == "strength"

    # a look sets its contrast, and resetting the look sets the default contrast again
    app.select_option("#curve", "linear")
    assert app.evaluate(CONTROL, "contrast")["output"] == "5.0"
    app.click(".option:has(#curve) button.reset")
    assert app.evaluate(CONTROL, "curve")["value"] == "soft"
    assert app.evaluate(CONTROL, "contrast")["output"] == "1.5"

    # lists read like their labels
    sizes = app.evaluate("""() => ['curve', 'renderer', 'preset'].map((name) => [
        getComputedStyle(document.getElementById(name)).fontSize,
        getComputedStyle(document.querySelector(`label[for="${name}"]`)).fontSize])""")
    assert all(select == label for select, label in sizes), sizes
    # a desktop is told about dragging and pasting, not tapping; no tilt button without a sensor
    assert app.locator(".hint-pointer").is_visible() and app.locator(".hint-touch").is_hidden()
    assert app.locator("#tilt").is_hidden()


def test_the_keyboard_reaches_every_control_with_a_visible_focus(app):
    app.locator("#stage").focus()
    reached = {}
    for _ in range(200):
        app.keyboard.press("Tab")
        focused = app.evaluate("""() => { const el = document.activeElement;
            const ring = el.closest('.button') ?? el;
            const style = getComputedStyle(ring);
            return [el.id || el.getAttribute('aria-label') || el.name || el.tagName,
                    style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0]; }""")
        if focused[0] in reached:
            break
        reached[focused[0]] = focused[1]
    # every option but the depth brush's, which are offered in paint mode only (tests/web/test_depth_edit.py)
    options = app.evaluate("""async () => Object.values((await import(new URL('options.js', location.href).href)).OPTIONS)
        .filter((o) => o.stage !== 'brush' && o.name !== 'depth_split').map((o) => o.name)""")  # the split: once shown
    expected = {"file", "compare", *options, "paint-depth", "export-kind", "export-run", "stage"}
    assert expected <= set(reached), f"not reached by Tab: {expected - set(reached)}"
    assert all(reached[name] for name in expected), f"no visible focus: {[n for n in expected if not reached[n]]}"


def test_no_serious_accessibility_problems_on_a_desktop(open_page):
    page = open_page()
    assert serious_accessibility_violations(page) == []


def test_no_serious_accessibility_problems_on_a_phone_with_the_sheet_closed_and_open(open_page):
    page = open_page(PORTRAIT)
    assert serious_accessibility_violations(page) == []
    page.click("#sheet-toggle")
    assert serious_accessibility_violations(page) == []


# ----------------------------------------------------------------------------- tilt

# DeviceOrientationEvent.requestPermission as iOS Safari has it, answering what window.permission says.
IOS_PERMISSION = """DeviceOrientationEvent.requestPermission = () => Promise.resolve(window.permission);"""
TILT = """async () => { const tilt = (beta, gamma) => window.dispatchEvent(
    new DeviceOrientationEvent('deviceorientation', { alpha: 0, beta, gamma }));
    for (let i = 0; i < 10; i++) { tilt(40 + i, 10); await new Promise((r) => setTimeout(r, 20)); } }"""


def tilt_state(page) -> str:
    return page.locator("#tilt-state").inner_text()


def test_tilt_on_an_iphone_says_refused_no_sensor_and_on(open_page):
    page = open_page(PORTRAIT, IOS_PERMISSION)
    assert page.locator("#tilt").is_visible() and tilt_state(page) == ""
    page.evaluate("() => { window.permission = 'denied'; }")
    page.click("#tilt")
    page.wait_for_function("() => document.getElementById('tilt-state').textContent !== ''")
    assert tilt_state(page) == "Motion access was refused: allow it in Settings > Safari"
    assert page.locator("#tilt").is_visible()  # allowed in Settings, it can be asked again

    page.evaluate("() => { window.permission = 'granted'; }")
    page.click("#tilt")  # granted, but nothing reads the motion
    page.wait_for_function("() => document.getElementById('tilt-state').dataset.state === 'no-sensor'", timeout=5_000)
    assert tilt_state(page) == "No motion sensor on this device"
    assert page.locator("#tilt").is_hidden()

    page.evaluate(TILT)  # readings after all
    assert tilt_state(page) == "Tilt on"
    assert page.evaluate("() => window.diorama.viewer.view.targetY") != 0  # tilting the top moved the view


# Chromium 156 defines requestPermission on desktops too; older Chromium (and Firefox) do not. Neither is a phone.
NO_PERMISSION_API = """delete DeviceOrientationEvent.requestPermission;"""


@pytest.mark.parametrize("permission_api", [IOS_PERMISSION, NO_PERMISSION_API], ids=["chromium-156", "older"])
def test_a_desktop_is_offered_no_tilt_whether_or_not_it_has_the_permission_api(open_page, permission_api):
    page = open_page(None, permission_api)
    has_api = page.evaluate("() => typeof DeviceOrientationEvent.requestPermission === 'function'")
    assert has_api == (permission_api == IOS_PERMISSION)
    assert page.evaluate("() => navigator.maxTouchPoints") == 0
    assert page.locator("#tilt").is_hidden()
    page.evaluate(TILT)  # a desktop that reports tilt all the same: it works
    assert tilt_state(page) == "Tilt on"
    assert page.evaluate("() => window.diorama.viewer.view.targetY") != 0


def test_tilt_on_an_android_phone_is_on_once_readings_arrive(open_page):
    page = open_page(PORTRAIT)
    assert page.locator("#tilt").is_visible()  # a touch device: offered
    page.evaluate(TILT)
    assert tilt_state(page) == "Tilt on"
    assert page.locator("#tilt").is_hidden()


# ----------------------------------------------------------------------------- phone layout

LAYOUT = """() => {
    const box = (el) => el.getBoundingClientRect().toJSON();
    const photo = window.diorama.viewer.photoBox();
    const canvas = window.diorama.viewer.canvas;  // photoBox() is in canvas px
    const stage = box(document.getElementById('stage'));
    return { stage, innerWidth, innerHeight, scrollWidth: document.documentElement.scrollWidth,
             photoHeight: photo.height * canvas.clientHeight / canvas.height, controls: document.getElementById('controls').checkVisibility(),
             toggle: document.getElementById('sheet-toggle').checkVisibility(),
             expanded: document.getElementById('sheet-toggle').getAttribute('aria-expanded'),
             widest: Math.max(...[...document.querySelectorAll('body *')].filter((el) => el.checkVisibility())
                 .map((el) => el.getBoundingClientRect().right)) };
}"""


def test_an_upright_phone_gives_the_photo_the_screen_and_the_controls_a_sheet(open_page):
    page = open_page(PORTRAIT)
    photo, depth = scene(480, 640)  # an upright phone photo (3:4)
    assert (
        open_files(
            page,
            [
                file_payload("upright.jpg", encode(photo, "JPEG")),
                file_payload("upright_depth.png", encode(depth, "PNG")),
            ],
        )
        == "shown"
    )
    layout = page.evaluate(LAYOUT)
    screenshot(page, "phone-portrait")
    assert layout["stage"]["height"] >= 0.6 * layout["innerHeight"], layout
    assert layout["photoHeight"] >= 0.6 * layout["innerHeight"], layout
    assert layout["stage"]["width"] == layout["innerWidth"]
    assert (layout["controls"], layout["toggle"], layout["expanded"]) == (False, True, "false")  # starts collapsed
    assert layout["scrollWidth"] <= layout["innerWidth"] and layout["widest"] <= layout["innerWidth"] + 0.5, layout
    assert page.locator(".hint-touch").is_visible() and page.locator(".hint-pointer").is_hidden()
    assert "Tap" in page.locator("footer").inner_text() and "drag" not in page.locator("footer").inner_text().lower()
    for name in ("file", "compare"):  # opening and comparing need no sheet
        assert page.locator(f"#{name}").evaluate("(el) => (el.closest('.button') ?? el).checkVisibility()")

    page.click("#sheet-toggle")
    layout = page.evaluate(LAYOUT)
    screenshot(page, "phone-portrait-sheet")
    assert (layout["controls"], layout["expanded"]) == (True, "true")
    assert layout["scrollWidth"] <= layout["innerWidth"] and layout["widest"] <= layout["innerWidth"] + 0.5, layout
    page.locator("#strength").scroll_into_view_if_needed()
    assert page.locator("#strength").is_visible()
    page.click("#sheet-toggle")
    assert page.evaluate(LAYOUT)["controls"] is False


def test_a_sideways_phone_keeps_the_photo_large_with_the_controls_beside_it(open_page):
    page = open_page(LANDSCAPE)
    layout = page.evaluate(LAYOUT)
    screenshot(page, "phone-landscape")
    assert layout["stage"]["height"] >= 0.6 * layout["innerHeight"], layout
    assert layout["photoHeight"] >= 0.6 * layout["innerHeight"], layout  # the sample, a landscape photo
    assert layout["stage"]["width"] >= 0.55 * layout["innerWidth"], layout
    assert layout["controls"] and not layout["toggle"]  # beside the photo, scrolling
    assert layout["scrollWidth"] <= layout["innerWidth"] and layout["widest"] <= layout["innerWidth"] + 0.5, layout


# ----------------------------------------------------------------------------- hold to compare


def test_hold_to_compare_shows_the_flat_photo_while_held(app):
    assert open_files(app, photo_with_depth(640, 480)) == "shown"
    flat = settle(app)

    def view() -> object:
        # two frames: the loop has taken the change, then it comes to rest
        app.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        app.wait_for_function("() => window.diorama.viewer.idle", timeout=30_000)
        return stage_pixels(app)

    app.evaluate("() => window.diorama.look(1, 0)")
    shifted = view()
    assert changed(flat, shifted) > 1.0
    box = app.locator("#compare").bounding_box()
    app.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    app.mouse.down()
    assert app.get_attribute("#compare", "aria-pressed") == "true"
    assert changed(flat, view()) < 0.2, "holding the button did not show the flat photo"
    app.mouse.up()
    assert app.get_attribute("#compare", "aria-pressed") == "false"
    assert changed(shifted, view()) < 0.2, "releasing the button did not bring the 3D view back"

    app.locator("#stage").focus()
    app.keyboard.down("c")
    assert changed(flat, view()) < 0.2, "holding C did not show the flat photo"
    app.keyboard.up("c")
    assert changed(shifted, view()) < 0.2
    assert app.evaluate("() => window.diorama.viewer.strength") == pytest.approx(0.5)
