"""Depth from our own model in the browser, and browser/CPython parity."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

import build
from diorama.model_io import estimate_depth
from diorama.photo import load_photo

from .support import after_opening, encode, file_payload, open_files, photo_with_depth, scene

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
    depth = page.evaluate("async () => { const d = await window.diorama.rawDepth();"
                          " return {width: d.width, height: d.height, data: Array.from(d.data)}; }")
    return np.asarray(depth["data"], dtype=np.float32).reshape(depth["height"], depth["width"])


def test_the_build_ships_the_model():
    info = json.loads((build.DIST / "build.json").read_text())
    assert info["model"] and (build.DIST / info["model"]).stat().st_size > 100_000


def test_a_photo_alone_gets_depth_from_the_model(app):
    info = open_api(app, [file_payload("alone.png", bundled_photo())])
    assert info == {"width": 600, "height": 400, "depthSource": "model"}
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
