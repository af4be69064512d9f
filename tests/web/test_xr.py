"""The WebXR view ("View in VR" / "View in AR") on an emulated Meta Quest 3: IWER (npm `iwer`, a dev dependency)
injected into the page before it loads, with both eyes drawn side by side on the window.

The photo: a grey textured wall (far) with a blue bar on it and a red square before it (near). Each eye's image
comes from `diorama.xr.capture()` (the next frame's pixels per eye); the red and blue centroids there say where
near and far things are."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .support import encode, file_payload, open_files, wait_for_state
from .test_offline import site, wait_until_offline_ready  # noqa: F401 (site: a fixture, dist/ served under a sub-path)

pytestmark = pytest.mark.browser

IWER = Path(__file__).resolve().parents[2] / "node_modules/iwer/build/iwer.min.js"
# Chromium has a native navigator.xr (with no device): the emulated runtime replaces it.
SETUP = """
window.headset = new IWER.XRDevice(IWER.metaQuest3);
window.headset.installRuntime({forceInstall: true});
window.headset.stereoEnabled = true;
"""
RED = (230, 40, 40)
BLUE = (40, 60, 230)


@pytest.fixture
def headset(context):
    if not IWER.exists():
        pytest.fail("npm's iwer is missing: run the tests through `python3 build.py test`, whose `npm ci` installs it.")
    context.add_init_script(script=IWER.read_text() + SETUP)


def wall_and_square(width=640, height=480, square=RED, bar=BLUE) -> list[dict]:
    """A far textured wall with a bar on it and a near square (and its depth map, white = near), as files."""
    rgb, depth = wall_and_square_pixels(width, height, square, bar)
    return [
        file_payload(f"wall{width}.png", encode(Image.fromarray(rgb), "PNG"), "image/png"),
        file_payload(f"wall{width}_depth.png", encode(Image.fromarray(depth), "PNG"), "image/png"),
    ]


def wall_and_square_pixels(width=640, height=480, square=RED, bar=BLUE) -> tuple[np.ndarray, np.ndarray]:
    """The scene's (H, W, 3) uint8 photo and (H, W) uint8 depth map (255 = near)."""
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.repeat(rng.integers(90, 160, (height, width, 1)), 3, -1).astype(np.uint8)
    near = (abs(x - width * 0.6) < width / 8) & (abs(y - height / 2) < height / 6)
    rgb[(abs(x - width * 0.25) < width / 30) & (abs(y - height / 2) < height / 3)] = bar
    rgb[near] = square
    return rgb, np.where(near, 255, 0).astype(np.uint8)


def open_app(page, url):
    page.goto(url)
    wait_for_state(page, "shown")
    page.wait_for_function("() => window.diorama.xr !== null")


def start_vr(page):
    page.locator("#view-vr").click()
    page.wait_for_function("() => window.diorama.xr.state === 'running' && window.diorama.xr.frames > 2")


def next_frames(page, n=3):
    count = page.evaluate("() => window.diorama.xr.frames")
    page.wait_for_function("n => window.diorama.xr.frames >= n", arg=count + n)


def capture(page, state="window.diorama.xr") -> dict[str, np.ndarray]:
    """Each eye's image of the next frame: {'left': (H, W, 3) uint8, top row first, 'right': ...}."""
    eyes = page.evaluate(
        """async () => (await STATE.capture()).map(({eye, width, height, data}) => {
        let text = '';
        for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
        return {eye, width, height, data: btoa(text)};
    })""".replace("STATE", state)
    )
    return {
        e["eye"]: np.frombuffer(base64.b64decode(e["data"]), np.uint8).reshape(e["height"], e["width"], 4)[::-1, :, :3]
        for e in eyes
    }


def centroid_x(image: np.ndarray, colour) -> float:
    close = np.abs(image.astype(int) - colour).max(-1) < 40
    assert close.sum() > 50, f"{colour} is not in the image"
    return float(np.nonzero(close)[1].mean())


def save(image: np.ndarray, name: str) -> None:
    """Keep what the test saw (test-results/xr/, ignored by git) for looking at."""
    folder = Path(__file__).resolve().parents[2] / "test-results/xr"
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(folder / name)


def test_no_buttons_without_an_xr_device(page, site_url):
    open_app(page, site_url)
    assert page.evaluate("() => window.diorama.xr.supported") == {"vr": False, "ar": False}
    assert page.locator("#view-vr").is_hidden() and page.locator("#view-ar").is_hidden()


def test_both_eyes_see_the_depth_as_stereo(page, site_url, headset):
    open_app(page, site_url)
    assert page.locator("#view-vr").is_visible() and page.locator("#view-ar").is_visible()
    assert open_files(page, wall_and_square()) == "shown"
    page.wait_for_function("() => document.body.dataset.layers === 'ready'")
    loaded = "() => performance.getEntriesByType('resource').some((entry) => entry.name.endsWith('/xr/session.js'))"
    assert not page.evaluate(loaded), "the headset view's code loads only when a session starts"
    start_vr(page)
    assert page.evaluate(loaded)
    xr = page.evaluate("() => window.diorama.xr")
    assert [v["eye"] for v in xr["views"]] == ["left", "right"]
    assert xr["photo"] == {"width": 640, "height": 480}
    eyes = capture(page)
    save(np.concatenate([eyes["left"], eyes["right"]], 1), "xr-stereo.png")
    # crossed disparity: a near thing lies further right in the left eye than in the right one, more so than a far one
    near = centroid_x(eyes["left"], RED) - centroid_x(eyes["right"], RED)
    far = centroid_x(eyes["left"], BLUE) - centroid_x(eyes["right"], BLUE)
    print("disparity near, far (px):", near, far)
    assert near - far > 2, (near, far)


def test_a_head_moved_right_sees_near_things_move_left_against_far_ones(page, site_url, headset):
    open_app(page, site_url)
    assert open_files(page, wall_and_square()) == "shown"
    page.wait_for_function("() => document.body.dataset.layers === 'ready'")
    start_vr(page)
    before = capture(page)
    x = page.evaluate("() => { const p = window.headset.position; p.set(p.x + 0.1, p.y, p.z); return p.x; }")
    page.wait_for_function("x => Math.abs(window.diorama.xr.views[0].position[0] - (x - 0.032)) < 0.01", arg=x)
    after = capture(page)
    save(np.concatenate([before["left"], after["left"]], 1), "xr-head-moved.png")
    for eye in ("left", "right"):
        near = centroid_x(after[eye], RED) - centroid_x(before[eye], RED)
        far = centroid_x(after[eye], BLUE) - centroid_x(before[eye], BLUE)
        assert near < 0 and far < 0, (eye, near, far)  # the whole photo stays in the room: it moves left
        assert near - far < -2, (eye, near, far)  # near things more than far ones, as through a window


def test_the_controller_grabs_and_moves_the_photo_and_two_hands_scale_it(page, site_url, headset):
    open_app(page, site_url)
    start_vr(page)
    start = page.evaluate("() => window.diorama.xr.pose")
    page.evaluate("() => window.headset.controllers.right.updateButtonValue('squeeze', 1)")
    next_frames(page)
    page.evaluate("() => { const p = window.headset.controllers.right.position; p.set(p.x + 0.2, p.y + 0.1, p.z); }")
    next_frames(page)
    page.evaluate("() => window.headset.controllers.right.updateButtonValue('squeeze', 0)")
    next_frames(page)
    moved = page.evaluate("() => window.diorama.xr.pose")
    assert np.allclose(np.subtract(moved["position"], start["position"]), [0.2, 0.1, 0], atol=0.01), (start, moved)
    # released: moving the hand leaves the photo where it is
    page.evaluate("() => { const p = window.headset.controllers.right.position; p.set(p.x + 0.3, p.y, p.z); }")
    next_frames(page)
    assert page.evaluate("() => window.diorama.xr.pose") == moved
    # both hands squeeze and move apart: the photo grows by their distance's ratio
    gap = page.evaluate("""() => { const {left, right} = window.headset.controllers;
        left.updateButtonValue('squeeze', 1); right.updateButtonValue('squeeze', 1);
        return right.position.x - left.position.x; }""")
    next_frames(page)
    page.evaluate("() => { const p = window.headset.controllers.right.position; p.set(p.x + 0.5, p.y, p.z); }")
    next_frames(page)
    scale = page.evaluate("() => window.diorama.xr.pose.scale")
    assert scale == pytest.approx((gap + 0.5) / gap, rel=0.02)


def test_ending_the_session_returns_to_the_same_2d_view(page, site_url, headset):
    open_app(page, site_url)
    assert open_files(page, wall_and_square()) == "shown"
    page.evaluate(
        "() => window.diorama.stroke([[100, 100], [140, 110]], {brush_tool: 'nearer', brush_size: 40, brush_strength: 0.5})"
    )
    page.evaluate("""() => { const s = document.getElementById('strength'); s.value = '0.8';
        s.dispatchEvent(new Event('input', {bubbles: true})); }""")
    edited = page.evaluate("async () => Array.from((await window.diorama.rawDepth()).data.slice(0, 200 * 640))")
    start_vr(page)
    # the select action (the controller's trigger) ends it
    frames = page.evaluate(
        "() => { window.headset.controllers.right.updateButtonValue('trigger', 1); return window.diorama.xr.frames; }"
    )
    page.wait_for_function("n => window.diorama.xr.frames > n + 1 || window.diorama.xr.state === 'idle'", arg=frames)
    page.evaluate("() => window.headset.controllers.right.updateButtonValue('trigger', 0)")
    page.wait_for_function("() => window.diorama.xr.state === 'idle'")
    assert page.evaluate("() => window.diorama.viewer.shown.photo.width") == 640
    assert page.evaluate("() => window.diorama.viewer.strength") == pytest.approx(0.8)
    assert page.evaluate("async () => Array.from((await window.diorama.rawDepth()).data.slice(0, 200 * 640))") == edited
    assert page.locator("#view-vr").is_enabled() and page.locator("#alert").is_hidden()
    frames = page.evaluate("() => window.diorama.viewer.frames")
    page.evaluate("() => window.diorama.look(0.8, 0)")
    page.wait_for_function("n => window.diorama.viewer.frames > n + 2", arg=frames)
    # and a second session starts again, ended by the page (as the system would)
    start_vr(page)
    page.evaluate("() => window.diorama.xr.end()")
    page.wait_for_function("() => window.diorama.xr.state === 'idle'")


def test_a_photo_opened_during_the_session_is_the_one_shown(page, site_url, headset):
    open_app(page, site_url)
    start_vr(page)
    assert open_files(page, wall_and_square(480, 360, square=(40, 200, 60))) == "shown"
    page.wait_for_function("() => window.diorama.xr.photo.width === 480")
    eyes = capture(page)
    assert centroid_x(eyes["left"], (40, 200, 60)) > 0


def test_a_refused_session_says_why_and_the_2d_view_goes_on(page, site_url, headset):
    page.add_init_script(
        script="""navigator.xr.requestSession = () =>
        Promise.reject(new DOMException('The user denied permission.', 'NotAllowedError'));"""
    )
    open_app(page, site_url)
    page.locator("#view-vr").click()
    page.wait_for_function("() => window.diorama.xr.message !== ''")
    text = page.locator("#alert-text").inner_text()
    assert "View in VR did not start" in text and "\n" not in text
    assert page.evaluate("() => window.diorama.xr.state") == "idle"
    assert open_files(page, wall_and_square(320, 240)) == "shown"


def test_the_vr_view_starts_with_the_network_off_after_one_visit(page, context, site, headset):  # noqa: F811
    open_app(page, site.url)
    wait_until_offline_ready(page)
    context.set_offline(True)
    site.stop()  # nothing serves: the session's module must come from the precache
    page.reload()
    page.wait_for_function("() => window.diorama.xr !== null")
    start_vr(page)
    assert "/xr/session.js" in page.evaluate(
        "() => performance.getEntriesByType('resource').map((entry) => entry.name).join(' ')"
    )


def start_ar(page):
    page.locator("#view-ar").click()
    page.wait_for_function("() => window.diorama.xr.state === 'running' && window.diorama.xr.frames > 2")
    assert page.evaluate("() => window.diorama.xr.mode") == "immersive-ar"


def photo_from_head(page) -> np.ndarray:
    """Where the photo's centre is from the head (the eyes' midpoint), m, room axes."""
    xr = page.evaluate("() => window.diorama.xr")
    head = np.mean([view["position"] for view in xr["views"]], 0)
    return np.subtract(xr["pose"]["position"], head)


def test_view_in_ar_places_the_same_scene_over_the_room(page, site_url, headset):
    open_app(page, site_url)
    start_ar(page)
    # no hit testing here (IWER hit-tests only a synthetic environment): 1.5 m ahead, as in VR
    next_frames(page, 10)
    assert page.evaluate("() => window.diorama.xr.placement") == "ahead"
    assert np.allclose(photo_from_head(page), [0, 0, -1.5], atol=0.01)
    # the room shows through around the photo (alpha 0 there), the photo is opaque
    alpha = page.evaluate("""async () => (await window.diorama.xr.capture()).map(({data}) => {
        let clear = 0, opaque = 0;
        for (let i = 3; i < data.length; i += 4) { if (data[i] === 0) clear++; else if (data[i] === 255) opaque++; }
        return [clear, opaque];
    })""")
    for clear, opaque in alpha:
        assert clear > opaque > 10_000, alpha


# A room for IWER's hit testing, in the test only: IWER answers hit tests from a synthetic environment module
# (its own one, @iwer/sem, needs three.js and a scene file); this one is a single plane, the ray from the viewer
# meeting it where geometry says. The results go through IWER's own hit-test code (requestHitTestSource,
# XRFrame.getHitTestResults, XRHitTestResult.getPose), as a browser's would.
ROOM = """([point, normal]) => window.headset.installSEM(class {
    constructor() {
        this.environmentCanvas = document.createElement('canvas');
        this.trackedPlanes = new Map();
        this.trackedMeshes = new Map();
    }
    render() {}
    computeHitTestResults(ray) {
        const origin = [ray[12], ray[13], ray[14]];
        const direction = [-ray[8], -ray[9], -ray[10]];
        const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        const t = dot(point.map((p, i) => p - origin[i]), normal) / dot(direction, normal);
        if (!(t > 0 && t < 100)) return [];
        const hit = origin.map((o, i) => o + t * direction[i]);
        // the hit's pose: y along the surface's normal (a wall facing +z, or the floor)
        const axes = normal[1] > 0.5 ? [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0] : [1, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0];
        return [new Float32Array([...axes, ...hit, 1])];
    }
})"""


@pytest.mark.parametrize("surface", ["wall", "floor"])
def test_view_in_ar_places_the_photo_where_the_viewer_looks_at_a_surface(page, site_url, headset, surface):
    open_app(page, site_url)
    head = page.evaluate("() => { const p = window.headset.position; return [p.x, p.y, p.z]; }")
    if surface == "wall":  # a wall 2.5 m ahead, looked at straight
        page.evaluate(ROOM, [[0, 0, head[2] - 2.5], [0, 0, 1]])
        expected = [0, 0, -2.5]
    else:  # the floor, looked at 45 degrees down: the photo stands on it, its centre half its height up
        page.evaluate(ROOM, [[0, 0, 0], [0, 1, 0]])
        page.evaluate("() => window.headset.quaternion.set(-Math.sin(Math.PI / 8), 0, 0, Math.cos(Math.PI / 8))")
    start_ar(page)
    page.wait_for_function("() => window.diorama.xr.placement === 'surface'")
    next_frames(page)
    if surface == "floor":
        photo = page.evaluate("() => window.diorama.xr.photo")
        height = 1.2 * min(photo["height"], photo["width"]) / photo["width"]
        expected = [0, height / 2 - head[1], -head[1]]
    assert np.allclose(photo_from_head(page), expected, atol=0.01), (photo_from_head(page), expected)
    # upright and facing the person: the eyes see it straight on, at its distance (the photo's frame: z toward them)
    eye = np.mean([view["eyeInPhoto"] for view in page.evaluate("() => window.diorama.xr.views")], 0)
    assert np.allclose(eye, [0, -expected[1], np.hypot(expected[0], expected[2])], atol=0.01), eye
    eyes = capture(page)
    save(np.concatenate([eyes["left"], eyes["right"]], 1), f"xr-ar-{surface}.png")


def photo_3d_file(folder: Path) -> Path:
    """The wall and square as a single-file 3D photo (py/diorama/photo3d.py), made here in CPython."""
    from diorama.layers import split_layers
    from diorama.photo3d import photo_3d_html

    rgb, depth = wall_and_square_pixels()
    depth = depth.astype(np.float32) / 255
    path = folder / "wall.3d.html"
    path.write_bytes(photo_3d_html(rgb, depth, split_layers(rgb, depth), strength=0.5, focus=0.5))
    return path


def open_photo_3d_file(page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_function("() => document.documentElement.dataset.ready === 'true' && window.xr !== undefined")


def test_the_3d_photo_file_offers_no_vr_without_an_xr_device(page, tmp_path):
    open_photo_3d_file(page, photo_3d_file(tmp_path))
    assert page.evaluate("() => window.xr.supported.vr") is False
    assert page.locator("#view-vr").is_hidden()


def test_the_3d_photo_file_shows_both_eyes_the_depth_in_vr(page, tmp_path, headset):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    open_photo_3d_file(page, photo_3d_file(tmp_path))
    page.locator("#view-vr").click()
    page.wait_for_function("() => window.xr.state === 'running' && window.xr.frames > 2")
    assert page.evaluate("() => window.xr.photo") == {"width": 640, "height": 480}
    eyes = capture(page, "window.xr")
    save(np.concatenate([eyes["left"], eyes["right"]], 1), "xr-photo-3d-file.png")
    near = centroid_x(eyes["left"], RED) - centroid_x(eyes["right"], RED)
    far = centroid_x(eyes["left"], BLUE) - centroid_x(eyes["right"], BLUE)
    print("disparity near, far (px):", near, far)
    assert near - far > 2, (near, far)
    # select ends it and the file's own view goes on
    page.evaluate("() => window.headset.controllers.right.updateButtonValue('trigger', 1)")
    page.wait_for_function("() => window.xr.state === 'idle'")
    assert page.locator("#view-vr").is_enabled() and page.locator("#message").inner_text() == ""
    assert not errors, errors  # the CSP's hashes hold: no refused script
