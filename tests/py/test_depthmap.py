"""load_depth_map, normalize_depth, postprocess_depth and the quantisers."""

from __future__ import annotations

import io

import numpy as np
import pytest
from diorama.depthmap import (
    SEED_RECIPE,
    as_depth,
    depth_texels,
    depth_to_uint8,
    depth_to_uint16,
    load_depth_map,
    normalize_depth,
    postprocess_depth,
    resembles_depth_map,
)
from diorama.errors import DioramaError
from PIL import Image, ImageEnhance

SHAPES = [(1, 1), (1, 7), (5, 1), (32, 48), (97, 64)]
DTYPES = [np.float32, np.float64, np.uint8, np.uint16, np.int32]


def random_depth(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, np.iinfo(dtype).max // 2, shape).astype(dtype)
    return (rng.random(shape) * 3 - 1).astype(dtype)  # any range, not only [0, 1]


def high_frequency_energy(depth):
    """Sum of squared differences between neighbours."""
    d = depth.astype(np.float64)
    return float((np.diff(d, axis=0) ** 2).sum() + (np.diff(d, axis=1) ** 2).sum())


# --- load_depth_map -------------------------------------------------------------------------------


def test_eight_bit_png_same_size(files):
    grey = np.random.default_rng(0).integers(0, 256, (30, 40), dtype=np.uint8)
    depth = load_depth_map(files.encode(Image.fromarray(grey), "PNG"), (30, 40))
    assert depth.dtype == np.float32 and depth.shape == (30, 40) and depth.flags.c_contiguous
    np.testing.assert_array_equal(depth, grey.astype(np.float32) / 255)


def test_sixteen_bit_png_keeps_its_precision(files):
    values = np.random.default_rng(1).integers(0, 65536, (24, 40), dtype=np.uint16)
    values[0, :2] = (0, 65535)
    depth = load_depth_map(files.encode(Image.fromarray(values), "PNG"), (24, 40))
    np.testing.assert_allclose(depth, values / 65535, rtol=0, atol=1e-7)
    assert len(np.unique(depth)) > 256  # more levels than 8 bits could carry
    assert depth.min() == 0 and depth.max() == 1


def test_white_is_one_black_is_zero(files):
    image = Image.new("L", (8, 4), 0)
    image.paste(255, (4, 0, 8, 4))
    depth = load_depth_map(files.encode(image, "PNG"), (4, 8))
    assert depth[:, :4].max() == 0 and depth[:, 4:].min() == 1


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_colour_depth_map_becomes_luminance(files, fmt):
    image = Image.new("RGB", (16, 8), (255, 0, 0))
    image.paste((0, 0, 255), (8, 0, 16, 8))
    depth = load_depth_map(files.encode(image, fmt, **({"quality": 100} if fmt != "PNG" else {})), (8, 16))
    np.testing.assert_allclose(depth[4, 2], 0.299, atol=0.02)
    np.testing.assert_allclose(depth[4, 13], 0.114, atol=0.02)


@pytest.mark.parametrize(
    "source, target",
    [
        ((40, 30), (60, 80)),  # larger, same aspect (shape is (H, W))
        ((400, 300), (30, 40)),  # smaller, same aspect
        ((50, 50), (30, 80)),  # square map stretched to a wide photo
        ((30, 90), (45, 20)),  # portrait map onto a landscape frame
        ((1, 1), (17, 9)),
    ],
)
def test_another_size_or_aspect_is_stretched_to_the_photo(files, source, target):
    width, height = source
    ramp = np.tile(np.linspace(0, 1, width, dtype=np.float32), (height, 1))  # dark left, white right
    image = Image.fromarray(np.rint(ramp * 65535).astype(np.uint16))
    depth = load_depth_map(files.encode(image, "PNG"), target)
    assert depth.shape == target and depth.dtype == np.float32
    assert depth.min() >= 0 and depth.max() <= 1
    if width > 1:
        assert np.all(np.diff(depth, axis=1) >= -1e-6)  # still increasing left to right
        assert np.allclose(depth, depth[:1], atol=1e-6)  # still constant down each column
        assert depth[0, 0] < 0.1 and depth[0, -1] > 0.9


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_depth_map_exif_orientation(files, fmt, orientation):
    upright = Image.new("L", (40, 20), 0)
    upright.paste(255, (0, 0, 10, 10))  # white top-left corner
    stored = files.stored_for(upright, orientation)
    data = files.encode(stored, fmt, exif=files.exif(orientation), **({"quality": 95} if fmt == "JPEG" else {}))
    depth = load_depth_map(data, (20, 40))
    assert depth[3, 3] > 0.9 and depth[3, 36] < 0.1 and depth[16, 3] < 0.1


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_large_png_depth_map_reduced_first_matches_a_float_resample(files, dtype):
    # A map several times the photo's size is box-reduced in its own mode before the bilinear
    # resample: the result must be what resampling the whole map as float gives.
    top = np.iinfo(dtype).max
    y, x = np.mgrid[0:900, 0:1200]
    values = (0.5 + 0.25 * np.sin(x / 37.0) + 0.2 * np.cos(y / 23.0)) * top
    image = Image.fromarray(np.rint(values).astype(dtype))
    depth = load_depth_map(files.encode(image, "PNG"), (200, 300))
    reference = np.asarray(
        Image.fromarray((np.asarray(image, dtype=np.float32) / top).astype(np.float32), "F").resize(
            (300, 200), Image.Resampling.BILINEAR
        )
    )
    assert depth.shape == (200, 300)
    np.testing.assert_allclose(depth, reference, atol=0.01)  # both average ~4x4 pixels of smooth depth


def test_large_jpeg_depth_map_is_reduced_while_decoding(files):
    image = Image.linear_gradient("L").resize((3000, 2000))
    depth = load_depth_map(files.encode(image, "JPEG"), (300, 450))
    assert depth.shape == (300, 450)
    assert depth[0].max() < 0.05 and depth[-1].min() > 0.95  # top black, bottom white


@pytest.mark.parametrize("shape", [(0, 5), (5,), (2, 3, 4), "big", (2.5, 3), None, (-1, 3)])
def test_bad_shape_is_a_programming_error(files, shape):
    data = files.encode(Image.new("L", (4, 4)), "PNG")
    with pytest.raises(ValueError, match=r"shape must be \(height, width\)") as info:
        load_depth_map(data, shape)
    assert not isinstance(info.value, DioramaError)


def test_shape_accepts_numpy_integers(files):
    data = files.encode(Image.new("L", (4, 4)), "PNG")
    assert load_depth_map(data, np.zeros((3, 5, 3)).shape[:2]).shape == (3, 5)
    assert load_depth_map(data, (np.int64(3), np.int32(5))).shape == (3, 5)


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", r"^This file is empty \(0 bytes\)\.$"),
        (b"not an image", "not an image Diorama can read"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "vector image"),
    ],
)
def test_bad_depth_files_use_the_photo_messages(data, match):
    with pytest.raises(DioramaError, match=match):
        load_depth_map(data, (10, 10))


def test_depth_bomb_is_refused(files):
    with pytest.raises(DioramaError, match="too large"):
        load_depth_map(files.png_header_only(30000, 30000), (10, 10))


def test_truncated_depth_jpeg_is_refused(files):
    data = files.encode(files.random_image("L", (64, 64), seed=2), "JPEG")
    with pytest.raises(DioramaError, match="damaged or incomplete"):
        load_depth_map(data[: len(data) // 2], (64, 64))


@pytest.mark.parametrize(
    "values, expected",
    [
        ([[0.0, 0.25, 1.0]], [[0.0, 0.25, 1.0]]),
        ([[np.nan, 2.0, 4.0]], [[0.0, 0.0, 1.0]]),
        ([[np.inf, -np.inf, 0.5]], [[1.0, 0.0, 0.5]]),
        ([[np.nan, np.nan, np.nan]], [[0.0, 0.0, 0.0]]),
    ],
)
def test_float_tiff_depth(files, values, expected):
    image = Image.fromarray(np.array(values, dtype=np.float32))
    depth = load_depth_map(files.encode(image, "TIFF"), (1, 3))
    np.testing.assert_allclose(depth, expected)


# --- as_depth ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.zeros((2, 3, 1)), ValueError, r"2-D \(H, W\) array, got shape \(2, 3, 1\)"),
        (np.zeros((0, 3)), ValueError, "non-empty"),
        (np.zeros(5), ValueError, r"got shape \(5,\)"),
        (np.zeros((2, 2), complex), TypeError, "got dtype complex128"),
        (np.array([["a", "b"]]), TypeError, "real numbers"),
        (np.array([[1.0, np.nan], [np.inf, 0]]), ValueError, "has 2 NaN or infinite values"),
    ],
)
def test_as_depth_refuses(bad, error, match):
    with pytest.raises(error, match=match):
        as_depth(bad)


def test_as_depth_keeps_float32_without_copy():
    d = np.zeros((3, 4), np.float32)
    assert as_depth(d) is d
    assert as_depth(np.ones((2, 2), bool)).dtype == np.float32


# --- normalize_depth and postprocess_depth ------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize("contrast, smoothing", [(5.0, 1.0), (1.0, 0.0), (0.0, 3.0), (2.5, 40.0)])
def test_postprocess_contract(shape, dtype, invert, contrast, smoothing):
    depth = random_depth(shape, dtype, seed=sum(shape))
    out = postprocess_depth(depth, invert=invert, contrast=contrast, smoothing=smoothing)
    assert out.dtype == np.float32 and out.shape == shape
    assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("value", [0.0, 0.3, 1.0, -7.5, 1e6])
@pytest.mark.parametrize("contrast, smoothing", [(5.0, 1.0), (1.0, 0.0), (0.0, 100.0)])
def test_constant_in_constant_out(shape, value, contrast, smoothing):
    out = postprocess_depth(np.full(shape, value), contrast=contrast, smoothing=smoothing)
    assert np.all(out == out.flat[0]) and np.isfinite(out.flat[0])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("contrast, smoothing", [(5.0, 1.0), (1.0, 0.0), (3.0, 10.0)])
def test_invert_is_one_minus(shape, contrast, smoothing):
    depth = random_depth(shape, np.float32, seed=7)
    plain = postprocess_depth(depth, contrast=contrast, smoothing=smoothing)
    inverted = postprocess_depth(depth, invert=True, contrast=contrast, smoothing=smoothing)
    np.testing.assert_allclose(inverted, 1 - plain, atol=1e-5)


@pytest.mark.parametrize("shape", SHAPES)
def test_inverting_twice_is_the_same_as_never_inverting(shape):
    depth = random_depth(shape, np.float64, seed=11)
    once = postprocess_depth(depth, invert=True, contrast=1.0, smoothing=0.0)
    twice = postprocess_depth(once, invert=True, contrast=1.0, smoothing=0.0)
    never = postprocess_depth(postprocess_depth(depth, contrast=1.0, smoothing=0.0), contrast=1.0, smoothing=0.0)
    np.testing.assert_allclose(twice, never, atol=1e-5)
    np.testing.assert_allclose(twice, normalize_depth(depth), atol=0.05)  # percentiles of percentiles


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_contrast_one_without_smoothing_is_normalisation(shape, dtype):
    depth = random_depth(shape, dtype, seed=5)
    np.testing.assert_array_equal(postprocess_depth(depth, contrast=1.0, smoothing=0.0), normalize_depth(depth))


def test_contrast_matches_pillow_image_enhance():
    # The seed blog: ImageEnhance.Contrast(depth_image).enhance(5) on 8 bits.
    grey = np.random.default_rng(3).integers(0, 256, (64, 80), dtype=np.uint8)
    grey[0, 0], grey[0, 1] = 0, 255  # full range, so the normalisation is almost an identity
    pillow = np.asarray(ImageEnhance.Contrast(Image.fromarray(grey)).enhance(5.0)).astype(np.float32) / 255
    ours = postprocess_depth(grey, **SEED_RECIPE, smoothing=0.0)
    unit = grey.astype(np.float32) / 255
    ours_on_unit = np.clip(unit.mean() + 5 * (unit - unit.mean()), 0, 1)  # the documented formula
    np.testing.assert_allclose(ours_on_unit, pillow, atol=3 / 255)  # Pillow rounds its mean to 8 bits
    assert ours.shape == pillow.shape and np.mean(np.abs(ours - pillow)) < 0.03


def pinned_share(depth):
    """Share of pixels within 2 % of either end of [0, 1]."""
    return float(np.mean((depth <= 0.02) | (depth >= 0.98)))


def test_soft_contrast_never_pins_what_the_seed_recipe_pins():
    depth = np.random.default_rng(21).normal(0.5, 0.15, (60, 80))  # most of a scene between its ends
    normalised = postprocess_depth(depth, contrast=1.0, smoothing=0.0)
    seed = postprocess_depth(depth, **SEED_RECIPE, smoothing=0.0)
    default = postprocess_depth(depth, smoothing=0.0)
    assert pinned_share(seed) > pinned_share(normalised) + 0.5  # the seed's two planes
    assert pinned_share(default) < pinned_share(normalised) + 0.1
    # monotonic, and the ends stay where they are
    order = np.argsort(normalised, axis=None)
    assert np.all(np.diff(default.ravel()[order]) >= 0)
    assert default.min() == 0 and default.max() == 1


def test_soft_contrast_stays_meaningful_across_the_slider():
    depth = random_depth((60, 80), np.float32, seed=22)
    outs = [postprocess_depth(depth, contrast=c, smoothing=0.0) for c in (0.5, 1.0, 1.5, 2.5, 4.0, 5.0)]
    spreads = [float(np.std(o)) for o in outs]
    assert all(b > a + 1e-3 for a, b in zip(spreads, spreads[1:]))  # every step adds depth contrast
    assert all(np.mean(np.abs(b - a)) > 0.005 for a, b in zip(outs, outs[1:]))  # and moves pixels
    assert pinned_share(outs[-1]) < 0.9  # even the top of the range is not two planes


def test_soft_contrast_slope_at_the_mean():
    ramp = np.linspace(0, 1, 1001, dtype=np.float32)[None, :]
    out = postprocess_depth(ramp, contrast=3.0, smoothing=0.0)
    normalised = normalize_depth(ramp)
    i = int(np.argmin(np.abs(normalised - normalised.mean())))
    slope = (out[0, i + 1] - out[0, i - 1]) / (normalised[0, i + 1] - normalised[0, i - 1])
    assert slope == pytest.approx(3.0, rel=0.02)


def test_unknown_curve_is_refused():
    with pytest.raises(ValueError, match="curve must be one of"):
        postprocess_depth(np.zeros((2, 2)), curve="cubic")


def test_contrast_zero_is_flat_at_the_mean():
    depth = random_depth((20, 30), np.float32, seed=9)
    out = postprocess_depth(depth, contrast=0.0, smoothing=0.0)
    np.testing.assert_allclose(out, normalize_depth(depth).mean(), atol=1e-6)


@pytest.mark.parametrize("shape", [(512, 384), (300, 700), (64, 2048), (200, 150)])
@pytest.mark.parametrize("smoothing", [1.5, 3.0])
def test_smoothing_reduces_high_frequency_energy(shape, smoothing):
    depth = random_depth(shape, np.float32, seed=13)
    sharp = postprocess_depth(depth, contrast=1.0, smoothing=0.0)
    smooth = postprocess_depth(depth, contrast=1.0, smoothing=smoothing)
    assert high_frequency_energy(smooth) < 0.5 * high_frequency_energy(sharp)
    assert abs(float(smooth.mean()) - float(sharp.mean())) < 0.02  # blurring moves no mass


def test_smoothing_grows_with_the_slider():
    depth = random_depth((400, 600), np.float32, seed=17)
    energies = [high_frequency_energy(postprocess_depth(depth, contrast=1.0, smoothing=s)) for s in (0, 1, 2, 4)]
    assert energies == sorted(energies, reverse=True) and len(set(energies)) == 4


def test_smoothing_keeps_a_step_centred():
    step = np.zeros((64, 512), np.float32)
    step[:, 256:] = 1
    out = postprocess_depth(step, contrast=1.0, smoothing=4.0)
    row = out[32]
    assert 0 < row[255] < 1 and 0 < row[256] < 1
    np.testing.assert_allclose(row[:256], 1 - row[256:][::-1], atol=1e-6)  # symmetric about the step
    assert row[0] == 0 and row[-1] == 1


def test_normalize_depth_uses_percentiles_and_clips_outliers():
    depth = np.linspace(0, 1, 1001, dtype=np.float32).reshape(7, 143)
    depth[0, 0] = -100  # an outlier
    out = normalize_depth(depth)
    assert out.min() == 0 and out.max() == 1
    assert np.mean(out == 0) < 0.02 and np.mean(out == 1) < 0.02
    np.testing.assert_allclose(np.median(out), 0.5, atol=0.01)


def test_normalize_depth_falls_back_to_min_max_for_mostly_flat_maps():
    depth = np.zeros((100, 100), np.float32)
    depth[10:14, 10:14] = 0.8  # a small near object on a flat background (0.16 % of the map)
    out = normalize_depth(depth)
    assert out[12, 12] == 1 and out[50, 50] == 0


@pytest.mark.parametrize("low, high", [(50, 50), (-1, 99), (1, 101), (99, 1)])
def test_normalize_depth_bad_percentiles(low, high):
    with pytest.raises(ValueError, match="need 0 <= low < high <= 100"):
        normalize_depth(np.zeros((2, 2)), low=low, high=high)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"contrast": -1.0}, "contrast must be a finite number >= 0, got -1.0; use invert=True"),
        ({"contrast": float("nan")}, "contrast must be"),
        ({"smoothing": -0.5}, "smoothing must be a finite number >= 0, got -0.5; 0 disables it"),
        ({"smoothing": float("inf")}, "smoothing must be"),
        ({"contrast": "5"}, "contrast must be"),
    ],
)
def test_postprocess_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        postprocess_depth(np.zeros((4, 4)), **kwargs)


def test_postprocess_does_not_modify_its_input():
    depth = random_depth((20, 20), np.float32, seed=1)
    before = depth.copy()
    postprocess_depth(depth, invert=True, contrast=3.0, smoothing=5.0)
    np.testing.assert_array_equal(depth, before)


# --- quantisers -------------------------------------------------------------------------------------


def test_depth_to_uint8_and_uint16():
    depth = np.array([[0.0, 0.5, 1.0, 1 / 255, -0.2, 1.3]], np.float32)
    assert depth_to_uint8(depth).tolist() == [[0, 128, 255, 1, 0, 255]]
    assert depth_to_uint16(depth).tolist() == [[0, 32768, 65535, 257, 0, 65535]]
    assert depth_to_uint8(depth).dtype == np.uint8 and depth_to_uint16(depth).dtype == np.uint16


def test_sixteen_bit_round_trip(files):
    depth = postprocess_depth(random_depth((40, 50), np.float32, seed=2), contrast=1.0, smoothing=0.0)
    data = files.encode(Image.fromarray(depth_to_uint16(depth)), "PNG")
    np.testing.assert_allclose(load_depth_map(data, depth.shape), depth, atol=0.5 / 65535 + 1e-7)


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (64, 48)])
def test_depth_texels_are_grey_opaque_with_their_range(shape):
    depth = np.random.default_rng(3).integers(10, 250, shape, dtype=np.uint8)
    texels, near, far = depth_texels(depth)
    assert texels.shape == shape + (4,) and texels.dtype == np.uint8
    assert all(np.array_equal(texels[..., c], depth) for c in range(3)) and np.all(texels[..., 3] == 255)
    assert (near, far) == (depth.max() / 255, depth.min() / 255)
    flat, near, far = depth_texels(np.full(shape, 77, np.uint8))  # constant in: near == far
    assert near == far == 77 / 255 and np.all(flat[..., 0] == 77)


def test_depth_texels_of_unit_depth_are_its_8_bit_quantisation():
    depth = np.random.default_rng(4).random((9, 7)).astype(np.float32)
    texels, near, far = depth_texels(depth)
    np.testing.assert_array_equal(texels[..., 0], depth_to_uint8(depth))
    assert (near, far) == (depth_to_uint8(depth).max() / 255, depth_to_uint8(depth).min() / 255)


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 1), np.uint8), np.zeros((0, 3), np.uint8)])
def test_depth_texels_refuse_other_shapes(bad):
    with pytest.raises(ValueError, match="non-empty"):
        depth_texels(bad)


def test_quantisers_refuse_nan():
    with pytest.raises(ValueError, match="NaN"):
        depth_to_uint8(np.array([[np.nan]]))


def test_a_lab_depth_map_reads_its_lightness():
    # Pillow can't convert LAB to L or RGB; its lightness band is the brightness (found by the corpus run)
    lab = Image.merge(
        "LAB",
        [Image.linear_gradient("L").resize((64, 48)), Image.new("L", (64, 48), 128), Image.new("L", (64, 48), 128)],
    )
    buf = io.BytesIO()
    lab.save(buf, "TIFF")
    depth = load_depth_map(buf.getvalue(), (48, 64))
    assert depth[-1].mean() > 0.9 > 0.1 > depth[0].mean()


# --- resembles_depth_map ------------------------------------------------------------------------------------


def _grey_rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(np.asarray(grey, np.uint8)[..., None], 3, axis=2)


def _scene_depth(height=300, width=400) -> np.ndarray:
    """A depth map as models draw them: a floor ramp, a near box with sharp edges, JPEG-like noise."""
    y, x = np.mgrid[0:height, 0:width]
    depth = 40 + 120 * y / height
    depth[(abs(x - width / 2) < width / 6) & (abs(y - height / 2) < height / 5)] = 230
    return _grey_rgb(np.clip(depth + np.random.default_rng(0).normal(0, 0.7, depth.shape), 0, 255))


def _textured_grey_photo(height=300, width=400) -> np.ndarray:
    """A black-and-white photo's statistics: smooth light over fine texture everywhere."""
    rng = np.random.default_rng(1)
    y, _ = np.mgrid[0:height, 0:width]
    texture = rng.normal(0, 25, (height, width))
    return _grey_rgb(np.clip(90 + 60 * y / height + texture, 0, 255))


def test_a_grey_smooth_depth_map_resembles_one_and_photos_do_not():
    depth = _scene_depth()
    assert resembles_depth_map(depth)
    assert resembles_depth_map(depth[::4, ::4])  # small maps too
    assert not resembles_depth_map(_textured_grey_photo())  # a black-and-white photo: texture
    colour = depth.copy()
    colour[..., 0] = np.clip(colour[..., 0].astype(int) + 60, 0, 255)  # the same smoothness, in colour
    assert not resembles_depth_map(colour)


@pytest.mark.parametrize("shape", [(1, 1), (2, 9), (64, 64)])
def test_flat_or_tiny_images_are_not_taken_for_depth_maps(shape):
    assert not resembles_depth_map(np.full(shape + (3,), 128, np.uint8))
