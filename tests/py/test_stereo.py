"""The stereo benchmark's geometry and scores (tests/stereo.py), on a synthetic pair whose right view is exact."""

from __future__ import annotations

import numpy as np
import pytest

from tests.stereo import (
    fill_from_far_side,
    fit_disparity,
    forward_warp,
    gap_share,
    measure,
    renderer_view,
    synthetic_pair,
    view_masks,
    warp_draw,
)


def test_masks_find_exactly_the_strip_the_left_view_hides():
    pair = synthetic_pair()
    seen, band = view_masks(pair)
    h, w = pair.disparity.shape
    assert seen[:, : w - 12].all() and not seen[:, w - 12 :].any()  # right of W - max disparity: not in the left
    expected = np.zeros((h, w), bool)
    expected[24:72, 60 + 40 - 12 : 60 + 40 - 4] = True  # right of the box, near - far = 8 px wide
    np.testing.assert_array_equal(band, expected)


def test_the_ceiling_draws_the_right_view_exactly_outside_the_band():
    pair = synthetic_pair()
    seen, band = view_masks(pair)
    result = measure(pair, pair.disparity / 12, warp_draw)
    assert result["a"] == pytest.approx(12) and result["b"] == pytest.approx(0, abs=1e-5)
    assert result["absrel"] == pytest.approx(0) and result["delta1"] == 1
    np.testing.assert_array_equal(result["view"][seen & ~band], pair.right[seen & ~band])
    assert result["psnr"] > 20  # only the invented band (random texture) differs


def test_flat_is_clearly_worse_than_the_ceiling_and_noisy_depth_lies_between():
    pair = synthetic_pair()
    ceiling = measure(pair, pair.disparity / 12, warp_draw)
    flat = measure(pair, np.full(pair.disparity.shape, 0.5, np.float32), warp_draw)
    assert flat["a"] == 0 and flat["b"] == pytest.approx(pair.disparity.mean())
    assert flat["psnr"] < ceiling["psnr"] - 5 and flat["ssim"] < ceiling["ssim"] - 0.2
    rng = np.random.default_rng(1)
    rough = np.clip(pair.disparity / 12 + rng.normal(0, 0.15, pair.disparity.shape), 0, 1).astype(np.float32)
    middle = measure(pair, rough, warp_draw)
    assert 0 < gap_share(middle["psnr"], flat["psnr"], ceiling["psnr"]) < 1
    assert ceiling["absrel"] < middle["absrel"] < flat["absrel"]


def test_fit_is_invariant_to_how_the_depth_is_scaled():
    pair = synthetic_pair()
    one = measure(pair, pair.disparity / 12, warp_draw)
    other = measure(pair, 0.2 + 0.5 * (pair.disparity - 4) / 8, warp_draw)  # same shape, other range
    assert other["psnr"] == pytest.approx(one["psnr"]) and other["absrel"] == pytest.approx(0, abs=1e-6)


def test_fit_disparity_recovers_scale_and_shift_and_a_negative_slope():
    rng = np.random.default_rng(2)
    depth = rng.random((20, 30))
    valid = rng.random((20, 30)) > 0.3
    a, b = fit_disparity(depth, -3 * depth + 7, valid)
    assert a == pytest.approx(-3) and b == pytest.approx(7)


def test_forward_warp_nearer_wins_and_holes_take_the_far_side():
    photo = np.zeros((1, 8, 3), np.uint8)
    photo[0, :, 0] = np.arange(8) * 10
    shift = np.array([[0, 0, 0, 2, 2, 0, 0, 0]], np.float32)  # pixels 3, 4 near: land on 1, 2
    out = forward_warp(photo, shift)[0, :, 0].tolist()
    # 1, 2 show the near pixels over the far ones; 3, 4 were behind them: filled from the far side (5)
    assert out == [0, 30, 40, 50, 50, 50, 60, 70]


def test_fill_from_far_side_takes_the_farther_neighbour():
    values = np.array([[9.0, 0, 0, 3.0, 0], [0, 0, 0, 0, 0]], np.float32)
    filled = fill_from_far_side(values, values > 0)
    assert filled.tolist() == [[9, 3, 3, 3, 3], [3, 3, 3, 3, 3]]


@pytest.mark.parametrize("a, b", [(10.0, -5.0), (-8.0, 2.0), (25.0, 40.0)])
def test_renderer_view_reproduces_the_fit(a, b):
    view = renderer_view(a, b)
    for d in (0.0, 0.3, 1.0):  # the renderers move a pixel left by x * shift_px * (d - focus)
        assert view["x"] * view["shift_px"] * (d - view["focus"]) == pytest.approx(a * d + b)
    flat = renderer_view(0.0, -3.0, constant=0.5)
    assert flat["x"] * flat["shift_px"] * (0.5 - flat["focus"]) == pytest.approx(-3.0)
