"""Stereo files: two views instead of depth (:func:`stereo_views`), from which depth is measured
(:func:`diorama.stereo_match.disparity_from_views`): MPO files of 3D cameras and Apple spatial photos (HEIC with a
``ster`` entity group; CPython with pillow-heif, the browser's worker with libheif-js)."""

from __future__ import annotations

import io
import math

from PIL import Image

from .. import photo as photo_module
from ..errors import DioramaError, refuse_when_out_of_memory
from ..options import WORKING_LONG_SIDE
from ..photo import DRAFT_SLACK, apply_orientation, decode, open_image, sniff_format
from . import jpeg
from .registry import Unusable


def stereo_views(data: bytes, *, long_side: int = WORKING_LONG_SIDE) -> tuple[Image.Image, Image.Image] | None:
    """The left and right views of a stereo MPO file (3D cameras: Nintendo 3DS, Fujifilm W3, Panasonic).

    Parameters
    ----------
    data : bytes
        The whole file.
    long_side : int, optional
        The views are decoded at a reduced JPEG scale when that still leaves 90 % of this
        (:data:`diorama.photo.DRAFT_SLACK`), as photos are.

    Returns
    -------
    (left, right) : pair of PIL.Image.Image, or None
        RGB, upright (each view's EXIF orientation applied), the same size; None when the file is not a
        stereo pair (no MPF index with two images of type 0x020002, "multi-frame disparity") or a view can't
        be decoded.

    Notes
    -----
    The MPF standard (CIPA DC-007) numbers the views of a multi-view disparity image from the left, and
    cameras list them in that order: the first is the left view (on the three real MPO files the first
    view shows near things further right, as a left eye does).
    """
    if sniff_format(data) == "heic":
        return _heif_stereo_views(data, long_side)
    try:
        views = [
            (start, size)
            for attributes, start, size in jpeg.mpf_images(data, jpeg.segments(data))
            if attributes & 0xFFFFFF == jpeg.MPF_STEREO
        ][:2]
        if len(views) < 2:
            return None
        pair = [_decode_view(data[start : start + size], long_side) for start, size in views]
    except (Unusable, DioramaError):
        return None
    if pair[0].size != pair[1].size:
        return None
    return pair[0], pair[1]


def stereo_format(data: bytes) -> str:
    """The format of a file :func:`stereo_views` reads two views from: ``'apple-spatial'`` (HEIC) or ``'mpo'``.

    >>> stereo_format(b"\\x00\\x00\\x00\\x18ftypheic\\x00\\x00\\x00\\x00mif1heic")
    'apple-spatial'
    """
    return "apple-spatial" if sniff_format(data) == "heic" else "mpo"


def _heif_stereo_views(data: bytes, long_side: int) -> tuple[Image.Image, Image.Image] | None:
    """The two views of an Apple spatial photo: the images of its HEIF ``ster`` entity group, left first
    (ISO/IEC 23008-12), through pillow-heif (None without it: the browser's worker reads them with libheif-js)."""
    if photo_module.pillow_heif is None:
        return None
    try:
        with refuse_when_out_of_memory():
            heif = photo_module.pillow_heif.open_heif(io.BytesIO(data))
            group = next(
                (
                    group
                    for group in heif.info.get("entity_groups") or []
                    if group.get("type") == "ster" and len(group.get("images", ())) == 2
                ),
                None,
            )
            if group is None:
                return None
            pair = [heif[index].to_pillow().convert("RGB") for index in group["images"]]
    except (ValueError, OSError, RuntimeError, IndexError, DioramaError):
        return None
    if pair[0].size != pair[1].size:
        return None
    for view in pair:
        view.thumbnail((long_side, long_side), Image.Resampling.BOX)
    return pair[0], pair[1]


def _decode_view(payload: bytes, long_side: int) -> Image.Image:
    """One view of a stereo file, RGB and upright, decoded at a JPEG scale that keeps DRAFT_SLACK of `long_side`."""
    image = open_image(payload)
    scale = min(1.0, long_side * DRAFT_SLACK / max(image.size))
    at_least = (max(1, math.ceil(image.width * scale)), max(1, math.ceil(image.height * scale)))
    image, orientation = decode(image, draft_mode="RGB", at_least=at_least)
    return apply_orientation(image.convert("RGB"), orientation)
