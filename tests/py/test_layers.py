"""Layered depth and push-pull inpainting."""

from __future__ import annotations

import numpy as np
import pytest
from diorama.inpaint import push_pull
from diorama.layers import find_discontinuities, split_layers
from diorama.refine import refine_depth


def card_scene(h=120, w=160, seed=0):
    """A textured reddish card (depth 0.9) in front of a textured bluish plane (depth 0.2)."""
    rng = np.random.default_rng(seed)
    photo = np.empty((h, w, 3), np.uint8)
    photo[...] = (40, 60, 200)
    photo = (photo + rng.integers(-30, 30, photo.shape)).clip(0, 255).astype(np.uint8)
    depth = np.full((h, w), 0.2, np.float32)
    card = (slice(h // 4, 3 * h // 4), slice(w // 3, 2 * w // 3))
    photo[card] = (220, 50, 30) + rng.integers(-20, 20, photo[card].shape)
    depth[card] = 0.9
    return photo, depth, card


# --- push-pull ------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (33, 64, 3), (50, 37, 4)])
@pytest.mark.parametrize("work_scale", [1, 2, 3])
def test_push_pull_constant_in_constant_out(shape, work_scale):
    rng = np.random.default_rng(1)
    image = np.full(shape, 0.42, np.float32)
    known = rng.random(shape[:2]) > 0.7
    known.flat[0] = True
    assert np.allclose(push_pull(image, known, work_scale=work_scale), 0.42, atol=1e-5)


@pytest.mark.parametrize("work_scale", [1, 2])
def test_push_pull_fills_every_hole_within_known_range_and_keeps_known(work_scale):
    rng = np.random.default_rng(2)
    image = rng.random((64, 80, 3)).astype(np.float32)
    known = np.ones((64, 80), bool)
    known[10:50, 20:70] = False  # a big hole
    known[rng.random((64, 80)) < 0.2] = False  # and scattered ones
    out = push_pull(np.where(known[..., None], image, np.nan), known, work_scale=work_scale)
    assert np.all(np.isfinite(out))
    assert np.array_equal(out[known], image[known])
    lo, hi = image[known].min(axis=0), image[known].max(axis=0)
    assert np.all(out >= lo - 1e-6) and np.all(out <= hi + 1e-6)


def test_push_pull_is_smooth_between_two_values():
    image = np.zeros((1, 64), np.float32)
    image[0, 0], image[0, -1] = 0, 1
    known = np.zeros((1, 64), bool)
    known[0, [0, -1]] = True
    out = push_pull(image, known)[0]
    assert np.all(np.diff(out) >= -1e-6)  # monotone membrane, no overshoot


def test_push_pull_rejects_bad_input():
    with pytest.raises(ValueError, match="known"):
        push_pull(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="work_scale"):
        push_pull(np.zeros((4, 4)), np.ones((4, 4)), work_scale=0)


# --- layers ---------------------------------------------------------------------------------


def test_discontinuities_only_at_steps():
    ramp = np.tile(np.linspace(0, 1, 100, dtype=np.float32), (10, 1))  # 0.01 / px: a slope
    assert not find_discontinuities(ramp)[0].any()
    photo, depth, card = card_scene()
    edges = find_discontinuities(depth)[0]
    assert edges.any() and not edges[card][2:-2, 2:-2].any() and not edges[:20].any()


@pytest.mark.parametrize("band", [6, 15])
def test_split_layers_fills_behind_the_card_from_the_background(band):
    photo, depth, card = card_scene()
    layers = split_layers(photo, depth, band=band)
    bg, fg_alpha, filled = layers.background_rgb, layers.foreground_alpha, layers.filled
    # the filled region is the card's rim, `band` deep
    rows, cols = card
    expected = np.zeros(depth.shape, bool)
    expected[card] = True
    inner = np.zeros(depth.shape, bool)
    inner[rows.start + band : rows.stop - band, cols.start + band : cols.stop - band] = True
    assert np.array_equal(filled, expected & ~inner)
    # no holes: every filled pixel is background-coloured (bluish), none keeps the card's red
    plane = photo[~expected].astype(int)
    got = bg[filled].astype(int)
    assert got[:, 2].min() >= plane[:, 2].min() - 1 and got[:, 0].max() <= plane[:, 0].max() + 1
    assert np.all(got[:, 2] > got[:, 0])
    # the background layer's depth is the plane's behind the rim, unchanged elsewhere
    assert np.allclose(layers.background_depth[filled], 0.2, atol=1e-4)
    assert np.array_equal(layers.background_depth[~filled], depth[~filled])
    assert np.array_equal(bg[~filled], photo[~filled])
    # the foreground is transparent in a thin strip just outside the card, opaque elsewhere
    ring = np.zeros(depth.shape, bool)
    ring[rows.start - 2 : rows.stop + 2, cols.start - 2 : cols.stop + 2] = True
    assert np.array_equal(fg_alpha == 0, ring & ~expected)


def test_split_layers_without_edges_is_the_photo():
    rng = np.random.default_rng(3)
    photo = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    depth = np.tile(np.linspace(0.2, 0.6, 40, dtype=np.float32), (30, 1))
    layers = split_layers(photo, depth)
    assert np.array_equal(layers.background_rgb, photo)
    assert np.array_equal(layers.background_depth, depth)
    assert np.all(layers.foreground_alpha == 1) and not layers.filled.any()


@pytest.mark.parametrize("sharpen", [False, True])
def test_split_layers_after_refinement_of_a_blurred_misaligned_depth(sharpen):
    """The whole chain on model-like depth: soft, a few pixels off the photo's edge."""
    photo, depth, card = card_scene(seed=4)
    soft = np.roll(depth, 3, axis=1)
    for _ in range(4):  # blur it
        soft = (soft + np.roll(soft, 1, 0) + np.roll(soft, -1, 0) + np.roll(soft, 1, 1) + np.roll(soft, -1, 1)) / 5
    refined = refine_depth(soft, photo, radius=6, dilation=1, sharpen=sharpen)
    layers = split_layers(photo, refined, band=12)
    got = layers.background_rgb[layers.filled].astype(int)
    assert layers.filled.sum() > 0
    assert np.mean(got[:, 2] > got[:, 0]) > 0.95  # filled from the bluish plane


def test_split_layers_rejects_mismatched_input():
    with pytest.raises(ValueError, match="photo must be"):
        split_layers(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 11)))


# --- the worker's entry point -------------------------------------------------------------------


def test_studio_layers_returns_the_renderers_textures():
    import io

    from diorama.bridge import Studio
    from diorama.errors import DioramaError
    from PIL import Image

    def png(array):
        buf = io.BytesIO()
        Image.fromarray(array).save(buf, "PNG")
        return buf.getvalue()

    photo, depth, card = card_scene()
    studio = Studio()
    studio.open_photo(png(photo), 1)
    with pytest.raises(DioramaError, match="no depth"):
        studio.layers()
    studio.use_depth_map(png((depth * 255).astype(np.uint8)))
    studio.commit({"contrast": 1.0, "smoothing": 0.0})
    back, packed, near, far = studio.layers()
    h, w = depth.shape
    for array in (back, packed):
        assert array.shape == (h, w, 4) and array.dtype == np.uint8 and array.flags.c_contiguous
    assert set(np.unique(packed[..., 3])) == {0, 255} and np.array_equal(back[..., 3], packed[..., 3])
    assert (packed[..., 1] <= packed[..., 0]).all()  # the background is never nearer
    assert near == 1.0 and far == 0.0
    # behind the card's rim the background layer is far and bluish
    rim = packed[..., 0].astype(int) - packed[..., 1] > 128
    assert rim.sum() > 0 and np.all(back[rim][:, 2] > back[rim][:, 0])
    # where the foreground is transparent, the background is the photo as it is
    clear = packed[..., 3] == 0
    assert np.array_equal(back[clear][:, :3], photo[clear]) and np.array_equal(packed[clear, 1], packed[clear, 0])


def test_isolated_specks_are_not_discontinuities():
    depth = np.full((40, 40), 0.3, np.float32)
    depth[10, 10] = 0.9  # one noisy pixel
    depth[20:, 25:] = 0.9  # and a real outline
    edges = find_discontinuities(depth)[0]
    assert not edges[5:16, 5:16].any()
    assert edges[25, 24] and edges[25, 25]
    assert find_discontinuities(depth, min_support=0)[0][10, 10]


def test_push_pull_reach_is_limited_by_levels_and_reported_as_coverage():
    image = np.full((64, 64, 3), 0.7, np.float32)
    known = np.zeros((64, 64), bool)
    known[:, :4] = True  # sources only on the left edge
    filled, cover = push_pull(image, known, levels=3, return_coverage=True)  # reach ~ 2**(3 - 1) px
    assert np.all(cover[:, :4] == 1) and cover[:, 6].min() > 0.5 and cover[:, 20:].max() < 0.05
    assert np.all(np.diff(cover[:, 3:], axis=1) <= 1e-6)  # falls with the distance to the sources
    assert np.allclose(filled[cover > 0.01], 0.7, atol=1e-4)  # no darkening from empty blocks
    full, cover_all = push_pull(image, known, return_coverage=True)
    assert np.allclose(full, 0.7, atol=1e-5) and cover_all.min() > 0.99


@pytest.mark.parametrize("levels", [None, 3])
def test_fill_at_matches_push_pull_at_full_resolution(levels):
    from diorama.inpaint import fill_at

    rng = np.random.default_rng(5)
    image = rng.random((37, 50, 2)).astype(np.float32)
    known = rng.random((37, 50)) > 0.6
    targets = ~known
    full, cover = push_pull(image, known, levels=levels, return_coverage=True)
    values, cov = fill_at([image[..., 0], image[..., 1]], known, targets, work_scale=1, levels=levels)
    assert np.allclose(values, full[targets], atol=1e-5) and np.allclose(cov, cover[targets], atol=1e-5)


def test_split_layers_at_half_resolution_still_fills_from_the_background():
    photo, depth, card = card_scene(240, 320)
    layers = split_layers(photo, depth, band=12, work_scale=2)
    got = layers.background_rgb[layers.filled].astype(int)
    assert layers.filled.sum() > 0 and np.all(got[:, 2] > got[:, 0])
