"""Property tests: whatever the bytes, the only failure is a DioramaError with a message.

Random bytes, random bytes behind each format's signature, valid images of random formats, modes,
sizes and EXIF orientations (which must load), and damaged copies of valid images (bytes
overwritten, files cut short) go through load_photo, load_depth_map and is_depth_like.
"""

from __future__ import annotations

import numpy as np
from diorama.depthmap import load_depth_map, postprocess_depth
from diorama.errors import DioramaError
from diorama.photo import is_depth_like, load_photo
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from PIL import Image

from .conftest import SAVEABLE_MODES

FUZZ = settings(
    max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

SIGNATURES = [
    b"\xff\xd8\xff\xe0",
    b"\xff\xd8\xff\xdb",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"GIF87a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"RIFF\x00\x00\x00\x00WEBPVP8L",
    b"\x00\x00\x00\x18ftypheic",
    b"\x00\x00\x00\x1cftypavif",
    b"<svg",
    b"<?xml",
]
FORMAT_MODES = [(fmt, mode) for fmt, modes in SAVEABLE_MODES.items() for mode in modes]
EXIF_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF")

depth_shapes = st.tuples(st.integers(1, 40), st.integers(1, 40))


def run_all(data: bytes, shape: tuple[int, int]) -> None:
    """Every reader on `data`: succeed, or raise DioramaError with a message."""
    for read in (
        lambda: load_photo(data, long_side=64),
        lambda: load_depth_map(data, shape),
        lambda: is_depth_like(data),
    ):
        try:
            result = read()
        except DioramaError as err:
            assert str(err).strip(), "a DioramaError must say what is wrong"
            continue
        if isinstance(result, np.ndarray):
            assert result.dtype in (np.uint8, np.float32) and result.size > 0
            assert np.all(np.isfinite(result))


@FUZZ
@given(data=st.binary(max_size=2048), shape=depth_shapes)
def test_random_bytes(data, shape):
    run_all(data, shape)


@FUZZ
@given(signature=st.sampled_from(SIGNATURES), rest=st.binary(max_size=1024), shape=depth_shapes)
def test_random_bytes_behind_a_signature(signature, rest, shape):
    run_all(signature + rest, shape)


@st.composite
def valid_images(draw, files):
    fmt, mode = draw(st.sampled_from(FORMAT_MODES))
    size = (draw(st.integers(1, 48)), draw(st.integers(1, 48)))
    image = files.random_image(mode, size, seed=draw(st.integers(0, 2**16)))
    orientation = draw(st.integers(1, 8)) if fmt in EXIF_FORMATS else 1
    params = {"exif": files.exif(orientation)} if fmt in EXIF_FORMATS else {}
    if fmt in ("JPEG", "WEBP"):
        params["quality"] = draw(st.integers(1, 100))
    data = files.encode(image, fmt, **params)
    upright = size[::-1] if orientation < 5 else size  # (height, width) once turned
    return data, upright


@settings(FUZZ, max_examples=200)
@given(data=st.data(), shape=depth_shapes, long_side=st.integers(1, 64))
def test_valid_images_load(files, data, shape, long_side):
    encoded, (height, width) = data.draw(valid_images(files))
    rgb = load_photo(encoded, long_side=long_side)
    scale = min(1.0, long_side / max(height, width))
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert max(rgb.shape[:2]) == min(long_side, max(height, width))
    assert abs(rgb.shape[0] - height * scale) <= 1 and abs(rgb.shape[1] - width * scale) <= 1
    depth = load_depth_map(encoded, shape)
    assert depth.shape == shape and depth.dtype == np.float32
    assert depth.min() >= 0 and depth.max() <= 1
    processed = postprocess_depth(depth)
    assert processed.shape == shape and np.all((processed >= 0) & (processed <= 1))
    assert isinstance(is_depth_like(encoded), bool)


small_2d = array_shapes(min_dims=2, max_dims=2, max_side=12)
numeric_arrays = st.one_of(
    arrays(np.float32, small_2d, elements=st.floats(width=32, allow_nan=True, allow_infinity=True)),
    arrays(np.int32, small_2d),
)


@FUZZ
@given(values=numeric_arrays, shape=depth_shapes)
def test_float_and_32_bit_images_of_any_values(files, values, shape):
    """Mode F and I TIFFs holding anything (NaN, infinities, extremes, constants) still load."""
    data = files.encode(Image.fromarray(values), "TIFF")
    rgb = load_photo(data)
    assert rgb.shape == values.shape + (3,)
    depth = load_depth_map(data, shape)
    assert depth.shape == shape and np.all((depth >= 0) & (depth <= 1))


@settings(FUZZ, max_examples=250)
@given(data=st.data(), shape=depth_shapes)
def test_damaged_images(files, data, shape):
    encoded, _ = data.draw(valid_images(files))
    damaged = bytearray(encoded)
    how = data.draw(st.sampled_from(["cut", "overwrite", "both"]))
    if how in ("overwrite", "both"):
        for _ in range(data.draw(st.integers(1, 8))):
            at = data.draw(st.integers(0, len(damaged) - 1))
            damaged[at] = data.draw(st.integers(0, 255))
    if how in ("cut", "both"):
        damaged = damaged[: data.draw(st.integers(0, len(damaged)))]
    run_all(bytes(damaged), shape)


@FUZZ
@example(width=40, height=30, bits=8, count=None, representation=1, z_near=float("nan"), z_far=float("inf"), seed=1)
@example(width=40, height=30, bits=16, count=None, representation=2, z_near=0.0, z_far=0.0, seed=2)
@example(width=40, height=30, bits=16, count=None, representation=2, z_near=-1.0, z_far=1e308, seed=3)
@example(width=4, height=3, bits=12, count=None, representation=2, z_near=5.0, z_far=1.0, seed=4)
@given(
    width=st.integers(0, 40),
    height=st.integers(0, 40),
    bits=st.integers(0, 20),
    count=st.one_of(st.none(), st.integers(0, 4000)),
    representation=st.one_of(st.none(), st.integers(-1, 5)),
    z_near=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    z_far=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    seed=st.integers(0, 2**16),
)
def test_any_heic_depth_image_the_worker_hands_over_gives_depth_or_a_note(
    width, height, bits, count, representation, z_near, z_far, seed
):
    # what libheif-js read from a file (worker/decode.js depthImage): sizes, sample count and the representation
    # come from the file's bytes, so none of them can be trusted
    from diorama.bridge import Studio

    studio = Studio()
    photo = np.random.default_rng(seed).integers(0, 256, (30, 40, 4), np.uint8)
    studio.open_pixels(photo.tobytes(), 40, 30, 1, b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
    if count is None:  # as many samples as the size says
        count = width * height * (2 if bits > 8 else 1)
    samples = np.random.default_rng(seed).integers(0, 256, count, np.uint8).tobytes()
    studio.attach_heif_depth(samples, width, height, bits, representation, z_near, z_far)
    source, fmt, _, note = studio.use_recorded_depth()
    if source is None:
        assert note and note.endswith("estimates depth instead."), note
    else:
        assert (source, fmt) == ("embedded", "apple")
        display = studio.commit({})[1]
        assert np.all(np.isfinite(np.asarray(display, dtype=np.float32)))
