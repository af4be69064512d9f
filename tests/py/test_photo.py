"""load_photo, sniff_format and is_depth_like against every kind of file the product spec lists."""

from __future__ import annotations

import io
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from diorama.errors import DioramaError
from diorama.photo import (
    MAX_PIXELS,
    browser_format,
    heif_size,
    is_depth_like,
    load_photo,
    open_image,
    photo_from_pixels,
    pillow_reads,
    sniff_format,
)
from PIL import Image

from .conftest import QUADRANT_COLOURS, SAVEABLE_MODES

NOT_AN_IMAGE = "This file is not an image Diorama can read (JPEG, PNG, WebP, GIF, BMP or TIFF)."


def quadrant_centres(rgb: np.ndarray) -> list[tuple[int, ...]]:
    """Colours at the centres of the TL, TR, BL, BR quadrants of an (H, W, 3) image."""
    h, w = rgb.shape[:2]
    ys, xs = (h // 4, 3 * h // 4), (w // 4, 3 * w // 4)
    return [tuple(int(v) for v in rgb[y, x]) for y in ys for x in xs]


# --- refusals ---------------------------------------------------------------------------------


def test_empty_file():
    with pytest.raises(DioramaError, match=r"^This file is empty \(0 bytes\)\.$"):
        load_photo(b"")


@pytest.mark.parametrize(
    "data",
    [
        b"Dear diary, today I renamed a text file to holiday.jpg\n" * 20,
        b"\x00" * 100,
        b"\xff\xd8",  # two bytes of a JPEG signature
        bytes(range(256)),
        b"BZh91AY&SY",  # bzip2
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"BMW service history: 2019, 2021, 2024\n",  # starts like a BMP
    ],
    ids=["text", "zeros", "jpeg-stub", "ramp", "bzip2", "pdf", "bm-text"],
)
def test_not_an_image(data):
    with pytest.raises(DioramaError) as info:
        load_photo(data)
    assert str(info.value) == NOT_AN_IMAGE


def test_text_renamed_jpg_exact_message():
    with pytest.raises(DioramaError) as info:
        load_photo(b"This is not a picture, it is a shopping list.\nmilk\neggs\n")
    assert str(info.value) == NOT_AN_IMAGE


@pytest.mark.parametrize(
    "fmt, name",
    [
        ("ICO", "a Windows icon (ICO)"),
        ("PPM", "a Netpbm"),
        ("TGA", "a Targa (TGA)"),
        ("PCX", "a PCX"),
        ("PSD", "a Photoshop (PSD)"),
        ("JPEG2000", "a JPEG 2000"),
    ],
)
def test_other_image_formats_are_named_and_refused(files, fmt, name):
    if fmt == "PSD":  # Pillow reads PSD but does not write it: a minimal header is enough to be recognised
        data = b"8BPS\x00\x01" + bytes(6) + b"\x00\x03" + bytes(16)
    else:
        data = files.encode(Image.new("RGB", (16, 16), "red"), fmt)
    with pytest.raises(DioramaError) as info:
        load_photo(data)
    message = str(info.value)
    assert message.startswith(f"This is {name}") and "not an image" not in message
    assert "export it as JPEG or PNG" in message


@pytest.mark.parametrize(
    "fmt, cut", [("JPEG", 0.5), ("JPEG", 0.9), ("PNG", 0.5), ("WEBP", 0.6), ("GIF", 0.5), ("TIFF", 0.5), ("BMP", 0.5)]
)
def test_truncated_file_is_refused_as_incomplete(files, fmt, cut):
    data = files.encode(files.random_image("RGB", (64, 48), seed=1), fmt)
    start = time.perf_counter()
    with pytest.raises(DioramaError) as info:
        load_photo(data[: int(len(data) * cut)])
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "damaged" in message and message.endswith(".")


def test_truncated_jpeg_message(files):
    data = files.encode(files.random_image("RGB", (64, 48), seed=1), "JPEG")
    with pytest.raises(DioramaError, match=r"^This JPEG file is damaged or incomplete \(it ends too early"):
        load_photo(data[: len(data) // 2])


@pytest.mark.parametrize(
    "svg",
    [
        b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        b'\xef\xbb\xbf  <svg viewBox="0 0 10 10"><rect width="10" height="10"/></svg>',
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n<svg></svg>',
    ],
)
def test_svg_is_refused_as_vector(svg):
    with pytest.raises(DioramaError, match=r"^This is a vector image \(SVG\).*export it as PNG or JPEG"):
        load_photo(svg)


@pytest.mark.parametrize(
    "brands, expected",
    [
        ((b"heic", b"mif1", b"heic"), "HEIC"),
        ((b"mif1", b"mif1", b"heic"), "HEIC"),
        ((b"heix", b"mif1"), "HEIC"),
        ((b"mif1", b"mif1"), "HEIC"),
        ((b"avif", b"avif", b"mif1", b"miaf"), "AVIF"),
        ((b"mif1", b"mif1", b"avif"), "AVIF"),
        ((b"avis", b"msf1"), "AVIF"),
    ],
)
def test_heic_and_avif_are_recognised_by_brand(files, brands, expected, monkeypatch):
    # as in Pyodide (and a CPython without pillow-heif or an AVIF-enabled Pillow): no decoder for either
    monkeypatch.setattr("diorama.photo.pillow_reads", lambda kind: False)
    data = files.ftyp(*brands)
    with pytest.raises(DioramaError, match=rf"^This looks like an? {expected} (photo|image)") as info:
        load_photo(data)
    assert "Open it in the Diorama browser app" in str(info.value)
    assert browser_format(data) == expected.lower()


def test_browser_format_is_none_for_whatpillow_reads(files, monkeypatch):
    assert browser_format(files.ftyp(b"isom", b"isom", b"mp42")) is None  # a video: load_photo says so
    monkeypatch.setattr("diorama.photo.pillow_reads", lambda kind: True)
    assert browser_format(files.ftyp(b"heic", b"mif1", b"heic")) is None


def _box(kind: bytes, body: bytes, full: bool = False) -> bytes:
    body = (bytes(4) if full else b"") + body
    return struct.pack(">I", 8 + len(body)) + kind + body


def _heif_header(*sizes: tuple[int, int]) -> bytes:
    ispe = b"".join(_box(b"ispe", struct.pack(">II", *size), full=True) for size in sizes)
    return _box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic") + _box(b"meta", _box(b"iprp", _box(b"ipco", ispe)), full=True)


def test_heif_size_is_the_largest_declared_image_and_huge_ones_are_refused_from_the_header(monkeypatch):
    monkeypatch.setattr("diorama.photo.pillow_reads", lambda kind: False)
    assert heif_size(_heif_header((512, 384), (4032, 3024), (768, 576))) == (4032, 3024)
    assert heif_size(_heif_header()) is None
    assert heif_size(_heif_header((4032, 3024))[:-6]) is None  # cut inside the box: nothing trusted
    assert browser_format(_heif_header((4032, 3024))) == "heic"
    with pytest.raises(DioramaError, match=r"too large \(20000 x 20000 pixels, 400 megapixels\)"):
        browser_format(_heif_header((20000, 20000)))


@pytest.mark.parametrize("shape", [(3000, 4000), (4000, 3000), (100, 60), (1, 1)])
def test_photo_from_pixels_keeps_the_aspect_at_the_working_size(shape):
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, shape + (4,), dtype=np.uint8)
    rgba[..., 3] = 255
    rgb = photo_from_pixels(rgba)
    assert rgb.dtype == np.uint8 and rgb.flags.c_contiguous and rgb.shape[2] == 3
    assert max(rgb.shape[:2]) == min(2048, max(shape))
    assert abs(rgb.shape[0] / rgb.shape[1] - shape[0] / shape[1]) < 0.01
    if max(shape) <= 2048:
        assert (rgb == rgba[..., :3]).all()  # never resampled when already small enough


def test_photo_from_pixels_puts_transparency_over_white_and_averages_areas():
    rgba = np.zeros((4, 8, 4), np.uint8)
    rgba[:, :4] = (255, 0, 0, 255)  # left half opaque red, right half transparent
    rgb = photo_from_pixels(rgba, long_side=2)
    assert rgb.shape == (1, 2, 3)
    assert tuple(rgb[0, 0]) == (255, 0, 0) and tuple(rgb[0, 1]) == (255, 255, 255)


def test_photo_from_pixels_refuses_too_many_pixels_and_wrong_arrays(monkeypatch):
    monkeypatch.setattr("diorama.photo.MAX_PIXELS", 99)
    with pytest.raises(DioramaError, match="too large"):
        photo_from_pixels(np.zeros((10, 10, 4), np.uint8))
    with pytest.raises(ValueError, match=r"\(H, W, 4\) uint8"):
        photo_from_pixels(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="long_side"):
        photo_from_pixels(np.zeros((2, 2, 4), np.uint8), long_side=0)


HEIF_FIXTURES = Path(__file__).resolve().parents[1] / "web" / "data"


@pytest.mark.parametrize("name, kind", [("quadrants.heic", "heic"), ("quadrants.avif", "avif")])
def test_real_heic_and_avif_decode_upright_where_pillow_can(name, kind):
    if not pillow_reads(kind):
        pytest.skip(
            f"this Pillow reads no {kind.upper()} (pip install diorama[heif] for HEIC; Pillow >= 11.2 for AVIF)"
        )
    rgb = load_photo((HEIF_FIXTURES / name).read_bytes())  # stored 64 x 96 with irot: upright 96 x 64
    assert rgb.shape == (64, 96, 3)
    for (y, x), colour in {
        (16, 24): (255, 0, 0),
        (16, 72): (0, 255, 0),
        (48, 24): (0, 0, 255),
        (48, 72): (255, 255, 255),
    }.items():
        assert np.abs(rgb[y, x].astype(int) - colour).max() < 40, (y, x, rgb[y, x])


def test_webp_without_libwebp_says_so(monkeypatch):
    monkeypatch.setattr("PIL.features.check_module", lambda name: name != "webp")
    with pytest.raises(DioramaError, match="can't read WebP images; please export it as JPEG or PNG"):
        load_photo(b"RIFF\x10\x00\x00\x00WEBPVP8 \x04\x00\x00\x00junk")


def test_video_is_refused(files):
    with pytest.raises(DioramaError, match="video"):
        load_photo(files.ftyp(b"isom", b"isom", b"mp42"))


def test_huge_png_header_is_refused_before_decoding(files):
    data = files.png_header_only(30000, 30000)
    start = time.perf_counter()
    with pytest.raises(DioramaError, match=r"too large \(900 megapixels\).*at most 100 megapixels"):
        load_photo(data)
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize("size", [(11000, 10000), (10001, 10000)])
def test_over_limit_under_pillows_own_limit_is_refused(files, size):
    # Pillow only *warns* here (and pytest makes warnings errors): our own check must refuse it.
    assert Image.MAX_IMAGE_PIXELS < size[0] * size[1] < 2 * Image.MAX_IMAGE_PIXELS
    with pytest.raises(DioramaError, match=rf"too large \({size[0]} x {size[1]} pixels"):
        load_photo(files.png_header_only(*size))


def test_valid_huge_bilevel_png_is_refused(files):
    data = files.bilevel_png(12000, 9000)
    assert len(data) < 100_000
    with pytest.raises(DioramaError, match=r"too large \(12000 x 9000 pixels, 108 megapixels\)"):
        load_photo(data)


def test_just_under_the_limit_opens_without_warning(files):
    # 95 megapixels: over Pillow's DecompressionBombWarning hint, under MAX_PIXELS.
    image = open_image(files.png_header_only(9500, 10000))
    assert image.size == (9500, 10000) and 9500 * 10000 <= MAX_PIXELS


def test_damaged_pixel_data_is_refused(files):
    with pytest.raises(DioramaError, match="^This PNG file is damaged"):
        load_photo(files.png_header_only(64, 64))


@pytest.mark.parametrize("long_side", [0, -5, 2.5, True, "2048", None])
def test_bad_long_side_is_a_programming_error(files, long_side):
    with pytest.raises(ValueError, match="long_side must be a positive integer") as info:
        load_photo(files.encode(Image.new("RGB", (4, 4))), long_side=long_side)
    assert not isinstance(info.value, DioramaError)


def test_non_bytes_input_is_a_type_error():
    with pytest.raises(TypeError, match="data must be bytes, got str"):
        load_photo("photo.jpg")


# --- formats and modes --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(SAVEABLE_MODES))
def test_each_format_loads(files, fmt):
    card = files.quadrants((40, 30))
    params = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    rgb = load_photo(files.encode(card, fmt, **params))
    assert rgb.shape == (30, 40, 3) and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    tolerance = 40 if fmt in ("JPEG", "WEBP") else 0
    np.testing.assert_allclose(quadrant_centres(rgb), QUADRANT_COLOURS, atol=tolerance)


@pytest.mark.parametrize("fmt, mode", [(f, m) for f, modes in SAVEABLE_MODES.items() for m in modes])
def test_every_saveable_mode_loads_as_rgb(files, fmt, mode):
    image = files.random_image(mode, (23, 17), seed=3)
    rgb = load_photo(files.encode(image, fmt))
    assert rgb.shape == (17, 23, 3) and rgb.dtype == np.uint8


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP"])
def test_one_by_one_image(files, fmt):
    rgb = load_photo(files.encode(Image.new("RGB", (1, 1), (200, 100, 50)), fmt))
    assert rgb.shape == (1, 1, 3)
    if fmt in ("PNG", "BMP", "TIFF"):
        assert rgb[0, 0].tolist() == [200, 100, 50]


def test_sixteen_bit_png_is_scaled_not_clipped(files):
    ramp = np.linspace(0, 65535, 64 * 8).astype(np.uint16).reshape(8, 64)
    rgb = load_photo(files.encode(Image.fromarray(ramp), "PNG"))
    expected = np.rint(ramp / 257).astype(np.uint8)
    np.testing.assert_array_equal(rgb[..., 0], expected)
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])
    assert rgb.max() == 255 and rgb.min() == 0


@pytest.mark.parametrize(
    "values, expected",
    [
        ([0.0, 0.5, 1.0], [0, 128, 255]),  # already in [0, 1]: scaled by 255
        ([-10.0, 0.0, 30.0], [0, 64, 255]),  # any other range: min..max
        ([7.0, 7.0, 7.0], [255, 255, 255]),  # constant outside [0, 1]: clipped
    ],
)
def test_float_tiff_is_scaled_by_range(files, values, expected):
    image = Image.fromarray(np.array([values], dtype=np.float32))
    rgb = load_photo(files.encode(image, "TIFF"))
    assert rgb[0, :, 1].tolist() == expected


@pytest.mark.parametrize(
    "values, expected",
    [
        ([-100000, 0, 100000], [0, 128, 255]),  # beyond 16 bits: min..max
        ([0, 257, 65535], [0, 1, 255]),  # within 16 bits: / 257
        ([-5, -5, -5], [0, 0, 0]),  # constant outside: clipped
        ([70000, 70000, 70000], [255, 255, 255]),
    ],
)
def test_int32_tiff_is_scaled_by_range(files, values, expected):
    image = Image.fromarray(np.array([values], dtype=np.int32))
    assert load_photo(files.encode(image, "TIFF"))[0, :, 0].tolist() == expected


@pytest.mark.parametrize("mode", ["YCbCr", "LAB", "RGBX", "PA", "I;16B"])
def test_rarer_tiff_modes(files, mode):
    orange = Image.new("RGB", (6, 4), (250, 120, 20))
    if mode == "PA":
        image = orange.quantize(4).convert("PA")
    elif mode == "I;16B":
        image = Image.new("I;16B", (6, 4), 0x8000)
    else:
        image = orange.convert(mode)
    try:
        data = files.encode(image, "TIFF")
        Image.open(io.BytesIO(data)).load()
    except (OSError, ValueError, KeyError):  # Pillow 10.2 writes YCbCr TIFFs it can't read back
        pytest.skip(f"this Pillow can't round-trip {mode} TIFFs")
    rgb = load_photo(data)
    assert rgb.shape == (4, 6, 3)
    expected = (128, 128, 128) if mode == "I;16B" else (250, 120, 20)
    np.testing.assert_allclose(rgb[2, 3], expected, atol=6)


def test_cmyk_jpeg_uses_pillows_conversion(files):
    cmyk = Image.new("CMYK", (32, 24), (0, 255, 255, 0))  # no cyan/black, full magenta+yellow: red
    data = files.encode(cmyk, "JPEG", quality=95)
    rgb = load_photo(data)
    expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    np.testing.assert_array_equal(rgb, expected)
    assert rgb[12, 16, 0] > 200 and rgb[12, 16, 1] < 60 and rgb[12, 16, 2] < 60


def test_multi_picture_jpeg_gives_first_picture(files):
    first, second = Image.new("RGB", (16, 12), (255, 0, 0)), Image.new("RGB", (16, 12), (0, 0, 255))
    data = files.encode(first, "MPO", save_all=True, append_images=[second], quality=95)
    assert Image.open(io.BytesIO(data)).format == "MPO"
    rgb = load_photo(data)
    assert rgb.shape == (12, 16, 3) and rgb[6, 8, 0] > 240 and rgb[6, 8, 2] < 15


def test_animated_gif_gives_first_frame(files):
    rgb = load_photo(files.animated_gif([(255, 0, 0), (0, 0, 255), (0, 255, 0)]))
    assert rgb.shape == (12, 16, 3)
    assert rgb[6, 8].tolist() == [255, 0, 0]


def test_alpha_is_composited_over_white(files):
    rgba = np.zeros((8, 12, 4), dtype=np.uint8)
    rgba[:, :4] = (255, 0, 0, 255)  # opaque red
    rgba[:, 4:8] = (0, 0, 0, 0)  # transparent black
    rgba[:, 8:] = (0, 0, 0, 128)  # half-transparent black
    rgb = load_photo(files.encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert rgb[4, 1].tolist() == [255, 0, 0]
    assert rgb[4, 5].tolist() == [255, 255, 255]
    assert all(abs(v - 127) <= 1 for v in rgb[4, 10].tolist())


def test_palette_transparency_is_composited_over_white(files):
    image = Image.new("P", (8, 8), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (0, 0, 4, 8))
    rgb = load_photo(files.encode(image, "PNG", transparency=0))
    assert rgb[4, 1].tolist() == [255, 0, 0] and rgb[4, 6].tolist() == [255, 255, 255]


def test_grey_with_alpha(files):
    la = Image.merge("LA", [Image.new("L", (6, 6), 10), Image.new("L", (6, 6), 0)])
    assert load_photo(files.encode(la, "PNG"))[0, 0].tolist() == [255, 255, 255]


# --- orientation and size -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation(files, fmt, orientation):
    upright = files.quadrants((40, 30))
    stored = files.stored_for(upright, orientation)
    params = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    data = files.encode(stored, fmt, exif=files.exif(orientation), **params)
    rgb = load_photo(data)
    assert rgb.shape == (30, 40, 3)
    tolerance = 40 if fmt in ("JPEG", "WEBP") else 0
    np.testing.assert_allclose(quadrant_centres(rgb), QUADRANT_COLOURS, atol=tolerance)


@pytest.mark.parametrize("orientation", [0, 9, 255])
def test_out_of_range_orientation_is_ignored(files, orientation):
    card = files.quadrants((40, 30))
    rgb = load_photo(files.encode(card, "PNG", exif=files.exif(orientation)))
    np.testing.assert_array_equal(rgb, np.asarray(card))


@pytest.mark.parametrize(
    "fmt, size, long_side, expected",
    [
        ("JPEG", (4000, 3000), 2048, (1500, 2000)),  # DCT-scaled 1/2: within 10 % of 2048
        ("JPEG", (3000, 4000), 2048, (2000, 1500)),
        ("JPEG", (3000, 2000), 2048, (1365, 2048)),  # 1/2 would be 1500 < 90 %: full decode + BOX
        ("PNG", (4000, 3000), 2048, (1536, 2048)),  # no DCT scaling outside JPEG
        ("JPEG", (1000, 10), 256, (3, 250)),  # 1/4 scale
        ("PNG", (3000, 2000), 1024, (683, 1024)),
        ("PNG", (2000, 2000), 2048, (2000, 2000)),  # never scaled up
        ("TIFF", (500, 100), 64, (13, 64)),
    ],
)
def test_downscale_to_long_side(files, fmt, size, long_side, expected):
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    rgb = load_photo(files.encode(image, fmt), long_side=long_side)
    assert rgb.shape == expected + (3,)


def test_downscale_then_orientation_swaps_sides(files):
    stored = files.stored_for(files.quadrants((4000, 3000)), 6)  # stored 3000 wide, 4000 tall
    rgb = load_photo(files.encode(stored, "JPEG", exif=files.exif(6), quality=90))
    assert rgb.shape == (1500, 2000, 3)  # decoded at 1/2 scale (within 10 % of 2048), then turned
    np.testing.assert_allclose(quadrant_centres(rgb), QUADRANT_COLOURS, atol=40)


def test_downscaling_keeps_the_picture(files):
    card = files.quadrants((3000, 2000))
    rgb = load_photo(files.encode(card, "PNG"), long_side=300)
    assert rgb.shape == (200, 300, 3)
    np.testing.assert_allclose(quadrant_centres(rgb), QUADRANT_COLOURS, atol=2)


# --- sniff_format and is_depth_like -------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, kind", [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif"), ("BMP", "bmp"), ("TIFF", "tiff")]
)
def test_sniff_format_of_real_files(files, fmt, kind):
    assert sniff_format(files.encode(Image.new("RGB", (4, 4)), fmt)) == kind


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"", None),
        (b"hello", None),
        (b"\xff\x0a\x00", "jxl"),
        (b"<svg/>", "svg"),
        (b"<html><body>no vector here</body></html>", None),
    ],
)
def test_sniff_format_edge_cases(data, kind):
    assert sniff_format(data) == kind


@pytest.mark.parametrize(
    "fmt, mode, expected",
    [
        ("PNG", "L", True),
        ("PNG", "LA", True),
        ("PNG", "I;16", True),
        ("TIFF", "I", True),
        ("TIFF", "F", True),
        ("JPEG", "L", True),
        ("PNG", "RGB", False),
        ("JPEG", "RGB", False),
        ("PNG", "P", False),
        ("PNG", "RGBA", False),
        ("TIFF", "CMYK", False),
        ("PNG", "1", False),
    ],
)
def test_is_depth_like(files, fmt, mode, expected):
    assert is_depth_like(files.encode(files.random_image(mode, (9, 7)), fmt)) is expected


def test_grey_image_with_equal_channels_in_rgb_is_not_depth_like(files):
    grey_rgb = Image.new("L", (8, 8), 90).convert("RGB")
    assert is_depth_like(files.encode(grey_rgb, "PNG")) is False


def test_is_depth_like_reads_the_header_only(files):
    # The pixel data of this file is broken: decoding it would fail.
    assert is_depth_like(files.png_header_only(5000, 4000, bit_depth=16, color_type=0)) is True
    assert is_depth_like(files.png_header_only(5000, 4000, bit_depth=8, color_type=2)) is False


def test_is_depth_like_refuses_bad_input():
    with pytest.raises(DioramaError, match="empty"):
        is_depth_like(b"")
