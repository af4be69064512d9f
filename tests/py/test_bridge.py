"""The worker's entry points, driven from CPython with bytes and arrays as Pyodide would pass them."""

from __future__ import annotations

import io

import numpy as np
import pytest
from diorama.bridge import Studio, decoder_needed, looks_like_depth_map
from diorama.errors import DioramaError
from PIL import Image


def png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def photo_bytes() -> bytes:
    rng = np.random.default_rng(1)
    return png(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))


def test_open_photo_returns_contiguous_rgba(photo_bytes):
    rgba = Studio().open_photo(photo_bytes, 1)
    assert rgba.shape == (120, 160, 4) and rgba.dtype == np.uint8 and rgba.flags.c_contiguous
    assert (rgba[..., 3] == 255).all()


def test_open_pixels_stages_like_open_photo_and_keeps_the_file(photo_bytes):
    studio = Studio()
    rgba = np.zeros((3000, 4000, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    shown = studio.open_pixels(rgba.tobytes(), 4000, 3000, 7, b"the file")
    assert shown.shape == (1536, 2048, 4) and shown.flags.c_contiguous and (shown[..., 3] == 255).all()
    assert studio._opening["data"] == b"the file" and studio._opening["id"] == 7
    assert studio.use_recorded_depth() == (None, None, None, None)  # not a file with depth: the model decides
    studio.use_depth_map(photo_bytes)
    studio.commit()
    assert studio.photo_id == 7 and studio.rgb.shape == (1536, 2048, 3) and (studio.rgb[..., 0] == 200).all()
    with pytest.raises(ValueError, match="are not 10 x 10 RGBA pixels"):
        studio.open_pixels(bytes(12), 10, 10, 8)


def test_decoder_needed_names_what_the_worker_decodes(photo_bytes, files, monkeypatch):
    assert decoder_needed(photo_bytes) is None
    monkeypatch.setattr("diorama.photo.pillow_reads", lambda kind: False)
    assert decoder_needed(files.ftyp(b"avif", b"avif", b"mif1")) == ("avif", 2048, 100_000_000)


def grey(texels: np.ndarray) -> np.ndarray:
    """The depth byte of grey texels, after checking they are grey RGBA."""
    assert texels.ndim == 3 and texels.shape[2] == 4 and texels.dtype == np.uint8 and texels.flags.c_contiguous
    assert (texels[..., 0] == texels[..., 1]).all() and (texels[..., 0] == texels[..., 2]).all()
    assert (texels[..., 3] == 255).all()
    return texels[..., 0]


def test_depth_map_is_resampled_to_the_photo_and_near_is_255(photo_bytes):
    studio = Studio()
    studio.open_photo(photo_bytes, 1)
    depth = np.zeros((30, 40), np.uint8)
    depth[:, 20:] = 255  # right half near
    studio.use_depth_map(png(depth))
    texels, near, far = studio.commit({"contrast": 1.0, "smoothing": 0.0})
    out = grey(texels)
    assert out.shape == (120, 160) and near == out.max() / 255 and far == out.min() / 255
    assert out[:, -10:].mean() > 200 > 50 > out[:, :10].mean()
    inverted = grey(studio.adjust({"invert": True, "contrast": 1.0, "smoothing": 0.0})[0])
    assert inverted[:, :10].mean() > 200


def test_model_round_trip_gives_depth_of_the_photo_size(photo_bytes):
    studio = Studio()
    studio.open_photo(photo_bytes, 1)
    x = studio.model_input()
    assert x.dtype == np.float32 and x.ndim == 4 and x.shape[1] == 3 and x.flags.c_contiguous
    _, _, h, w = x.shape
    ramp = np.tile(np.linspace(0, 1, w, dtype=np.float32), (h, 1))  # nearer to the right
    studio.use_model_output(ramp.ravel(), h, w)
    with pytest.raises(DioramaError, match="no depth yet"):  # not current until committed
        studio.require_raw_depth()
    out = grey(studio.commit({"contrast": 1.0, "smoothing": 0.0})[0])
    assert out.shape == (120, 160) and studio.photo_id == 1
    assert out[:, -5:].mean() > out[:, :5].mean() + 100


def test_a_failed_photo_keeps_the_previous_one(photo_bytes):
    studio = Studio()
    studio.open_photo(photo_bytes, 1)
    studio.use_depth_map(png(np.zeros((4, 4), np.uint8)))
    studio.commit()
    with pytest.raises(DioramaError, match="empty"):
        studio.open_photo(b"", 2)
    assert studio.rgb is not None and studio.rgb.shape == (120, 160, 3) and studio.photo_id == 1


def test_a_photo_becomes_current_only_when_its_whole_open_succeeds(photo_bytes):
    studio = Studio()
    studio.open_photo(photo_bytes, 1)
    ramp = np.tile(np.linspace(0, 255, 160).astype(np.uint8), (120, 1))
    studio.use_depth_map(png(ramp))
    shown = studio.commit()[0]
    layers = studio.layers()
    other = io.BytesIO()
    Image.new("RGB", (90, 60), (200, 10, 10)).save(other, "PNG")
    # a depth map that can't be read
    studio.open_photo(other.getvalue(), 2)  # decoded, but its depth is not known yet
    assert studio.rgb.shape == (120, 160, 3) and studio.photo_id == 1
    with pytest.raises(DioramaError):
        studio.use_depth_map(b"not an image")
    # post-processing that fails (a bug in the options, say): the open is over, nothing changed
    studio.open_photo(other.getvalue(), 3)
    studio.use_depth_map(png(np.zeros((60, 90), np.uint8)))
    with pytest.raises(ValueError, match="contrast"):
        studio.commit({"contrast": -1.0})
    # a cancelled open
    studio.open_photo(other.getvalue(), 4)
    studio.abandon()
    # the photo on screen is still whole: same id, photo, depth; adjustable, with layers
    assert studio.rgb.shape == (120, 160, 3) and studio.photo_id == 1
    np.testing.assert_array_equal(studio.adjust()[0], shown)
    assert studio.adjust({"contrast": 3.0})[0].shape == (120, 160, 4)
    np.testing.assert_array_equal(studio.layers()[0], layers[0])
    # and a depth arriving after the failure does not attach to an abandoned photo
    for late in (lambda: studio.use_depth_map(png(ramp)), studio.commit):
        with pytest.raises(DioramaError, match="photo first"):
            late()


def test_layers_pause_between_steps_and_give_the_same_result(photo_bytes):
    """The worker lets a newer request's cancel in at each pause; a generator dropped half way changes nothing."""
    studio = Studio()
    studio.open_photo(photo_bytes, 1)
    studio.use_depth_map(png(np.tile(np.linspace(0, 255, 160).astype(np.uint8), (120, 1))))
    studio.commit()
    steps = studio.layer_steps()
    assert [next(steps), next(steps)] == ["refined", "split"]
    with pytest.raises(StopIteration) as done:
        next(steps)
    whole = studio.layers()
    for ours, theirs in zip(done.value.value, whole):
        np.testing.assert_array_equal(ours, theirs)
    abandoned = studio.layer_steps()
    next(abandoned)
    abandoned.close()
    np.testing.assert_array_equal(studio.layers()[1], whole[1])
    with pytest.raises(DioramaError, match="no depth yet"):
        next(Studio().layer_steps())


def test_options_pass_by_name_and_unknown_names_are_refused(photo_bytes):
    studio = Studio()
    studio.open_photo(photo_bytes, 1)
    studio.use_depth_map(png(np.tile(np.linspace(0, 255, 160).astype(np.uint8), (120, 1))))
    default = studio.commit()[0]
    np.testing.assert_array_equal(studio.adjust({})[0], default)
    np.testing.assert_array_equal(studio.adjust({"contrast": 1.5, "curve": "soft"})[0], default)
    with pytest.raises(TypeError, match="strength"):
        studio.adjust({"strength": 0.5})  # a view option is not Python's


def test_depth_before_a_photo_is_a_clear_error():
    with pytest.raises(DioramaError, match="photo first"):
        Studio().use_depth_map(png(np.zeros((4, 4), np.uint8)))


def test_depth_like_files_are_recognised(photo_bytes):
    assert looks_like_depth_map(png(np.zeros((8, 8), np.uint8)))
    assert not looks_like_depth_map(photo_bytes)


def test_a_depth_map_opened_as_a_photo_is_recognised(photo_bytes):
    studio = Studio()
    studio.open_photo(photo_bytes, 1)
    assert not studio.opening_resembles_depth_map()
    ramp = np.tile(np.linspace(0, 255, 160, dtype=np.uint8), (120, 1))
    studio.open_photo(png(ramp), 2)
    assert studio.opening_resembles_depth_map()


def test_running_out_of_memory_is_a_refusal_and_the_shown_photo_stays(photo_bytes, monkeypatch):
    import diorama.bridge as bridge

    studio = Studio()
    studio.open_photo(photo_bytes, 1)
    studio.use_depth_map(png(np.zeros((4, 4), np.uint8)))
    studio.commit()

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(bridge, "postprocess_depth", exhausted)
    with pytest.raises(DioramaError, match="too large to process here"):
        studio.adjust({"contrast": 2.0})
    studio.open_photo(photo_bytes, 2)
    studio.use_depth_map(png(np.zeros((4, 4), np.uint8)))
    with pytest.raises(DioramaError, match="too large to process here"):
        studio.commit()
    monkeypatch.setattr(bridge, "renderer_layer_steps", exhausted)
    for step in (studio.layers, studio.mesh_glb, lambda: studio.photo_3d_html(0.5, 0.5)):
        with pytest.raises(DioramaError, match="too large to process here"):
            step()
    assert studio.photo_id == 1 and studio.rgb.shape == (120, 160, 3)


def test_depth_a_photo_carries_is_used_and_a_plain_photo_has_none():
    from diorama.embedded import write_gdepth

    buf = io.BytesIO()
    Image.new("RGB", (160, 120), (90, 120, 150)).save(buf, "JPEG")
    ramp = np.tile(np.linspace(0, 1, 80, dtype=np.float32), (60, 1))  # nearer to the right, half the size
    studio = Studio()
    studio.open_photo(write_gdepth(buf.getvalue(), ramp), 1)
    assert studio.use_recorded_depth() == ("embedded", "gdepth", "Google Lens Blur", None)
    out = grey(studio.commit({"contrast": 1.0, "smoothing": 0.0})[0])
    assert out.shape == (120, 160) and out[:, -5:].mean() > out[:, :5].mean() + 150
    studio.open_photo(buf.getvalue(), 2)
    assert studio.use_recorded_depth() == (None, None, None, None)


def test_a_stereo_file_gets_depth_measured_from_its_two_views_and_identical_views_get_a_note():
    from tests.py.test_embedded import mpf_file
    from tests.stereo import synthetic_pair

    pair = synthetic_pair(width=320, height=192, far=6, near=18)

    def jpeg_of(view):
        buf = io.BytesIO()
        Image.fromarray(view).save(buf, "JPEG", quality=95)
        return buf.getvalue()

    studio = Studio()
    studio.open_photo(mpf_file([jpeg_of(pair.left), jpeg_of(pair.right)], [0x020002, 0x020002]), 1)
    assert studio.use_recorded_depth() == ("stereo", "mpo", "stereo pair", None)
    out = grey(studio.commit({"contrast": 1.0, "smoothing": 0.0})[0])
    box = pair.disparity == 18
    assert out[box].mean() > out[~box].mean() + 100  # the box stands out in front of the wall
    studio.open_photo(mpf_file([jpeg_of(pair.left), jpeg_of(pair.left)], [0x020002, 0x020002]), 2)
    source, _, _, note = studio.use_recorded_depth()
    assert source is None and note.endswith("Diorama estimates depth instead.")


HEIC_HEADER = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"  # what the worker hands over with pixels


def _rgba(rgb: np.ndarray) -> bytes:
    return np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2).tobytes()


def test_a_heic_depth_image_the_worker_found_is_the_photos_depth():
    studio = Studio()
    rgb = np.full((120, 160, 3), 128, np.uint8)
    studio.open_pixels(_rgba(rgb), 160, 120, 1, HEIC_HEADER)
    ramp = np.tile(np.linspace(0, 255, 80).round().astype(np.uint8), (60, 1))  # disparity: nearer to the right
    studio.attach_heif_depth(ramp.tobytes(), 80, 60, 8, 1, None, None)
    assert studio.use_recorded_depth() == ("embedded", "apple", "iPhone portrait", None)
    out = grey(studio.commit({"contrast": 1.0, "smoothing": 0.0})[0])
    assert out.shape == (120, 160) and out[:, -5:].mean() > out[:, :5].mean() + 150

    # 16-bit distance samples (representation 2) between 1 and 4 m: nearer to the LEFT
    studio.open_pixels(_rgba(rgb), 160, 120, 2, HEIC_HEADER)
    distance = np.tile(np.linspace(0, 65535, 80).round().astype("<u2"), (60, 1))
    studio.attach_heif_depth(distance.tobytes(), 80, 60, 16, 2, 1.0, 4.0)
    assert studio.use_recorded_depth()[0] == "embedded"
    out = grey(studio.commit({"contrast": 1.0, "smoothing": 0.0})[0])
    assert out[:, :5].mean() > out[:, -5:].mean() + 150


@pytest.mark.parametrize(
    "samples, width, height, says",
    [
        (bytes(10), 80, 60, "damaged"),  # fewer samples than its size
        (bytes(40 * 60), 40, 60, "of another shape"),  # portrait depth for a landscape photo
    ],
)
def test_a_heic_depth_image_that_cant_be_used_gives_a_note_and_the_model(samples, width, height, says):
    studio = Studio()
    studio.open_pixels(_rgba(np.full((120, 160, 3), 128, np.uint8)), 160, 120, 1, HEIC_HEADER)
    studio.attach_heif_depth(samples, width, height, 8)
    source, fmt, _, note = studio.use_recorded_depth()
    assert (source, fmt) == (None, None) and says in note and note.endswith("estimates depth instead."), note


def test_a_second_view_the_worker_found_gives_stereo_depth_of_an_apple_spatial_photo():
    from tests.stereo import synthetic_pair

    pair = synthetic_pair(width=320, height=192, far=6, near=18)
    studio = Studio()
    studio.open_pixels(_rgba(pair.left), 320, 192, 1, HEIC_HEADER)
    studio.attach_second_view(_rgba(pair.right), 320, 192)
    assert studio.use_recorded_depth() == ("stereo", "apple-spatial", "stereo pair", None)
    out = grey(studio.commit({"contrast": 1.0, "smoothing": 0.0})[0])
    box = pair.disparity == 18
    assert out[box].mean() > out[~box].mean() + 100
    studio.open_pixels(_rgba(pair.left), 320, 192, 2, HEIC_HEADER)
    studio.attach_second_view(_rgba(pair.right[:96, :160]), 160, 96)  # another size: not a stereo pair
    assert studio.use_recorded_depth() == (None, None, None, None)


def test_a_depth_map_the_worker_decoded_is_used_like_a_depth_map_file(photo_bytes):
    studio = Studio()
    height, width = studio.open_photo(photo_bytes, 1).shape[:2]
    ramp = np.tile(np.linspace(0, 255, 50).round().astype(np.uint8), (30, 1))
    studio.use_depth_pixels(_rgba(np.repeat(ramp[..., None], 3, axis=2)), 50, 30)
    out = grey(studio.commit({"contrast": 1.0, "smoothing": 0.0})[0])
    assert out.shape == (height, width) and out[:, -3:].mean() > out[:, :3].mean() + 150
    studio.open_photo(photo_bytes, 2)
    with pytest.raises(ValueError):
        studio.use_depth_pixels(bytes(7), 50, 30)
    with pytest.raises(DioramaError):  # the open was abandoned
        studio.commit({})


def test_agreement_with_the_model_tells_a_map_drawn_black_near(photo_bytes):
    studio = Studio()
    studio.open_photo(photo_bytes, 1)
    _, _, h, w = studio.model_input().shape
    ramp = np.tile(np.linspace(0, 1, w, dtype=np.float32), (h, 1))  # "the model": nearer to the right
    for map_values, drawn_black_near in ((np.linspace(0, 255, 160), False), (np.linspace(255, 0, 160), True)):
        studio.open_photo(photo_bytes, 2)
        studio.use_depth_map(png(np.tile(map_values.astype(np.uint8), (120, 1))))
        studio.commit()
        studio.model_input()
        agreement = studio.black_is_near_agreement(ramp.ravel(), h, w)
        assert (agreement is not None and agreement < -0.95) if drawn_black_near else agreement is None
