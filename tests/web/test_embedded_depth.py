"""Photos that carry their own depth, dropped alone: the app uses it (source 'embedded') and says so."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from diorama.embedded import write_gdepth
from PIL import Image

from tests.py.test_embedded import apple_aux, encode, mpf_file

from .support import file_payload, open_files

pytestmark = pytest.mark.browser


def _photo(size=(320, 240)) -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def _left_to_right(height: int, width: int) -> np.ndarray:
    return np.tile(np.linspace(0, 1, width, dtype=np.float32), (height, 1))  # nearer to the right


def _depth_of(app) -> dict:
    return app.evaluate("""() => window.diorama.depth().then((d) => {
        const row = Math.floor(d.height / 2) * d.width;
        return {source: d.source, format: d.format, width: d.width,
                left: d.data[row + 2], right: d.data[row + d.width - 3]};
    })""")


@pytest.mark.parametrize("kind", ["gdepth", "apple"])
def test_a_photo_with_its_own_depth_shows_that_depth_and_says_where_it_came_from(app, kind):
    if kind == "gdepth":
        data = write_gdepth(_photo(), _left_to_right(120, 160))
        label = "Google Lens Blur"
    else:  # an iPhone portrait: MPF with a disparity image after the photo (brighter = nearer)
        disparity = encode((_left_to_right(180, 240) * 255).astype(np.uint8), "PNG")
        data = mpf_file([_photo(), apple_aux(np.asarray(Image.open(io.BytesIO(disparity))))], [0x030000, 0x000000])
        label = "iPhone portrait"
    assert open_files(app, [file_payload(f"{kind}.jpg", data, "image/jpeg")]) == "shown"
    depth = _depth_of(app)
    assert (depth["source"], depth["format"], depth["width"]) == ("embedded", kind, 320)
    assert depth["right"] > depth["left"] + 0.5  # the recorded depth, not an estimate of a noise photo
    assert app.locator("#depth-source").inner_text() == f"Depth from the photo ({label})"


def test_a_plain_photo_gets_model_depth_and_says_so(app):
    assert open_files(app, [file_payload("plain.jpg", _photo(), "image/jpeg")]) == "shown"
    assert _depth_of(app)["source"] == "model" and _depth_of(app)["format"] is None
    assert app.locator("#depth-source").inner_text() == "Depth estimated from the photo"


def test_a_stereo_pair_gets_depth_measured_from_its_two_views(app):
    from tests.py.test_embedded import mpf_file
    from tests.stereo import synthetic_pair

    pair = synthetic_pair(width=320, height=192, far=6, near=18)

    def jpeg_of(view):
        buf = io.BytesIO()
        Image.fromarray(view).save(buf, "JPEG", quality=95)
        return buf.getvalue()

    data = mpf_file([jpeg_of(pair.left), jpeg_of(pair.right)], [0x020002, 0x020002])
    assert open_files(app, [file_payload("pair.mpo", data, "image/jpeg")]) == "shown"
    depth = app.evaluate("""() => window.diorama.depth().then((d) => ({source: d.source, format: d.format,
        box: d.data[96 * d.width + 160], wall: d.data[10 * d.width + 20]}))""")
    assert (depth["source"], depth["format"]) == ("stereo", "mpo")
    assert depth["box"] > depth["wall"] + 0.3
    assert app.locator("#depth-source").inner_text() == "Depth measured from the stereo pair"


def test_the_3d_jpeg_export_carries_the_depth_and_opens_again_with_it(app):
    from diorama.embedded import find_embedded_depth

    from .support import photo_with_depth

    assert open_files(app, photo_with_depth(320, 240, name="room")) == "shown"
    before = np.asarray(app.evaluate("() => window.diorama.depth().then((d) => Array.from(d.data))"))
    with app.expect_download() as exported:
        app.select_option("#export-kind", "gdepth")
        app.click("#export-run")
    assert exported.value.suggested_filename == "photo_3d.jpg"
    data = Path(exported.value.path()).read_bytes()
    found, note = find_embedded_depth(data)
    assert found is not None and found.format == "gdepth" and found.depth.shape == (240, 320) and note is None
    # dropped alone, it opens with that depth: the same display depth as before, to 8-bit rounding
    assert open_files(app, [file_payload("photo_3d.jpg", data, "image/jpeg")]) == "shown"
    again = app.evaluate(
        "() => window.diorama.depth().then((d) => ({source: d.source, format: d.format, data: Array.from(d.data)}))"
    )
    assert (again["source"], again["format"]) == ("embedded", "gdepth")
    assert np.corrcoef(before, np.asarray(again["data"]))[0, 1] > 0.99


def test_a_depth_map_drawn_black_near_is_detected_flipped_and_can_be_flipped_back(app):
    # The map: the model's own depth of the bundled sample photo (computed here in CPython), so the worker's
    # check against the model is decided by the convention alone. (Real Lens Blur pairs, read white = near,
    # correlate with the model by -0.30 to -0.69: docs/phone-depth.md.)
    from diorama.depthmap import depth_to_uint8
    from diorama.model_io import estimate_depth
    from diorama.photo import load_photo

    import build

    photo = (build.DIST / "sample" / "coffee.jpg").read_bytes()
    white_near = estimate_depth(load_photo(photo), None)  # [0, 1], 1 = near

    def drop(depth):
        return [
            file_payload("coffee.jpg", photo, "image/jpeg"),
            file_payload("coffee_depth.png", encode(depth), "image/png"),
        ]

    assert open_files(app, drop(1 - white_near)) == "shown"
    app.wait_for_function("() => document.getElementById('invert').checked", timeout=60_000)
    assert "drawn black = near" in app.locator("#depth-source").inner_text()
    app.wait_for_function("() => document.getElementById('renderer').dataset.layers === 'ready'", timeout=60_000)
    shown = app.evaluate(
        "() => window.diorama.depth().then((d) => ({w: d.width, h: d.height, data: Array.from(d.data)}))"
    )
    truth = np.asarray(
        Image.fromarray(depth_to_uint8(white_near)).resize((shown["w"], shown["h"])), dtype=np.float64
    ).ravel()
    assert np.corrcoef(np.asarray(shown["data"]), truth)[0, 1] > 0.9  # read the right way round
    # the same map drawn white = near is left as it is
    app.uncheck("#invert")
    assert open_files(app, drop(white_near)) == "shown"
    app.wait_for_function("() => document.getElementById('renderer').dataset.layers === 'ready'", timeout=60_000)
    assert not app.is_checked("#invert")
