"""The single-file 3D photo (``photo.3d.html``): its pictures and the file itself.

:func:`photo_3d_html` makes the file: the page ``templates/photo-3d.html`` (a standalone WebGL 2 viewer) with the
renderer's march chunk (:mod:`diorama.shader`), the app's WebXR view (``templates/xr-offer.js`` and
``xr-session.js``: "View in VR") and constants put in, and the pictures inline as ``data:`` URLs. It
needs nothing else: no Pyodide, no network, opened from disk or a mail. Its Content-Security-Policy allows its own
inline script and style only (by hash) and ``data:`` images. The page's export (worker op ``photo3dHtml``) and
``diorama html`` both call it.

The file's viewer draws the layered scene as the app does: the photo over its depth, and behind every near
edge a filled background. Sent as it is, the background layer would double the file (a second photo); but it
differs from the photo only where it was filled (a band behind near edges, a few percent of the pixels), so
the file carries:

- ``photo``: the photo, JPEG at the Facebook pair's quality (with optimised Huffman tables: a few % smaller);
- ``depth``: the front layer's depth (the renderer's: refined), 8-bit grey lossless WebP, white = near
  (about 10 % smaller than an optimised PNG, and ten times faster to write than one);
- ``fill`` and ``fill_depth``: the filled background's colour and depth (8-bit, white = near) at a quarter of
  the width and height (one texel per 4 x 4 block, rounded up), JPEG. The fill is smooth (push-pull, made at half size anyway) and so is what lies outside it here
  (the fill extended by push-pull), so together they cost a few percent of the photo;
- ``mask``: grey lossless WebP, 128 where the background was filled, else the front's opacity (0 in the thin
  strip beyond near edges, 255 elsewhere). Mostly constant, so small.

The viewer reads the back layer as ``fill`` and ``fill_depth`` where the mask is 128, else the photo and its
depth. Measured on the four Depthy photos (580 x 724 to 1200 x 680, 6 to 36 % filled): the file, base64
and viewer included, is 1.35 to 1.42 times the photo JPEG plus an optimised depth PNG.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re

import numpy as np
from PIL import Image

from .depthmap import depth_to_uint8
from .filters import block_sum
from .inpaint import push_pull
from .layers import Layers
from .options import MAX_SHIFT
from .shader import march_chunk, template

__all__ = ["FILL_SCALE", "photo_3d_html", "photo_3d_images"]

FILL_SCALE = 4
"""The fill is stored at 1 / FILL_SCALE of the photo's size (rounded up: its last row and column may reach beyond)."""


def _encode(pixels: np.ndarray, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt, **params)
    return buf.getvalue()


def photo_3d_images(photo, front_depth, layers: Layers, *, quality: int = 92) -> dict[str, bytes]:
    """The four pictures of a single-file 3D photo (see the module docstring).

    Parameters
    ----------
    photo : (H, W, 3) uint8 array_like
        The photo.
    front_depth : (H, W) array_like
        Its depth as the renderer draws it (refined), in [0, 1], 1 = near.
    layers : Layers
        :func:`diorama.layers.split_layers` of the photo and that depth.
    quality : int, optional
        JPEG quality of the photo (the fill is smooth and takes a lower one).

    Returns
    -------
    dict
        ``photo`` (JPEG), ``depth`` (WebP, (H, W)), ``fill`` (JPEG, RGB) and ``fill_depth`` (JPEG, grey) a
        quarter of the size, ``mask`` (WebP, (H, W)).

    Examples
    --------
    >>> from diorama.layers import split_layers
    >>> rgb = np.zeros((8, 8, 3), np.uint8); d = np.zeros((8, 8), np.float32); d[2:6, 2:6] = 1
    >>> sorted((k, Image.open(io.BytesIO(v)).size) for k, v in photo_3d_images(rgb, d, split_layers(rgb, d)).items())
    [('depth', (8, 8)), ('fill', (2, 2)), ('fill_depth', (2, 2)), ('mask', (8, 8)), ('photo', (8, 8))]

    Notes
    -----
    Cost: O(H W) (block sums, one push-pull at a sixteenth of the pixels, two lossless WebP, three JPEG).
    """
    rgb = np.asarray(photo)
    filled = layers.filled
    # the fill at a quarter of the size: filled pixels' block means, weighted by how much of each block was
    # filled, extended over the rest by push-pull (channel by channel: no full-size float copy of all four)
    channels = [*np.moveaxis(layers.background_rgb, -1, 0), depth_to_uint8(layers.background_depth)]
    weight = block_sum(filled.astype(np.float32), FILL_SCALE)
    sums = np.dstack([block_sum(np.where(filled, c, 0).astype(np.float32), FILL_SCALE) for c in channels])
    fill = push_pull(sums / np.maximum(weight, 1)[..., None], weight / FILL_SCALE**2)
    fill = np.clip(np.rint(fill), 0, 255).astype(np.uint8)
    mask = np.where(filled, 128, np.rint(layers.foreground_alpha * 255)).astype(np.uint8)
    return {
        "photo": _encode(rgb, "JPEG", quality=quality, optimize=True),
        "depth": _encode(depth_to_uint8(front_depth), "WEBP", lossless=True, quality=25, method=1),
        "fill": _encode(np.ascontiguousarray(fill[..., :3]), "JPEG", quality=85),
        "fill_depth": _encode(np.ascontiguousarray(fill[..., 3]), "JPEG", quality=85),
        "mask": _encode(mask, "WEBP", lossless=True, quality=25, method=1),
    }


_IMAGE_TYPES = {
    "photo": "image/jpeg",
    "depth": "image/webp",
    "fill": "image/jpeg",
    "fill_depth": "image/jpeg",
    "mask": "image/webp",
}


def _compact(text: str) -> str:
    """The template without indentation, comment lines and doc comments (``/** ... */`` from a line's start to a
    line's end), which a reader of the file does not need (the templates are the commented source): kB less,
    which matters for a small photo."""
    text = re.sub(r"^[ \t]*/\*\*(?:(?!\*/).)*\*/[ \t]*$", "", text, flags=re.DOTALL | re.MULTILINE)
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line and not line.startswith("//"))


def _script_body(module: str) -> str:
    """An ES module of the app that imports nothing (the WebXR view's xr-offer.js, xr-session.js) as statements for
    the file's one inline script: its ``export`` keywords dropped (the file's script is not a module)."""
    return re.sub(r"^export ", "", module, flags=re.MULTILINE)


def _hash_source(html: str, tag: str) -> str:
    """The CSP source of the page's one inline ``<tag>`` element: ``'sha256-<base64 of its SHA-256>'``."""
    found = re.search(f"<{tag}>(.*?)</{tag}>", html, re.DOTALL)
    digest = hashlib.sha256(found.group(1).encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def photo_3d_html(photo, front_depth, layers: Layers, *, strength: float, focus: float) -> bytes:
    """A 3D photo in one HTML file: the layered scene drawn with the renderer's own march (module docstring).

    Parameters
    ----------
    photo : (H, W, 3) uint8 array_like
        The photo.
    front_depth : (H, W) array_like
        Its depth as the renderer draws it (refined), in [0, 1], 1 = near.
    layers : Layers
        :func:`diorama.layers.split_layers` of the photo and that depth.
    strength, focus : float
        The view's parallax strength (0..1) and the depth that stays still (0 far .. 1 near).

    Returns
    -------
    bytes
        The file, UTF-8 HTML.

    Examples
    --------
    >>> from diorama.layers import split_layers
    >>> rgb = np.zeros((8, 8, 3), np.uint8); d = np.zeros((8, 8), np.float32); d[2:6, 2:6] = 1
    >>> html = photo_3d_html(rgb, d, split_layers(rgb, d), strength=0.5, focus=0.5).decode()
    >>> "{{" in html, "const float CLIFF" in html, 'data-near="1.0" data-far="0.0"' in html
    (False, True, True)
    """
    front = depth_to_uint8(front_depth)
    back = depth_to_uint8(layers.background_depth)
    # the span the march covers, as the app's layers give it (Studio.layers: either layer's nearest, farthest)
    near = max(int(front.max()), int(back.max())) / 255
    far = min(int(front.min()), int(back.min())) / 255
    code = (
        template("photo-3d.html")
        .replace("{{march}}", march_chunk())
        .replace("{{MAX_SHIFT}}", repr(MAX_SHIFT))
        .replace("{{xr_offer}}", _script_body(template("xr-offer.js")))
        .replace("{{xr_session}}", _script_body(template("xr-session.js")))
    )
    page = _compact(code)
    csp = "; ".join(
        [
            "default-src 'none'",
            "img-src data:",
            f"script-src {_hash_source(page, 'script')}",
            f"style-src {_hash_source(page, 'style')}",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    images = photo_3d_images(photo, front_depth, layers)
    values = {
        "csp": csp,
        "strength": repr(float(strength)),
        "focus": repr(float(focus)),
        "near": repr(near),
        "far": repr(far),
    }
    values.update(
        {
            name: f"data:{_IMAGE_TYPES[name]};base64,{base64.b64encode(data).decode('ascii')}"
            for name, data in images.items()
        }
    )
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], page).encode("utf-8")
