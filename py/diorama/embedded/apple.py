"""iPhone portraits: in a JPEG, an MPF (APP2) secondary image whose own XMP says ``apdi:AuxiliaryImageType``
disparity (or depth; HDR gain maps are not depth); in a HEIC, the primary image's auxiliary depth image (``auxC``
``urn:mpeg:hevc:2015:auxid:2``), read by the HEIF decoder (pillow-heif in CPython, libheif-js in the browser's
worker) and interpreted by :func:`depth_from_heif_image`."""

from __future__ import annotations

import io

import numpy as np

from .. import photo as photo_module
from ..errors import DioramaError, refuse_when_out_of_memory
from . import jpeg
from .payload import decode_grey, inverse_depth
from .registry import EmbeddedDepth, damaged, decoder_says, other_shape, reader
from .xmp import XmpTrees, number_field, properties, struct_fields

FORMAT, LABEL = "apple", "iPhone portrait"

HEIF_DEPTH_REPRESENTATIONS = ("inverse-z", "disparity", "z", "nonuniform-disparity")
"""HEIF depth images' ``depth_representation_type`` 0..3 (ISO/IEC 23002-3), as libheif reports them."""

NS_APDI = "{http://ns.apple.com/pixeldatainfo/1.0/}"


@reader(FORMAT, LABEL, rank=40)
def read_apple(data, segments, xmp, long_side):
    """:class:`~diorama.embedded.registry.Reader` of an iPhone portrait JPEG's MPF depth or disparity image."""
    for _, start, size in jpeg.mpf_images(data, segments)[1:]:
        image = data[start : start + size]
        fields = {}
        for tree in XmpTrees(image, jpeg.segments(image)).trees():
            for holder, _ in properties(tree, NS_APDI + "AuxiliaryImageType"):
                fields = struct_fields(holder)
        kind = fields.get(NS_APDI + "AuxiliaryImageType", "").lower()
        if "gainmap" in kind or ("disparity" not in kind and "depth" not in kind):
            continue
        unit = decode_grey(image, long_side)
        if "disparity" in kind:
            return unit
        lo, hi = number_field(fields, NS_APDI + "FloatMinValue"), number_field(fields, NS_APDI + "FloatMaxValue")
        return inverse_depth(lo + unit * (hi - lo))
    return None


def depth_from_heif_image(
    values, *, bits: int = 8, representation: int | None = None, z_near: float | None = None, z_far: float | None = None
) -> np.ndarray:
    """A HEIF auxiliary depth image (``urn:mpeg:hevc:2015:auxid:2``) in the pipeline's convention.

    Parameters
    ----------
    values : (h, w) array_like of uint8 or uint16
        The depth image's samples, upright as the decoder returns them.
    bits : int, optional
        Bits per sample (8 for iPhone portraits).
    representation : int or None, optional
        ``depth_representation_type`` of the image's depth representation info (see
        :data:`HEIF_DEPTH_REPRESENTATIONS`); None when the file gives none. Apple writes 1 (disparity).
    z_near, z_far : float or None, optional
        The nearest and farthest distance, used for ``z`` (uniform distance) samples.

    Returns
    -------
    depth : (h, w) ndarray of float32
        In [0, 1], 1 = near.

    Raises
    ------
    ValueError
        Not a 2-D image, or `bits` outside 1..16.

    Notes
    -----
    Inverse distance and disparity samples (types 0, 1 and 3, and files without the information, as the
    iPhone's XMP ``apdi:AuxiliaryImageType`` disparity) grow towards the camera: they are returned as
    they are. Uniform distance samples (type 2) become 1/d between `z_near` and `z_far` (or 1 - value
    when the file gives no range).

    Examples
    --------
    >>> depth_from_heif_image(np.array([[0, 255]], np.uint8)).tolist()
    [[0.0, 1.0]]
    >>> depth_from_heif_image(np.array([[0, 255]], np.uint8), representation=2).tolist()
    [[1.0, 0.0]]
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"a depth image is 2-D, got shape {values.shape}")
    if not 1 <= int(bits) <= 16:
        raise ValueError(f"bits must be in 1..16, got {bits}")
    unit = (values.astype(np.float32) / np.float32(2 ** int(bits) - 1)).clip(0, 1)
    if representation != 2:
        return unit
    if z_near is None or z_far is None or not 0 < z_near < z_far:
        return 1 - unit
    return inverse_depth(z_near + unit * np.float32(z_far - z_near))


def heif_embedded_depth(
    values,
    photo_size: tuple[int, int],
    *,
    bits: int = 8,
    representation: int | None = None,
    z_near: float | None = None,
    z_far: float | None = None,
) -> tuple[EmbeddedDepth | None, str | None]:
    """:func:`~diorama.embedded.find_embedded_depth`'s answer for a HEIF photo's auxiliary depth image, however it
    was decoded.

    Parameters
    ----------
    values : (h, w) array_like of uint8 or uint16
        The depth image's samples, upright (HEIF decoders apply the image's own rotation and mirroring).
    photo_size : (int, int)
        (width, height) of the upright photo.
    bits, representation, z_near, z_far
        As :func:`depth_from_heif_image` takes them.

    Returns
    -------
    depth : EmbeddedDepth or None
        Format ``'apple'`` (iPhone portraits are the HEIC files that carry depth).
    note : str or None
        Why depth that is there is not used (empty, another shape), in plain words.
    """
    values = np.asarray(values)
    if values.ndim != 2 or values.size == 0:
        return None, damaged(LABEL, "its depth image is empty")
    depth = depth_from_heif_image(values, bits=bits, representation=representation, z_near=z_near, z_far=z_far)
    note = other_shape(depth, photo_size, LABEL)
    return (None, note) if note else (EmbeddedDepth(depth, FORMAT, LABEL), None)


def heif_file_depth(data: bytes, photo_size: tuple[int, int]) -> tuple[EmbeddedDepth | None, str | None]:
    """:func:`~diorama.embedded.find_embedded_depth` for a HEIF file Pillow opens (pillow-heif registered)."""
    try:
        with refuse_when_out_of_memory():
            heif = photo_module.pillow_heif.open_heif(io.BytesIO(data))  # Pillow opened it: pillow-heif is there
            found = heif.info.get("depth_images") or []
            if not found:
                return None, None
            info = found[0].info.get("metadata") or {}
            image = found[0].to_pillow()
            return heif_embedded_depth(
                np.asarray(image),
                photo_size,
                bits=16 if image.mode.startswith("I;16") else 8,
                representation=info.get("representation_type"),
                z_near=info.get("z_near"),
                z_far=info.get("z_far"),
            )
    except (ValueError, OSError, RuntimeError, DioramaError) as err:
        return None, damaged(LABEL, decoder_says(err) or "unreadable")
