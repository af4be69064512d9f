"""The pictures of the single-file 3D photo (diorama.photo3d)."""

from __future__ import annotations

import base64
import hashlib
import io
import re

import numpy as np
from diorama.bridge import Studio
from diorama.depthmap import depth_to_uint8
from diorama.options import CLIFF, MAX_SHIFT
from diorama.photo3d import photo_3d_images
from diorama.shader import march_chunk
from PIL import Image

from tests.py.test_mesh import square_scene


def decoded(data: bytes, mode: str = "RGB") -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert(mode), np.int16)


def test_the_pictures_carry_the_photo_its_depth_and_the_fill_where_it_was_filled():
    photo, depth, split = square_scene(192, 256)
    images = photo_3d_images(photo, depth, split)
    assert [Image.open(io.BytesIO(images[k])).format for k in ("photo", "depth", "fill", "fill_depth", "mask")] == [
        "JPEG",
        "WEBP",
        "JPEG",
        "JPEG",
        "WEBP",
    ]
    assert np.abs(decoded(images["photo"]) - photo).mean() < 3
    assert np.array_equal(decoded(images["depth"], "L"), depth_to_uint8(depth))  # lossless
    mask = decoded(images["mask"], "L")
    assert np.array_equal(mask == 128, split.filled) and split.filled.any()
    assert np.array_equal(mask == 0, split.foreground_alpha == 0) and (mask == 0).any()
    # the fill (a quarter of the size) is the background: blue and far where the square's rim was filled
    fill = np.asarray(Image.open(io.BytesIO(images["fill"])).resize((256, 192), Image.Resampling.BILINEAR), np.int16)
    fill_depth = np.asarray(
        Image.open(io.BytesIO(images["fill_depth"])).resize((256, 192), Image.Resampling.BILINEAR), np.int16
    )
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


def test_studio_photo_3d_html_is_the_held_photo_with_the_renderers_march_and_constants():
    photo, depth, _ = square_scene()
    studio = Studio()
    buf, depth_png = io.BytesIO(), io.BytesIO()
    Image.fromarray(photo).save(buf, "PNG")
    Image.fromarray(depth_to_uint8(depth)).save(depth_png, "PNG")
    studio.open_photo(buf.getvalue(), 1)
    studio.use_depth_map(depth_png.getvalue())
    studio.commit()
    data = studio.photo_3d_html(0.7, 0.25)
    assert data.dtype == np.uint8 and data.flags.c_contiguous
    html = data.tobytes().decode()
    assert 'data-strength="0.7" data-focus="0.25"' in html and "{{" not in html
    # the one march chunk, with the constants of options.py (no copy of either in the template)
    code = [line.strip() for line in march_chunk().split("\n") if line.strip() and not line.strip().startswith("//")]
    assert all(line in html for line in code)
    assert f"const float CLIFF = {CLIFF:.6f};" in html and f"const MAX_SHIFT = {MAX_SHIFT!r};" in html
    photo_url = re.search(r'id="photo" alt="The photo" src="data:image/jpeg;base64,([^"]+)"', html).group(1)
    assert Image.open(io.BytesIO(base64.b64decode(photo_url))).size == (128, 96)
    # the policy names the hashes of exactly the inline script and style the file carries
    for tag in ("script", "style"):
        text = re.search(f"<{tag}>(.*?)</{tag}>", html, re.DOTALL).group(1)
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in html
