"""prepare_model_input / disparity_from_output: the model's pre- and post-processing."""

from __future__ import annotations

import numpy as np
import pytest
from diorama.model_io import (
    LONG_SIDE,
    default_model_path,
    disparity_from_output,
    estimate_depth,
    model_input_size,
    prepare_model_input,
)

SHAPES = [(768, 1024), (1024, 768), (480, 640), (100, 100), (1, 1), (7, 5), (100, 1000), (3000, 200)]


def random_photo(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)


@pytest.mark.parametrize("shape", SHAPES)
def test_input_is_padded_to_multiples_of_32(shape):
    x, (h, w) = prepare_model_input(random_photo(shape))
    assert x.dtype == np.float32 and x.ndim == 4 and x.shape[:2] == (1, 3)
    assert x.shape[2] % 32 == 0 and x.shape[3] % 32 == 0
    assert h <= x.shape[2] < h + 32 and w <= x.shape[3] < w + 32
    assert 0.0 <= x.min() and x.max() <= 1.0


@pytest.mark.parametrize("shape", [(768, 1024), (1024, 768), (480, 640), (100, 100), (424, 512)])
def test_up_to_4_to_3_the_long_side_and_aspect_are_kept(shape):
    h, w = model_input_size(*shape)
    assert max(h, w) == LONG_SIDE
    assert h / w == pytest.approx(shape[0] / shape[1], rel=0.02)


@pytest.mark.parametrize("shape", [(1080, 1920), (375, 1242), (300, 1000), (1000, 300)])
def test_elongated_photos_get_the_pixels_of_a_4_to_3_one(shape):
    h, w = model_input_size(*shape)
    assert max(h, w) > LONG_SIDE
    assert h * w == pytest.approx(288 * 384, rel=0.02)  # more detail than at 384, at no extra cost
    assert h / w == pytest.approx(shape[0] / shape[1], rel=0.02)


@pytest.mark.parametrize("shape", [(100, 1000), (3000, 200), (50, 5000)])
def test_panoramas_are_padded_not_squashed(shape):
    h, w = model_input_size(*shape)
    # A longer long side lifts the short side, up to twice LONG_SIDE; never stretching.
    assert max(h, w) == 2 * LONG_SIDE and h * w <= 288 * 384 * 1.02
    assert h / w == pytest.approx(shape[0] / shape[1], rel=0.05)


def test_reference_size():
    assert model_input_size(768, 1024) == (288, 384)
    x, valid = prepare_model_input(random_photo((768, 1024)))
    assert x.shape == (1, 3, 288, 384) and valid == (288, 384)


def test_padding_reflects_the_photo():
    x, (h, w) = prepare_model_input(random_photo((90, 100)))
    assert (h, w) == (346, 384) and x.shape[2] == 352
    np.testing.assert_array_equal(x[0, :, h, :], x[0, :, h - 2, :])  # reflect about the last row
    np.testing.assert_array_equal(x[0, :, h + 5, :], x[0, :, h - 7, :])


def test_values_are_rgb_over_255():
    photo = np.zeros((64, 64, 3), np.uint8)
    photo[..., 0], photo[..., 1], photo[..., 2] = 255, 51, 0
    x, _ = prepare_model_input(photo)
    np.testing.assert_allclose(x[0, :, 0, 0], [1.0, 0.2, 0.0], atol=1e-6)


@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (97, 64), (480, 640)])
def test_output_has_the_photo_shape_and_unit_range(shape):
    x, valid = prepare_model_input(random_photo(shape))
    y = np.random.default_rng(1).random((1, 1, *x.shape[2:]), dtype=np.float32) + 0.1
    depth = disparity_from_output(y, valid, shape)
    assert depth.shape == shape and depth.dtype == np.float32
    assert 0.0 <= depth.min() and depth.max() <= 1.0


def test_output_ignores_the_padding_and_keeps_the_order():
    valid = (40, 50)
    y = np.full((1, 1, 64, 64), 1000.0, np.float32)  # padding holds huge values
    y[0, 0, :40, :50] = np.linspace(0.5, 2.0, 50, dtype=np.float32)[None, :]
    depth = disparity_from_output(y, valid, (80, 100))
    row = depth[40]
    assert row[0] == 0.0 and row[-1] == 1.0 and np.all(np.diff(row) >= 0)


def test_constant_output_gives_constant_depth():
    depth = disparity_from_output(np.full((1, 1, 32, 32), 3.0, np.float32), (32, 32), (10, 12))
    np.testing.assert_array_equal(depth, np.full((10, 12), 0.5, np.float32))


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((10, 10), np.uint8),
        np.zeros((10, 10, 3), np.float32),
        np.zeros((0, 10, 3), np.uint8),
        np.zeros((10, 10, 4), np.uint8),
    ],
)
def test_bad_photos_are_refused(bad):
    with pytest.raises(ValueError, match="uint8"):
        prepare_model_input(bad)


def test_output_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="model output"):
        disparity_from_output(np.zeros((1, 1, 32, 32), np.float32), (40, 40), (40, 40))


def test_packaged_model_estimates_depth():
    assert default_model_path().is_file()
    photo = random_photo((120, 90))
    photo[60:] //= 2  # some structure, not only noise
    depth = estimate_depth(photo)
    assert depth.shape == (120, 90) and depth.dtype == np.float32
    assert 0.0 <= depth.min() and depth.max() <= 1.0 and depth.std() > 0
