"""The pictures of the single-file 3D photo (diorama.photo3d)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from diorama.bridge import Studio
from diorama.depthmap import depth_to_uint8
from diorama.photo3d import photo_3d_images
from tests.py.test_mesh import square_scene


def decoded(data: bytes, mode: str = "RGB") -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert(mode), np.int16)


def test_the_pictures_carry_the_photo_its_depth_and_the_fill_where_it_was_filled():
    photo, depth, split = square_scene(192, 256)
    images = photo_3d_images(photo, depth, split)
    assert [Image.open(io.BytesIO(images[k])).format for k in ("photo", "depth", "fill", "fill_depth", "mask")] == [
        "JPEG", "WEBP", "JPEG", "JPEG", "WEBP"]
    assert np.abs(decoded(images["photo"]) - photo).mean() < 3
    assert np.array_equal(decoded(images["depth"], "L"), depth_to_uint8(depth))  # lossless
    mask = decoded(images["mask"], "L")
    assert np.array_equal(mask == 128, split.filled) and split.filled.any()
    assert np.array_equal(mask == 0, split.foreground_alpha == 0) and (mask == 0).any()
    # the fill (a quarter of the size) is the background: blue and far where the square's rim was filled
    fill = np.asarray(Image.open(io.BytesIO(images["fill"])).resize((256, 192), Image.Resampling.BILINEAR), np.int16)
    fill_depth = np.asarray(Image.open(io.BytesIO(images["fill_depth"])).resize((256, 192), Image.Resampling.BILINEAR),
                            np.int16)
    inner = split.filled & (np.abs(np.arange(256) - 128) < 50)[None, :] & (np.abs(np.arange(192) - 96) < 40)[:, None]
    assert inner.sum() > 50
    assert np.abs(fill[inner] - split.background_rgb[inner]).mean() < 12
    assert np.abs(fill_depth[inner] - depth_to_uint8(split.background_depth)[inner]).mean() < 6


def test_the_fill_costs_little_beside_the_photo_and_its_depth():
    photo, depth, split = square_scene(384, 512)
    rng = np.random.default_rng(0)
    photo = (photo + rng.integers(-20, 20, photo.shape)).clip(0, 255).astype(np.uint8)
    images = photo_3d_images(photo, depth, split)
    extra = len(images["fill"]) + len(images["fill_depth"]) + len(images["mask"])
    assert extra < 0.1 * (len(images["photo"]) + len(images["depth"]))


def test_studio_photo_3d_images_are_the_held_photo():
    photo, depth, _ = square_scene()
    studio = Studio()
    buf, depth_png = io.BytesIO(), io.BytesIO()
    Image.fromarray(photo).save(buf, "PNG")
    Image.fromarray(depth_to_uint8(depth)).save(depth_png, "PNG")
    studio.open_photo(buf.getvalue(), 1)
    studio.use_depth_map(depth_png.getvalue())
    studio.commit()
    parts = studio.photo_3d_images()
    assert len(parts) == 5 and all(p.dtype == np.uint8 and p.flags.c_contiguous for p in parts)
    assert Image.open(io.BytesIO(parts[0].tobytes())).size == (128, 96)
