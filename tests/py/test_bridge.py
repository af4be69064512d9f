"""The worker's entry points, driven from CPython with bytes and arrays as Pyodide would pass them."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from diorama.bridge import Studio, looks_like_depth_map
from diorama.errors import DioramaError


def png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def photo_bytes() -> bytes:
    rng = np.random.default_rng(1)
    return png(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))


def test_open_photo_returns_contiguous_rgba(photo_bytes):
    rgba = Studio().open_photo(photo_bytes)
    assert rgba.shape == (120, 160, 4) and rgba.dtype == np.uint8 and rgba.flags.c_contiguous
    assert (rgba[..., 3] == 255).all()


def test_depth_map_is_resampled_to_the_photo_and_near_is_255(photo_bytes):
    studio = Studio()
    studio.open_photo(photo_bytes)
    depth = np.zeros((30, 40), np.uint8)
    depth[:, 20:] = 255  # right half near
    studio.use_depth_map(png(depth))
    out = studio.depth(contrast=1.0, smoothing=0.0)
    assert out.shape == (120, 160) and out.dtype == np.uint8
    assert out[:, -10:].mean() > 200 > 50 > out[:, :10].mean()
    inverted = studio.depth(invert=True, contrast=1.0, smoothing=0.0)
    assert inverted[:, :10].mean() > 200


def test_model_round_trip_gives_depth_of_the_photo_size(photo_bytes):
    studio = Studio()
    studio.open_photo(photo_bytes)
    x = studio.model_input()
    assert x.dtype == np.float32 and x.ndim == 4 and x.shape[1] == 3 and x.flags.c_contiguous
    _, _, h, w = x.shape
    ramp = np.tile(np.linspace(0, 1, w, dtype=np.float32), (h, 1))  # nearer to the right
    with pytest.raises(DioramaError, match="no depth yet"):  # not current until its depth is in
        studio.require_raw_depth()
    studio.use_model_output(ramp.ravel(), h, w)
    out = studio.depth(contrast=1.0, smoothing=0.0)
    assert out.shape == (120, 160)
    assert out[:, -5:].mean() > out[:, :5].mean() + 100


def test_a_failed_photo_keeps_the_previous_one(photo_bytes):
    studio = Studio()
    studio.open_photo(photo_bytes)
    studio.use_depth_map(png(np.zeros((4, 4), np.uint8)))
    with pytest.raises(DioramaError, match="empty"):
        studio.open_photo(b"")
    assert studio.rgb is not None and studio.rgb.shape == (120, 160, 3)


def test_a_photo_becomes_current_only_with_its_depth_and_a_failed_depth_map_loses_nothing(photo_bytes):
    studio = Studio()
    studio.open_photo(photo_bytes)
    ramp = np.tile(np.linspace(0, 255, 160).astype(np.uint8), (120, 1))
    studio.use_depth_map(png(ramp))
    shown = studio.depth()
    layers = studio.layers()
    other = io.BytesIO()
    Image.new("RGB", (90, 60), (200, 10, 10)).save(other, "PNG")
    studio.open_photo(other.getvalue())  # decoded, but its depth is not known yet
    assert studio.rgb.shape == (120, 160, 3)
    with pytest.raises(DioramaError):
        studio.use_depth_map(b"not an image")
    # the photo on screen is still whole: same photo, same depth, adjustable, with layers
    assert studio.rgb.shape == (120, 160, 3)
    np.testing.assert_array_equal(studio.depth(), shown)
    assert studio.depth(contrast=3.0).shape == (120, 160)
    np.testing.assert_array_equal(studio.layers()[0], layers[0])
    # and a depth arriving after the failure does not attach to the abandoned photo
    with pytest.raises(DioramaError, match="photo first"):
        studio.use_depth_map(png(ramp))


def test_depth_before_a_photo_is_a_clear_error():
    with pytest.raises(DioramaError, match="photo first"):
        Studio().use_depth_map(png(np.zeros((4, 4), np.uint8)))


def test_depth_like_files_are_recognised(photo_bytes):
    assert looks_like_depth_map(png(np.zeros((8, 8), np.uint8)))
    assert not looks_like_depth_map(photo_bytes)


def test_the_web_defaults_are_the_pipelines_defaults():
    # web/worker/protocol.js declares the options the page sends; they must be what Python does by default.
    import inspect
    import json
    import re
    from pathlib import Path

    from diorama.depthmap import SEED_RECIPE, postprocess_depth

    source = (Path(__file__).resolve().parents[2] / "web" / "worker" / "protocol.js").read_text()

    def declared(name):
        body = re.search(rf"export const {name} = Object.freeze\(\{{(.*?)\}}\);", source, re.S).group(1)
        return json.loads("{" + re.sub(r"(\w+):", r'"\1":', body.replace("'", '"')) + "}")

    python = {k: p.default for k, p in inspect.signature(postprocess_depth).parameters.items()
              if p.default is not inspect.Parameter.empty}
    assert declared("DEFAULT_OPTIONS") == python
    assert declared("SEED_RECIPE") == SEED_RECIPE
