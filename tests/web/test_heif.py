"""HEIC and AVIF photos open in the browser: Pyodide's Pillow reads neither, so the worker decodes them (AVIF with
the browser's decoder, HEIC with libheif-js) and hands the pixels to Python (Studio.open_pixels)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .heif_fixtures import DATA, SIZE, UPRIGHT
from .support import file_payload, open_files, typed_array

pytestmark = pytest.mark.browser

EMBEDDED = Path(__file__).resolve().parents[3] / "shared" / "phone-depth" / "embedded"
PUG = EMBEDDED / "pug.heic"
SPATIAL = EMBEDDED / "vision-pro.HEIC"


def _shown_photo(app) -> np.ndarray:
    rgba, size = typed_array(
        app, "() => { const p = window.diorama.viewer.shown.photo; return {data: p.rgba, w: p.width, h: p.height}; }"
    )
    return rgba.astype(np.int16).reshape(size["h"], size["w"], 4)


@pytest.mark.parametrize("name, mime", [("quadrants.avif", "image/avif"), ("quadrants.heic", "image/heic")])
def test_heic_and_avif_open_upright(app, name, mime):
    assert open_files(app, [file_payload(name, (DATA / name).read_bytes(), mime)]) == "shown"
    photo = _shown_photo(app)
    width, height = SIZE
    assert photo.shape == (height, width, 4)
    corners = {
        "top left": photo[height // 4, width // 4],
        "top right": photo[height // 4, 3 * width // 4],
        "bottom left": photo[3 * height // 4, width // 4],
        "bottom right": photo[3 * height // 4, 3 * width // 4],
    }
    for where, colour in UPRIGHT.items():
        assert np.abs(corners[where][:3] - colour).max() < 40, (where, corners[where])
    assert app.evaluate("() => window.diorama.depth().then((d) => [d.width, d.height])") == [width, height]


def test_a_damaged_heic_is_refused_in_plain_words(app):
    data = (DATA / "quadrants.heic").read_bytes()
    assert open_files(app, [file_payload("cut.heic", data[: len(data) // 2], "image/heic")]) == "error"
    message = app.locator("[role=alert]").inner_text()
    assert "HEIC" in message and "Traceback" not in message, message


@pytest.mark.skipif(not PUG.exists(), reason=f"{PUG} is not here (../shared/phone-depth)")
def test_a_real_iphone_heic_opens_at_the_working_size(app):
    assert open_files(app, [file_payload("pug.heic", PUG.read_bytes(), "image/heic")]) == "shown"
    photo = _shown_photo(app)
    assert max(photo.shape[:2]) == 2048 and photo.shape[:2] in ((1536, 2048), (2048, 1536)), photo.shape


def _depth_row(app) -> dict:
    return app.evaluate("""() => window.diorama.depth().then((d) => {
        const row = Math.floor(d.height / 2) * d.width;
        return {source: d.source, format: d.format, left: d.data[row + 2], right: d.data[row + d.width - 3]};
    })""")


@pytest.mark.parametrize("name, mime", [("ramp_depth.heic", "image/heic"), ("ramp_depth.avif", "image/avif")])
def test_a_heic_or_avif_depth_map_dropped_with_its_photo_is_used(app, name, mime):
    photo = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)).save(photo, "PNG")
    files = [
        file_payload("ramp.png", photo.getvalue(), "image/png"),
        file_payload(name, (DATA / name).read_bytes(), mime),
    ]
    assert open_files(app, files) == "shown"
    depth = _depth_row(app)
    assert depth["source"] == "file" and depth["right"] > depth["left"] + 0.5, depth  # white (right) = near


@pytest.mark.skipif(not PUG.exists(), reason=f"{PUG} is not here (../shared/phone-depth)")
def test_an_iphone_heic_shows_the_depth_it_recorded(app):
    assert open_files(app, [file_payload("pug.heic", PUG.read_bytes(), "image/heic")]) == "shown"
    depth = app.evaluate("""() => window.diorama.depth().then((d) => {
        const at = (x, y) => d.data[Math.floor(y * d.height) * d.width + Math.floor(x * d.width)];
        return {source: d.source, format: d.format, cushion: at(0.97, 0.85), wall: at(0.6, 0.15), pug: at(0.55, 0.6)};
    })""")
    assert (depth["source"], depth["format"]) == ("embedded", "apple"), depth
    # its disparity image: the cushion in front, the pug, the wall far behind
    assert depth["cushion"] > depth["pug"] > depth["wall"] + 0.1, depth
    assert app.locator("#depth-source").inner_text() == "Depth from the photo (iPhone portrait)"


@pytest.mark.skipif(not SPATIAL.exists(), reason=f"{SPATIAL} is not here (../shared/phone-depth)")
def test_an_apple_spatial_photo_has_its_two_views_matched(app):
    # Its two views are found (the HEIF 'ster' group) and matched; on this file (striped bedsheet and blinds,
    # plain walls) only 63 % of the pixels agree both ways, below stereo_match.MIN_CONSISTENT, so the app says
    # so and estimates depth (docs/stereo-matching.md). A pair that matches gets source 'stereo',
    # format 'apple-spatial' (tests/py/test_bridge.py).
    assert open_files(app, [file_payload("vision-pro.HEIC", SPATIAL.read_bytes(), "image/heic")]) == "shown"
    depth = app.evaluate("() => window.diorama.depth().then((d) => ({source: d.source, format: d.format}))")
    assert depth == {"source": "model", "format": None}
    text = app.locator("#depth-source").inner_text()
    assert text.startswith("Depth estimated from the photo. The two views of this stereo photo do not match"), text
