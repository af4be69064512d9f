"""Depth from our own model in the browser, and browser/CPython parity."""

from __future__ import annotations

import json

import numpy as np
import pytest
from diorama.model_io import estimate_depth
from diorama.photo import load_photo
from PIL import Image

import build

from .support import encode, file_payload, open_files, photo_with_depth, scene, typed_array

pytestmark = pytest.mark.browser


def bundled_photo() -> bytes:
    """The bundled sample as PNG: lossless, so both hosts decode the very same pixels."""
    return encode(Image.open(build.WEB / "sample" / "coffee.jpg"), "PNG")


def open_api(page, files: list[dict]) -> dict:
    return page.evaluate(
        "async (files) => window.diorama.open(files.map(f => new File([new Uint8Array(f.bytes)], f.name)))",
        [{"name": f["name"], "bytes": list(f["buffer"])} for f in files],
    )


def browser_raw_depth(page) -> np.ndarray:
    data, size = typed_array(page, "async () => { const d = await window.diorama.rawDepth(); return {...d}; }")
    return data.reshape(size["height"], size["width"])


def test_the_build_ships_the_model():
    info = json.loads((build.DIST / "build.json").read_text())
    assert info["model"] and (build.DIST / info["model"]).stat().st_size > 100_000


def test_a_photo_alone_gets_depth_from_the_model(app):
    info = open_api(app, [file_payload("alone.png", bundled_photo())])
    assert info == {"width": 600, "height": 400, "depthSource": "model", "format": None}
    depth = browser_raw_depth(app)
    assert depth.shape == (400, 600) and 0 <= depth.min() < 0.2 and 0.8 < depth.max() <= 1
    timings = app.evaluate("() => window.diorama.timings")
    assert timings["depth"] > 0


def test_a_depth_map_given_by_the_person_wins_over_the_model(app):
    assert open_api(app, photo_with_depth(320, 240))["depthSource"] == "file"


def test_browser_and_cpython_depth_agree(app):
    """Same photo, same py/diorama code and model: onnxruntime-web (wasm) vs CPython onnxruntime.

    Tolerance 1e-3 on depth normalised to [0, 1]: both runtimes use float32 kernels whose results
    differ by rounding only (~1e-6 relative), which normalisation and bilinear resampling cannot
    blow up past 1e-4; 1e-3 leaves room for summation-order differences between SIMD paths.
    """
    photo = bundled_photo()
    open_api(app, [file_payload("parity.png", photo)])
    in_browser = browser_raw_depth(app)
    in_cpython = estimate_depth(load_photo(photo))
    assert in_browser.shape == in_cpython.shape
    assert float(np.abs(in_browser - in_cpython).max()) <= 1e-3


def test_model_depth_also_works_without_cross_origin_isolation(page, plain_site_url):
    from .support import wait_for_state

    page.goto(plain_site_url)
    wait_for_state(page, "shown")
    assert open_files(page, [file_payload("solo.jpg", encode(scene(320, 240)[0], "JPEG"))]) == "shown"


def browser_display_depth(page) -> dict:
    data, fields = typed_array(page, "async () => { const d = await window.diorama.depth(); return {...d}; }")
    return {**fields, "data": data}


def test_depth_api_gives_the_display_depth_as_rendered_and_its_source(app):
    from diorama.depthmap import depth_to_uint8, postprocess_depth

    sample = browser_display_depth(app)  # the bundled sample, shown with its own depth map
    assert sample["source"] == "file" and (sample["width"], sample["height"]) == (600, 400)
    open_api(app, [file_payload("alone.png", bundled_photo())])
    shown = browser_display_depth(app)
    assert shown["source"] == "model" and (shown["width"], shown["height"]) == (600, 400)
    display = np.asarray(shown["data"], np.float32).reshape(400, 600)
    # what the renderer has: the app's default post-processing of the raw depth, in 8-bit steps
    expected = depth_to_uint8(postprocess_depth(browser_raw_depth(app))).astype(np.float32) / 255
    np.testing.assert_allclose(display, expected, atol=1.5 / 255)
    # continuous, not two planes: few pixels sit at the ends
    assert np.mean((display <= 0.02) | (display >= 0.98)) < 0.15


def test_the_seed_look_is_one_click_away_and_pins_depth_to_two_planes(app):
    open_api(app, [file_payload("alone.png", bundled_photo())])
    natural = np.asarray(browser_display_depth(app)["data"])
    app.select_option("#curve", "linear")
    assert app.locator("#contrast").input_value() == "5"
    seed = np.asarray(browser_display_depth(app)["data"])
    pinned = lambda d: float(np.mean((d <= 0.02) | (d >= 0.98)))  # noqa: E731
    assert pinned(seed) > pinned(natural) + 0.3
    app.select_option("#curve", "soft")
    assert app.locator("#contrast").input_value() == "1.5"
    np.testing.assert_array_equal(np.asarray(browser_display_depth(app)["data"]), natural)
