"""Depth refinement: box filters, the guided filter, and near-over-far dilation."""

from __future__ import annotations

import numpy as np
import pytest
from diorama.filters import box_mean, max_filter, min_filter
from diorama.refine import dilate_near, guided_filter, refine_depth


def _brute_box(a: np.ndarray, r: int) -> np.ndarray:
    h, w = a.shape[:2]
    return np.array(
        [
            [a[max(0, i - r) : i + r + 1, max(0, j - r) : j + r + 1].mean(axis=(0, 1)) for j in range(w)]
            for i in range(h)
        ]
    )


@pytest.mark.parametrize("shape", [(7, 5), (13, 17, 3), (1, 9)])
@pytest.mark.parametrize("radius", [0, 1, 3, 20])
def test_box_mean_matches_brute_force(shape, radius):
    a = np.random.default_rng(1).random(shape)
    assert np.allclose(box_mean(a, radius), _brute_box(a, radius), atol=1e-6)


@pytest.mark.parametrize("radius", [1, 2, 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.uint8])
def test_max_min_filters_match_brute_force(radius, dtype):
    rng = np.random.default_rng(2)
    if np.issubdtype(dtype, np.floating):
        # both signs, tiny to huge magnitudes, signed zeros and infinities (floats are compared as integer keys)
        a = (rng.standard_normal((11, 14)) * 10.0 ** rng.integers(-30, 30, (11, 14))).astype(dtype)
        a[0, :4] = [-0.0, 0.0, np.inf, -np.inf]
    else:
        a = rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max, (11, 14), endpoint=True).astype(dtype)
    p = np.pad(a, radius, mode="edge")
    k = 2 * radius + 1
    windows = np.lib.stride_tricks.sliding_window_view(p, (k, k))
    assert max_filter(a, radius).dtype == dtype and min_filter(a, radius).dtype == dtype
    assert np.array_equal(max_filter(a, radius), windows.max(axis=(2, 3)))
    assert np.array_equal(min_filter(a, radius), windows.min(axis=(2, 3)))


@pytest.mark.parametrize("guide_channels", [None, 3])
@pytest.mark.parametrize("subsample", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_guided_filter_constant_in_constant_out(guide_channels, subsample, dtype):
    rng = np.random.default_rng(3)
    shape = (31, 45) if guide_channels is None else (31, 45, guide_channels)
    guide = rng.integers(0, 256, shape, dtype=np.uint8)
    depth = np.full((31, 45), 0.37, dtype=dtype) if dtype != np.uint8 else np.full((31, 45), 7, np.uint8)
    out = guided_filter(depth, guide, radius=4, subsample=subsample)
    assert out.dtype == np.float32 and out.shape == (31, 45)
    assert np.allclose(out, float(depth.flat[0]), atol=1e-4)


@pytest.mark.parametrize("colour", [False, True])
@pytest.mark.parametrize("subsample", [1, 2])
@pytest.mark.parametrize("offset", [-3, 3])
def test_depth_step_snaps_to_guide_edge(colour, subsample, offset):
    """A depth step a few pixels off the photo's edge moves onto the photo's edge."""
    rng = np.random.default_rng(4)
    edge = 30
    depth = np.zeros((40, 64), np.float32)
    depth[:, edge + offset :] = 1
    guide = np.full((40, 64, 3), 40, np.uint8)
    guide[:, edge:] = (200, 120, 60)
    guide = (guide + rng.integers(0, 8, guide.shape)).astype(np.uint8)  # a little texture
    out = guided_filter(depth, guide if colour else guide[..., 0], radius=6, eps=1e-3, subsample=subsample)
    jumps = np.diff(out, axis=1)
    assert np.all(np.argmax(jumps, axis=1) + 1 == edge)
    assert jumps[:, edge - 1].min() > 0.4
    # and the photo's flat areas beyond the filter's reach (two windows) keep their depth
    reach = 2 * 6 + 3 + 2 * subsample  # + the depth offset, + bilinear upsampling
    assert np.allclose(out[:, : edge - reach], 0, atol=0.02) and np.allclose(out[:, edge + reach :], 1, atol=0.02)


def test_guided_filter_keeps_range_and_rejects_bad_input():
    depth = np.random.default_rng(5).random((20, 20)).astype(np.float32)
    out = guided_filter(depth, depth, radius=3)
    assert depth.min() <= out.min() and out.max() <= depth.max()
    with pytest.raises(ValueError, match="guide must be"):
        guided_filter(depth, np.zeros((10, 20)))
    with pytest.raises(ValueError, match="radius"):
        guided_filter(depth, depth, radius=0)
    with pytest.raises(ValueError, match="eps"):
        guided_filter(depth, depth, eps=0)
    with pytest.raises(ValueError, match="channels"):
        guided_filter(depth, np.zeros((20, 20, 4)))


@pytest.mark.parametrize("radius", [1, 3, 6])
def test_dilation_grows_near_region_by_radius(radius):
    depth = np.full((50, 60), 0.2, np.float32)
    depth[20:30, 25:35] = 0.9  # a near card
    out = dilate_near(depth, radius=radius, threshold=0.05)
    grown = out > 0.5
    expected = np.zeros_like(grown)
    expected[20 - radius : 30 + radius, 25 - radius : 35 + radius] = True
    assert np.array_equal(grown, expected)
    assert np.all(out >= depth)


def test_dilation_only_at_discontinuities():
    # a gentle ramp (slope below threshold / radius) and a flat area are untouched
    ramp = np.tile(np.linspace(0, 0.3, 80, dtype=np.float32), (30, 1))  # 0.0038 / px
    assert np.array_equal(dilate_near(ramp, radius=3, threshold=0.05), ramp)
    # a step on top of the ramp: only pixels within the radius of the step change
    stepped = ramp.copy()
    stepped[:, 50:] += 0.5
    out = dilate_near(stepped, radius=3, threshold=0.05)
    changed = np.nonzero(np.any(out != stepped, axis=0))[0]
    assert changed.tolist() == [47, 48, 49]


def test_dilation_constant_and_zero_radius():
    flat = np.full((9, 9), 0.6, np.float32)
    assert np.array_equal(dilate_near(flat, radius=4), flat)
    rough = np.random.default_rng(6).random((9, 9)).astype(np.float32)
    assert np.array_equal(dilate_near(rough, radius=0), rough)
    with pytest.raises(ValueError, match="radius"):
        dilate_near(rough, radius=-1)


def test_refine_depth_constant_and_range():
    photo = np.random.default_rng(7).integers(0, 256, (64, 48, 3), dtype=np.uint8)
    assert np.allclose(refine_depth(np.full((64, 48), 0.25), photo), 0.25, atol=1e-4)
    depth = np.random.default_rng(8).random((64, 48)).astype(np.float32)
    out = refine_depth(depth, photo)
    assert out.dtype == np.float32 and out.shape == depth.shape
    assert 0 <= out.min() and out.max() <= 1
