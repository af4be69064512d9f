"""The single-file 3D photo draws what the app draws (issue 26 item 1): the same photo at the same poses, in the app
(offscreen, at the photo's size) and in the exported photo.3d.html (a window of that size), alike within what the
file's own JPEG/WebP pictures allow, with near edges moved by the same number of pixels."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

import build

from .support import encode, file_payload, open_files, scene, wait_for_state
from .test_mesh_export import exported_bytes, inline_images

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 640, 480
POSES = {
    "left": (-1, 0, 0, 0),
    "centre": (0, 0, 0, 0),
    "right": (1, 0, 0, 0),
    "down": (0, 1, 0, 0),
    "zoomed": (0.5, 0, 1, 0.15),
}

APP_FRAMES = f"""async (poses) => {{
    const target = window.diorama.viewer.offscreen({WIDTH}, {HEIGHT});
    const frames = {{}};
    try {{
        for (const [name, [x, y, zoom, magnify]] of Object.entries(poses)) {{
            const pixels = target.render({{ x, y, zoom, magnify }});
            let text = '';
            for (let i = 0; i < pixels.length; i += 0x8000) text += String.fromCharCode(...pixels.subarray(i, i + 0x8000));
            frames[name] = btoa(text);
        }}
    }} finally {{
        target.destroy();
    }}
    return frames;
}}"""


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255**2 / max(mse, 1e-9)))


def near_left_edge(frame: np.ndarray) -> float:
    """Column (px, sub-pixel) of the near square's left edge, averaged over its middle rows: where red minus green
    (-50 on the background there, 170 on the square) first crosses 60, interpolated between the two pixels."""
    redness = frame[HEIGHT // 2 - 40 : HEIGHT // 2 + 40, : WIDTH // 2].astype(np.float64) @ [1.0, -1.0, 0.0]
    inside = np.argmax(redness >= 60, axis=1)
    assert (inside > 0).all()
    rows = np.arange(len(redness))
    before, after = redness[rows, inside - 1], redness[rows, inside]
    return float(np.mean(inside - 1 + (60 - before) / (after - before)))


@pytest.fixture(scope="module")
def photo_and_frames(browser, site_url, tmp_path_factory):
    """(the photo, the app's frames, the exported file's frames, the file's photo, the file's text): drawn once for
    the module's tests."""
    app_context = browser.new_context()
    app = app_context.new_page()
    app.goto(site_url)
    wait_for_state(app, "shown")
    photo, depth = scene(WIDTH, HEIGHT)
    files = [
        file_payload("room.png", encode(photo, "PNG"), "image/png"),
        file_payload("room_depth.png", encode(depth, "PNG"), "image/png"),
    ]
    assert open_files(app, files) == "shown"
    app.wait_for_function("() => document.body.dataset.layers === 'ready'", timeout=120_000)
    app.evaluate("() => window.diorama.viewer.setStrength(1)")
    app_frames = {
        name: np.frombuffer(base64.b64decode(data), np.uint8).reshape(HEIGHT, WIDTH, 4)[..., :3]
        for name, data in app.evaluate(APP_FRAMES, POSES).items()
    }
    name, data = exported_bytes(app, "html")
    app_context.close()
    path = tmp_path_factory.mktemp("photo3d") / name
    path.write_bytes(data)
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_function("() => document.documentElement.dataset.ready === 'true'", timeout=30_000)
    file_frames = {}
    for pose, args in POSES.items():
        page.evaluate("(args) => window.look(...args)", list(args))
        shot = Image.open(io.BytesIO(page.locator("canvas").screenshot())).convert("RGB")
        assert shot.size == (WIDTH, HEIGHT)
        file_frames[pose] = np.asarray(shot)
    context.close()
    file_photo = np.asarray(Image.open(io.BytesIO(inline_images(data.decode())["photo"])).convert("RGB"))
    yield np.asarray(photo), app_frames, file_frames, file_photo, data.decode()


def test_the_3d_photo_file_draws_what_the_app_draws_at_every_pose(photo_and_frames):
    photo, app_frames, file_frames, file_photo, _ = photo_and_frames
    allowed = psnr(file_photo, photo) - 1.0  # what the file's own JPEG costs, less 1 dB
    alike = {pose: round(psnr(app_frames[pose], file_frames[pose]), 1) for pose in POSES}
    assert all(value >= allowed for value in alike.values()), (alike, allowed)
    # the poses differ from each other far more than the two drawings of one pose do
    assert psnr(app_frames["left"], app_frames["right"]) < allowed - 6
    assert psnr(app_frames["centre"], app_frames["zoomed"]) < allowed - 6


def test_a_near_edge_moves_as_far_in_the_file_as_in_the_app(photo_and_frames):
    _, app_frames, file_frames, _, _ = photo_and_frames
    moved_app = near_left_edge(app_frames["right"]) - near_left_edge(app_frames["left"])
    moved_file = near_left_edge(file_frames["right"]) - near_left_edge(file_frames["left"])
    assert abs(moved_app) > 10  # full offsets at strength 1: the square moves visibly
    assert abs(moved_app - moved_file) <= 1, (moved_app, moved_file)


def test_the_file_carries_the_apps_own_march_and_constants(photo_and_frames):
    html = photo_and_frames[4]
    app_march = (build.ROOT / "dist" / "render" / "march.js").read_text()
    chunk = re.search(r"export const march = (\".*\");", app_march).group(1)
    code = [
        line.strip() for line in json.loads(chunk).split("\n") if line.strip() and not line.strip().startswith("//")
    ]
    assert code and all(line in html for line in code)
