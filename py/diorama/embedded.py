"""Depth that cameras embed in photo files, and stereo views of MPO files.

Phones and depth cameras store a depth (or disparity) image inside the photo file. This module finds it
and returns it in the pipeline's convention, so that it can replace the model's estimate:

==================  ======================================================================================
format              where the depth is
==================  ======================================================================================
``gdepth``          Google Camera Lens Blur: ``GDepth:Data`` (base64 PNG/JPEG) in extended XMP, split across
                    APP1 segments; ``GDepth:Format``/``Near``/``Far`` in the standard XMP
``dynamic-depth``   Google Dynamic Depth 1.0 (Pixel portrait): an item of the XMP ``Container:Directory``,
                    appended after the primary image; ``DepthMap:Format``/``Near``/``Far``/``DepthURI``
``xdm``             Intel XDM 1.0: ``Depthmap:Data`` (base64, 16-bit PNG) of the first camera, extended XMP
``apple``           iPhone portrait JPEG: an MPF (APP2) secondary image whose own XMP says
                    ``apdi:AuxiliaryImageType`` disparity (or depth); HDR gain maps are not depth
``samsung``         Samsung Live Focus: ``DualShot_DepthMap_1`` in the ``SEFT`` trailer (exiftool's
                    Samsung trailer tables), raw 8-bit, its size in ``DualShot_Extra_Info``
``apple`` (HEIC)    iPhone portrait HEIC: the primary image's auxiliary depth image (``auxC``
                    ``urn:mpeg:hevc:2015:auxid:2``), read by the HEIF decoder (pillow-heif in CPython,
                    libheif-js in the browser's worker) and interpreted by :func:`depth_from_heif_image`
==================  ======================================================================================

Stereo files carry two views instead (:func:`stereo_views`): MPO files of 3D cameras and Apple spatial
photos (HEIC with a ``ster`` entity group; CPython with pillow-heif, the browser's worker with libheif-js).

The depth comes back as (h, w) float32 in [0, 1] with **1 = near** (disparity-like, as everywhere in the
pipeline), turned by the *primary* photo's EXIF orientation (the payloads are stored in the frame of the
photo's stored pixels), at the payload's own resolution: :func:`fit_to_photo` resamples it to the photo.

Nothing here raises for bad bytes: a file without depth gives ``None``; depth that is there but can't be
used (damaged XMP, invalid base64, offsets outside the file, a payload that isn't an image, an image too
large for :data:`diorama.photo.MEMORY_BUDGET`, a shape that doesn't match the photo) gives ``None`` and a
plain-words note from :func:`find_embedded_depth`; the photo then gets estimated depth.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .depthmap import _reduce_towards, as_depth
from .errors import DioramaError, refuse_when_out_of_memory
from .filters import resize_bilinear
from .inpaint import push_pull
from .options import WORKING_LONG_SIDE
from . import photo
from .photo import (DRAFT_SLACK, apply_orientation, check_long_side, decode, exif_orientation, grey_to_unit, open_image,
                    sniff_format)

__all__ = ["ASPECT_TOLERANCE", "FORMATS", "HEIF_DEPTH_REPRESENTATIONS", "EmbeddedDepth", "depth_from_heif_image",
           "find_embedded_depth", "fit_to_photo", "heif_embedded_depth", "photo_with_gdepth", "read_embedded_depth",
           "stereo_format", "stereo_views", "write_gdepth"]

FORMATS = {
    "gdepth": "Google Lens Blur",
    "dynamic-depth": "Pixel portrait (Dynamic Depth)",
    "xdm": "Intel XDM",
    "apple": "iPhone portrait",
    "samsung": "Samsung Live Focus",
}
"""Each format this module reads -> words for people (:attr:`EmbeddedDepth.label`)."""

HEIF_DEPTH_REPRESENTATIONS = ("inverse-z", "disparity", "z", "nonuniform-disparity")
"""HEIF depth images' ``depth_representation_type`` 0..3 (ISO/IEC 23002-3), as libheif reports them."""

ASPECT_TOLERANCE = 0.02
"""Largest relative difference between the aspect ratios of the depth and the photo that is accepted:
depth of another shape belongs to another frame (a crop, another camera) and is refused."""


@dataclass(frozen=True)
class EmbeddedDepth:
    """Depth a photo file carries.

    Attributes
    ----------
    depth : (h, w) ndarray of float32
        In [0, 1], 1 = near (disparity-like), upright (turned by the photo's EXIF orientation), at the
        resolution the file stores; its aspect ratio is the photo's within :data:`ASPECT_TOLERANCE`.
    format : str
        A key of :data:`FORMATS`: ``'gdepth'``, ``'dynamic-depth'``, ``'xdm'``, ``'apple'`` or ``'samsung'``.
    label : str
        Words for people, e.g. ``"iPhone portrait"``.
    """

    depth: np.ndarray
    format: str
    label: str


class _Unusable(Exception):
    """Depth is there but can't be used; ``str(err)`` says why, in words for people."""


_XMP_STANDARD = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXTENDED = b"http://ns.adobe.com/xmp/extension/\x00"
_EXTENDED_HEADER = len(_XMP_EXTENDED) + 32 + 8  # signature, GUID, total length, offset
_MAX_SEGMENT = 65535 - 2  # payload bytes of one JPEG marker segment

_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_NS_XMP_NOTE = "{http://ns.adobe.com/xmp/note/}"
_NS_GDEPTH = "{http://ns.google.com/photos/1.0/depthmap/}"
_NS_APDI = "{http://ns.apple.com/pixeldatainfo/1.0/}"
_DD = "http://ns.google.com/photos/dd/1.0/"
_NS_DD_DEVICE, _NS_DD_CAMERA, _NS_DD_DEPTH, _NS_DD_CONTAINER, _NS_DD_ITEM = (
    "{" + _DD + name + "/}" for name in ("device", "camera", "depthmap", "container", "item"))
_XDM = "http://ns.xdm.org/photos/1.0/"
_NS_XDM_DEVICE, _NS_XDM_CAMERA, _NS_XDM_DEPTH = ("{" + _XDM + name + "/}" for name in ("device", "camera", "depthmap"))

_MPF_ENTRY = 0xB002  # MPEntry: 16 bytes per image (attributes, size, offset, two dependent images)
_MPF_STEREO = 0x020002  # image type "multi-frame image, disparity" (a view of a stereo pair)

# An orientation's transpose undone: what stores an upright image in the frame a camera wrote it in.
_STORE_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
                    6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}

_DAMAGED = "The depth map inside this photo ({label}) is damaged ({why}), so Diorama estimates depth instead."


def read_embedded_depth(data: bytes, *, long_side: int = WORKING_LONG_SIDE) -> EmbeddedDepth | None:
    """The depth a photo file carries, or None.

    Parameters
    ----------
    data : bytes
        The whole photo file.
    long_side : int, optional
        A depth image more than twice this long is decoded at a reduced scale (see
        :func:`find_embedded_depth`).

    Returns
    -------
    EmbeddedDepth or None
        None when the file carries no depth, or carries depth that can't be used
        (:func:`find_embedded_depth` says why). Never raises for bad bytes.
    """
    return find_embedded_depth(data, long_side=long_side)[0]


def find_embedded_depth(data: bytes, *, long_side: int = WORKING_LONG_SIDE) -> tuple[EmbeddedDepth | None, str | None]:
    """The depth a photo file carries, and a note for people when it carries depth that can't be used.

    Parameters
    ----------
    data : bytes
        The whole photo file (a JPEG for every format read here).
    long_side : int, optional
        The photo's working long side: a depth image at least twice as long is decoded at a reduced
        scale (JPEG DCT scaling, then integer box reduction), never below this.

    Returns
    -------
    depth : EmbeddedDepth or None
    note : str or None
        ``(depth, None)`` when depth was found; ``(None, None)`` when the file carries none (or is not a
        photo Diorama reads: :func:`diorama.photo.load_photo` says why); ``(None, note)`` when it carries
        depth that can't be used, the note saying why in plain words (e.g. "The depth map inside this
        photo (iPhone portrait) is damaged ...").

    Notes
    -----
    The first format found is used, in the order gdepth, dynamic-depth, xdm, apple, samsung (a photo
    exported with :func:`write_gdepth` from an iPhone portrait carries both; GDepth is the newer). Per
    format, the stored values become 1 = near as follows (``v`` the stored value scaled to [0, 1]):

    - RangeInverse (GDepth, Dynamic Depth, XDM): ``v = far (d - near) / (d (far - near))``, so 1/d is
      linear in ``v`` and ``1 - v`` is 1/d normalised between 1/far and 1/near: it is returned as is.
    - RangeLinear: ``d = near + v (far - near)``; 1/d is returned, scaled to [0, 1] over the map's own
      range. Pixels with ``d <= 0`` (no measurement, as in XDM's ``Near = 0`` maps) are filled from
      their neighbours (:func:`diorama.inpaint.push_pull`).
    - Apple disparity: ``v`` (brighter = nearer; checked on real iPhone portraits). Apple depth:
      1/d with ``d`` from ``apdi:FloatMinValue``/``FloatMaxValue``, scaled as for RangeLinear.
    - Samsung: ``v`` (brighter = nearer, as the DualShot depth maps exiftool extracts).
    """
    check_long_side(long_side)
    try:
        photo = open_image(data)
        photo_size, orientation = photo.size, exif_orientation(photo)
    except DioramaError:
        return None, None
    if photo.format == "HEIF":
        return _heif_embedded_depth(data, photo_size)
    if photo.format not in ("JPEG", "MPO"):
        return None, None
    segments = _segments(data)
    xmp = _XmpTrees(data, segments)
    for fmt, read in (("gdepth", _read_gdepth), ("dynamic-depth", _read_dynamic_depth), ("xdm", _read_xdm),
                      ("apple", _read_apple), ("samsung", _read_samsung)):
        label = FORMATS[fmt]
        try:
            with refuse_when_out_of_memory():
                stored = read(data, segments, xmp, long_side)
                if stored is None:
                    continue
                upright = _upright(stored, orientation)
        except _Unusable as err:
            return None, _DAMAGED.format(label=label, why=err)
        except DioramaError as err:  # from the payload's decoder: not an image, too large, truncated
            return None, _DAMAGED.format(label=label, why=_lower_first(str(err).split(";")[0].rstrip(".")))
        shape_note = _other_shape(upright, photo_size if orientation < 5 else photo_size[::-1], label)
        if shape_note:
            return None, shape_note
        return EmbeddedDepth(upright, fmt, label), xmp.note
    return None, xmp.note


def depth_from_heif_image(values, *, bits: int = 8, representation: int | None = None,
                          z_near: float | None = None, z_far: float | None = None) -> np.ndarray:
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
    return _inverse_depth(z_near + unit * np.float32(z_far - z_near))


def _other_shape(depth: np.ndarray, photo_wh: tuple[int, int], label: str) -> str | None:
    """A note when upright `depth` is not of the photo's (width, height) aspect (it belongs to another frame)."""
    width, height = photo_wh
    if abs(math.log((depth.shape[1] / depth.shape[0]) / (width / height))) <= ASPECT_TOLERANCE:
        return None
    return (f"This photo carries a depth map ({label}) of another shape ({depth.shape[1]} x {depth.shape[0]} "
            f"pixels for a {width} x {height} photo), so Diorama estimates depth instead.")


def heif_embedded_depth(values, photo_size: tuple[int, int], *, bits: int = 8, representation: int | None = None,
                        z_near: float | None = None, z_far: float | None = None
                        ) -> tuple[EmbeddedDepth | None, str | None]:
    """:func:`find_embedded_depth`'s answer for a HEIF photo's auxiliary depth image, however it was decoded.

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
    label = FORMATS["apple"]
    values = np.asarray(values)
    if values.ndim != 2 or values.size == 0:
        return None, _DAMAGED.format(label=label, why="its depth image is empty")
    depth = depth_from_heif_image(values, bits=bits, representation=representation, z_near=z_near, z_far=z_far)
    note = _other_shape(depth, photo_size, label)
    return (None, note) if note else (EmbeddedDepth(depth, "apple", label), None)


def _heif_embedded_depth(data: bytes, photo_size: tuple[int, int]) -> tuple[EmbeddedDepth | None, str | None]:
    """:func:`find_embedded_depth` for a HEIF file Pillow opens (pillow-heif registered)."""
    try:
        with refuse_when_out_of_memory():
            heif = photo.pillow_heif.open_heif(io.BytesIO(data))  # Pillow opened it: pillow-heif is there
            found = heif.info.get("depth_images") or []
            if not found:
                return None, None
            info = found[0].info.get("metadata") or {}
            image = found[0].to_pillow()
            return heif_embedded_depth(np.asarray(image), photo_size, bits=16 if image.mode.startswith("I;16") else 8,
                                       representation=info.get("representation_type"),
                                       z_near=info.get("z_near"), z_far=info.get("z_far"))
    except (ValueError, OSError, RuntimeError, DioramaError) as err:
        why = _lower_first(str(err).split(";")[0].rstrip(".")) or "unreadable"
        return None, _DAMAGED.format(label=FORMATS["apple"], why=why)


def fit_to_photo(depth, shape: tuple[int, int]) -> np.ndarray:
    """Resample embedded depth to the photo's working size.

    Parameters
    ----------
    depth : (h, w) array_like
        :attr:`EmbeddedDepth.depth`.
    shape : (int, int)
        (H, W) of the photo, e.g. ``photo.shape[:2]``.

    Returns
    -------
    depth : (H, W) ndarray of float32
        Bilinear resampling (area-averaged when shrinking by 2 or more); values stay in [0, 1].

    Examples
    --------
    >>> fit_to_photo(np.array([[0.0, 1.0]]), (2, 4)).round(2).tolist()
    [[0.0, 0.25, 0.75, 1.0], [0.0, 0.25, 0.75, 1.0]]
    """
    return np.clip(resize_bilinear(as_depth(depth), tuple(int(v) for v in shape)), 0, 1).astype(np.float32)


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
        views = [(start, size) for attributes, start, size in _mpf_images(data, _segments(data))
                 if attributes & 0xFFFFFF == _MPF_STEREO][:2]
        if len(views) < 2:
            return None
        pair = [_decode_view(data[start:start + size], long_side) for start, size in views]
    except (_Unusable, DioramaError):
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
    if photo.pillow_heif is None:
        return None
    try:
        with refuse_when_out_of_memory():
            heif = photo.pillow_heif.open_heif(io.BytesIO(data))
            group = next((group for group in heif.info.get("entity_groups") or []
                          if group.get("type") == "ster" and len(group.get("images", ())) == 2), None)
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


def write_gdepth(jpeg: bytes, depth) -> bytes:
    """A copy of a JPEG with `depth` embedded as GDepth (Google Lens Blur format), RangeInverse.

    Parameters
    ----------
    jpeg : bytes
        A JPEG file (the photo the depth belongs to).
    depth : (H, W) array_like
        In [0, 1], 1 = near, upright (as the pipeline holds it), of the photo's aspect ratio (any size).

    Returns
    -------
    bytes
        The same JPEG (same pixel data, EXIF and other segments) whose XMP is replaced by GDepth's: the
        standard XMP carries ``GDepth:Format="RangeInverse"``, ``Near="1"``, ``Far="100"``,
        ``Mime="image/png"`` and ``xmpNote:HasExtendedXMP``; the extended XMP carries ``GDepth:Data``, an
        8-bit grey PNG of ``1 - depth`` (black = near) in the photo's *stored* frame, split across APP1
        segments of at most 65,535 bytes. :func:`read_embedded_depth` reads it back (to 1/255).

    Raises
    ------
    DioramaError
        `jpeg` is not a JPEG Diorama reads.
    ValueError
        `depth` is not a 2-D array of finite values, or its aspect ratio is not the photo's.

    Notes
    -----
    Depth here is relative (disparity-like), so Near and Far are nominal: with RangeInverse, 1/d is
    linear in the stored value whatever they are, and readers that normalise (as this one does) get
    the depth back. The photo's own XMP is dropped, since GDepth needs the standard XMP packet.
    """
    photo = open_image(jpeg)
    if photo.format not in ("JPEG", "MPO"):
        raise DioramaError("Depth can only be embedded in a JPEG photo; please export the photo as JPEG first.")
    orientation = exif_orientation(photo)
    values = np.clip(as_depth(depth), 0, 1)
    width, height = photo.size if orientation < 5 else photo.size[::-1]
    if abs(math.log((values.shape[1] / values.shape[0]) / (width / height))) > ASPECT_TOLERANCE:
        raise ValueError(f"depth of shape {values.shape} has not the aspect ratio of the {width} x {height} "
                         "photo; pass the depth of this photo")
    far_is_white = np.rint((1 - values) * 255).astype(np.uint8)
    stored = Image.fromarray(far_is_white, "L")
    if orientation in _STORE_TRANSPOSE:
        stored = stored.transpose(_STORE_TRANSPOSE[orientation])
    buf = io.BytesIO()
    stored.save(buf, "PNG", optimize=True)
    extended = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{_RDF[1:-1]}">'
                f'<rdf:Description rdf:about="" xmlns:GDepth="{_NS_GDEPTH[1:-1]}" GDepth:Data="'
                + base64.b64encode(buf.getvalue()).decode("ascii") + '"/></rdf:RDF></x:xmpmeta>').encode("utf-8")
    guid = hashlib.md5(extended).hexdigest().upper().encode("ascii")  # as the XMP specification says
    standard = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{_RDF[1:-1]}">'
                f'<rdf:Description rdf:about="" xmlns:GDepth="{_NS_GDEPTH[1:-1]}" '
                f'xmlns:xmpNote="{_NS_XMP_NOTE[1:-1]}" GDepth:Format="RangeInverse" GDepth:Near="1" '
                f'GDepth:Far="100" GDepth:Mime="image/png" xmpNote:HasExtendedXMP="{guid.decode()}"/>'
                '</rdf:RDF></x:xmpmeta>').encode("utf-8")
    chunk = _MAX_SEGMENT - _EXTENDED_HEADER
    new = [_segment(0xE1, _XMP_STANDARD + standard)] + [
        _segment(0xE1, _XMP_EXTENDED + guid + struct.pack(">II", len(extended), at) + extended[at:at + chunk])
        for at in range(0, len(extended), chunk)]
    segments = _segments(jpeg)
    xmp = [(start, end) for marker, start, end in segments if marker == 0xE1
           and (jpeg.startswith(_XMP_STANDARD, start) or jpeg.startswith(_XMP_EXTENDED, start))]
    # After JFIF (APP0) and Exif (APP1), which readers expect first.
    leading = [end for marker, start, end in segments
               if marker == 0xE0 or (marker == 0xE1 and jpeg.startswith(b"Exif\x00", start))]
    at = max((end for end in leading if all(end <= s for s, _ in xmp)), default=2)
    at = min([at] + [start - 4 for start, _ in xmp])
    kept = bytearray(jpeg[:at])
    kept += b"".join(new)
    rest_from = at
    for start, end in sorted(xmp):
        kept += jpeg[rest_from:start - 4]
        rest_from = end
    kept += jpeg[rest_from:]
    return bytes(kept)



def photo_with_gdepth(rgb, depth, *, quality: int = 92) -> bytes:
    """A photo's pixels as one JPEG carrying `depth` as GDepth: the page's "3D JPEG" and ``diorama jpeg``.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 array_like
        The photo, upright.
    depth : (H, W) array_like
        Its depth in [0, 1], 1 = near (any size of the photo's aspect ratio).
    quality : int, optional
        The JPEG's quality.

    Returns
    -------
    bytes
        The JPEG (:func:`write_gdepth` of the photo encoded at `quality`).
    """
    buf = io.BytesIO()
    Image.fromarray(np.asarray(rgb)).save(buf, "JPEG", quality=quality)
    return write_gdepth(buf.getvalue(), depth)

# --- JPEG structure -------------------------------------------------------------------------------------

def _segments(data: bytes, start: int = 0) -> list[tuple[int, int, int]]:
    """(marker, payload start, payload end) of the marker segments of the JPEG at `start`, up to the scan.

    Stops quietly at anything malformed: what was read before stays usable.
    """
    out = []
    if data[start:start + 2] != b"\xff\xd8":
        return out
    at = start + 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan
            break
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if length < 2 or at + 2 + length > len(data):
            break
        out.append((marker, at + 4, at + 2 + length))
        at += 2 + length
    return out


def _segment(marker: int, payload: bytes) -> bytes:
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def _mpf_images(data: bytes, segments) -> list[tuple[int, int, int]]:
    """(attributes, start, size) of each image of the MPF index, start made absolute; [] without MPF.

    Raises
    ------
    _Unusable
        An index that points outside the file.
    """
    for marker, start, end in segments:
        if marker == 0xE2 and data.startswith(b"MPF\x00", start):
            tiff = data[start + 4:end]
            base = start + 4  # MPF offsets count from the TIFF header
            break
    else:
        return []
    try:
        order = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd)
        for k in range(count):
            tag, _, length, value = struct.unpack_from(order + "HHII", tiff, ifd + 2 + 12 * k)
            if tag == _MPF_ENTRY:
                entries = [struct.unpack_from(order + "III", tiff, value + 16 * i) for i in range(length // 16)]
                break
        else:
            return []
    except (KeyError, struct.error):
        raise _Unusable("its picture index is unreadable") from None
    images = []
    for attributes, size, offset in entries:
        begin = base + offset if offset else 0  # the first image starts the file
        if size == 0 or begin + size > len(data) or (offset and data[begin:begin + 2] != b"\xff\xd8"):
            raise _Unusable("its picture index points outside the file")
        images.append((attributes, begin, size))
    return images


# --- XMP -------------------------------------------------------------------------------------------------

class _XmpTrees:
    """The standard and extended XMP of a JPEG, parsed; `note` says when either was damaged."""

    def __init__(self, data: bytes, segments) -> None:
        self.note = None
        standard = next((data[start + len(_XMP_STANDARD):end] for marker, start, end in segments
                         if marker == 0xE1 and data.startswith(_XMP_STANDARD, start)), None)
        self.standard = self._parse(lambda: standard)
        guid = None
        if self.standard is not None:
            guid = next((v for _, v in _properties(self.standard, _NS_XMP_NOTE + "HasExtendedXMP")), None)
        self.extended = self._parse(lambda: _extended_xmp(data, segments, guid))

    def _parse(self, packet) -> ET.Element | None:
        """`packet()` parsed, or None when there is none or it is damaged (then `note` says so)."""
        try:
            found = packet()
            return None if found is None else _parse_xml(found)
        except _Unusable as err:
            self.note = f"This photo's metadata (XMP) is damaged ({err}); Diorama ignored it."
            return None

    def trees(self) -> list[ET.Element]:
        return [tree for tree in (self.standard, self.extended) if tree is not None]


def _extended_xmp(data: bytes, segments, guid: str | None) -> bytes | None:
    """The extended XMP packet reassembled from its APP1 chunks (of `guid`, when given), or None."""
    chunks: dict[bytes, list[tuple[int, int, int, int]]] = {}
    for marker, start, end in segments:
        if marker == 0xE1 and data.startswith(_XMP_EXTENDED, start) and end - start >= _EXTENDED_HEADER:
            head = start + len(_XMP_EXTENDED)
            total, offset = struct.unpack_from(">II", data, head + 32)
            chunks.setdefault(bytes(data[head:head + 32]), []).append((offset, total, head + 40, end))
    if not chunks:
        return None
    key = guid.strip().encode("ascii", "replace") if guid else next(iter(chunks))
    parts = chunks.get(key)
    if parts is None:  # extended XMP of another packet (an edited copy's leftovers): not this photo's
        return None
    total = parts[0][1]
    if total > len(data) or any(t != total or offset + (end - begin) > total for offset, t, begin, end in parts):
        raise _Unusable("its extended part's pieces don't fit together")
    packet = bytearray(total)
    filled = 0
    for offset, _, begin, end in sorted(parts):
        packet[offset:offset + end - begin] = data[begin:end]
        filled += end - begin
    if filled != total:
        raise _Unusable("its extended part is incomplete")
    return bytes(packet)


def _parse_xml(packet: bytes) -> ET.Element:
    """An XMP packet parsed; entity declarations are refused (they can expand without bound)."""
    if b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        raise _Unusable("it declares XML entities")
    text = packet.strip(b"\x00 \t\r\n")
    try:
        return ET.fromstring(text)
    except ET.ParseError as err:
        raise _Unusable(f"invalid XML: {err}") from None
    except (ValueError, RecursionError):
        raise _Unusable("invalid XML") from None


def _properties(tree: ET.Element, name: str):
    """(holder, value) for each simple property `name` ('{ns}local') in `tree`, in attribute or element form;
    the holder is the struct (element) the property belongs to, for :func:`_fields`."""
    for element in tree.iter():
        if name in element.attrib:
            yield element, element.attrib[name]
        for child in element:
            if child.tag == name and len(child) == 0:
                yield element, (child.text or "").strip()


def _fields(node: ET.Element) -> dict[str, str]:
    """The simple properties of an XMP struct and of the structs inside it (not lists), first one wins."""
    fields = {}
    stack = [node]
    while stack:
        element = stack.pop(0)
        for name, value in element.attrib.items():
            fields.setdefault(name, value)
        for child in element:
            if child.tag in (_RDF + "Seq", _RDF + "Bag", _RDF + "Alt"):
                continue
            if len(child) == 0 and not child.attrib:
                fields.setdefault(child.tag, (child.text or "").strip())
            else:  # a struct, in element or attribute (``<Container:Item Item:Mime=.../>``) form
                stack.append(child)
    return fields


def _first(trees, name: str) -> ET.Element | None:
    for tree in trees:
        for element in tree.iter(name):
            return element
    return None


def _number(fields: dict[str, str], name: str) -> float:
    try:
        value = float(fields[name])
    except (KeyError, ValueError):
        raise _Unusable(f"{name.split('}')[-1]} is missing or not a number") from None
    if not math.isfinite(value):
        raise _Unusable(f"{name.split('}')[-1]} is not a finite number")
    return value


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode(re.sub(r"\s+", "", text), validate=True)
    except (binascii.Error, ValueError):
        raise _Unusable("its data is not valid base64") from None


# --- Payloads and conventions ---------------------------------------------------------------------------

def _decode_grey(payload: bytes, long_side: int) -> np.ndarray:
    """A depth image file as (h, w) float32 in [0, 1] (1 = white), in its stored frame.

    Decoded through :mod:`diorama.photo` (formats, size and memory limits); at least `long_side` long
    where it is larger, by JPEG DCT scaling and integer box reduction.
    """
    image = open_image(payload)
    scale = min(1.0, long_side / max(image.size))
    at_least = (max(1, math.ceil(image.width * scale)), max(1, math.ceil(image.height * scale)))
    image, _ = decode(image, draft_mode="L", at_least=at_least)  # its own orientation: the photo's is used
    return grey_to_unit(_reduce_towards(image, at_least))


def _decode_view(payload: bytes, long_side: int) -> Image.Image:
    """One view of a stereo file, RGB and upright, decoded at a JPEG scale that keeps DRAFT_SLACK of `long_side`."""
    image = open_image(payload)
    scale = min(1.0, long_side * DRAFT_SLACK / max(image.size))
    at_least = (max(1, math.ceil(image.width * scale)), max(1, math.ceil(image.height * scale)))
    image, orientation = decode(image, draft_mode="RGB", at_least=at_least)
    return apply_orientation(image.convert("RGB"), orientation)


def _from_range(unit: np.ndarray, form: str, near: float, far: float) -> np.ndarray:
    """Stored values in [0, 1] of a RangeInverse or RangeLinear depth map -> 1 = near."""
    if form == "RangeInverse":
        return 1 - unit
    if form != "RangeLinear":
        raise _Unusable(f"its format {form!r} is neither RangeInverse nor RangeLinear")
    return _inverse_depth(near + unit * (far - near))


def _inverse_depth(distance: np.ndarray) -> np.ndarray:
    """Distances -> 1/d scaled to [0, 1] over the map's range; d <= 0 (unmeasured) filled from around."""
    measured = distance > 0
    if not measured.any():
        raise _Unusable("it holds no measured depth")
    inverse = np.where(measured, 1 / np.where(measured, distance, 1), 0).astype(np.float32)
    lo, hi = float(inverse[measured].min()), float(inverse[measured].max())
    unit = (inverse - lo) / (hi - lo) if hi > lo else np.full_like(inverse, 0.5)
    if not measured.all():
        unit = push_pull(unit, measured)
    return np.clip(unit, 0, 1).astype(np.float32)


def _upright(stored: np.ndarray, orientation: int) -> np.ndarray:
    if stored.size == 0:
        raise _Unusable("its depth image is empty")
    turned = apply_orientation(Image.fromarray(np.ascontiguousarray(stored, dtype=np.float32), "F"), orientation)
    return np.asarray(turned, dtype=np.float32)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# --- Readers: each returns depth (1 = near) in the photo's stored frame, None (not this format) or
# raises _Unusable / DioramaError (this format, but damaged).

def _read_gdepth(data, segments, xmp: _XmpTrees, long_side):
    trees = xmp.trees()
    fields = next((_fields(element) for tree in trees for element, _ in _properties(tree, _NS_GDEPTH + "Format")),
                  None)
    if fields is None:
        return None
    payload = next((value for tree in trees for _, value in _properties(tree, _NS_GDEPTH + "Data")), None)
    if payload is None:
        raise _Unusable("its image data is missing")
    unit = _decode_grey(_base64(payload), long_side)
    return _from_range(unit, fields[_NS_GDEPTH + "Format"], _number(fields, _NS_GDEPTH + "Near"),
                       _number(fields, _NS_GDEPTH + "Far"))


def _camera_depth_map(trees, ns_device: str, ns_camera: str) -> dict[str, str] | None:
    """The fields of the first camera's depth map (Device:Cameras, first rdf:li, Camera:DepthMap), or None."""
    cameras = _first(trees, ns_device + "Cameras")
    if cameras is None:
        return None
    for camera in cameras.iter(_RDF + "li"):
        depth_map = next(camera.iter(ns_camera + "DepthMap"), None)
        if depth_map is not None:
            return _fields(depth_map)
    return None


def _read_xdm(data, segments, xmp: _XmpTrees, long_side):
    fields = _camera_depth_map(xmp.trees(), _NS_XDM_DEVICE, _NS_XDM_CAMERA)
    if fields is None:
        return None
    if not fields.get(_NS_XDM_DEPTH + "Data"):
        raise _Unusable("its image data is missing")
    unit = _decode_grey(_base64(fields[_NS_XDM_DEPTH + "Data"]), long_side)
    return _from_range(unit, fields.get(_NS_XDM_DEPTH + "Format", ""), _number(fields, _NS_XDM_DEPTH + "Near"),
                       _number(fields, _NS_XDM_DEPTH + "Far"))


def _read_dynamic_depth(data, segments, xmp: _XmpTrees, long_side):
    trees = xmp.trees()
    fields = _camera_depth_map(trees, _NS_DD_DEVICE, _NS_DD_CAMERA)
    if fields is None:
        return None
    if fields.get(_NS_DD_DEPTH + "ItemSemantic", "Depth") != "Depth":
        return None  # a segmentation mask, not depth
    directory = _first(trees, _NS_DD_CONTAINER + "Directory")
    if directory is None:
        raise _Unusable("its container directory is missing")
    items = [_fields(item) for item in directory.iter(_RDF + "li")]
    # Items after the primary image are concatenated at the end of the file, in directory order, each
    # followed by its padding: their offsets follow from the end of the file backwards.
    try:
        sizes = [(int(item.get(_NS_DD_ITEM + "Length", "0")), int(item.get(_NS_DD_ITEM + "Padding", "0")))
                 for item in items]
    except ValueError:
        raise _Unusable("its container directory holds a length that is not a number") from None
    if any(length < 0 or padding < 0 for length, padding in sizes):
        raise _Unusable("its container directory holds a negative length")
    uri = fields.get(_NS_DD_DEPTH + "DepthURI")
    end = len(data)
    for item, (length, padding) in reversed(list(zip(items[1:], sizes[1:]))):
        start = end - padding - length
        if start < 0:
            raise _Unusable("its container directory points outside the file")
        if item.get(_NS_DD_ITEM + "DataURI") == uri:
            unit = _decode_grey(data[start:start + length], long_side)
            return _from_range(unit, fields.get(_NS_DD_DEPTH + "Format", ""),
                               _number(fields, _NS_DD_DEPTH + "Near"), _number(fields, _NS_DD_DEPTH + "Far"))
        end = start
    raise _Unusable("its depth item is not in the container directory")


def _read_apple(data, segments, xmp, long_side):
    for _, start, size in _mpf_images(data, segments)[1:]:
        image = data[start:start + size]
        fields = {}
        for tree in _XmpTrees(image, _segments(image)).trees():
            for holder, _ in _properties(tree, _NS_APDI + "AuxiliaryImageType"):
                fields = _fields(holder)
        kind = fields.get(_NS_APDI + "AuxiliaryImageType", "").lower()
        if "gainmap" in kind or ("disparity" not in kind and "depth" not in kind):
            continue
        unit = _decode_grey(image, long_side)
        if "disparity" in kind:
            return unit
        lo, hi = _number(fields, _NS_APDI + "FloatMinValue"), _number(fields, _NS_APDI + "FloatMaxValue")
        return _inverse_depth(lo + unit * (hi - lo))
    return None


def _read_samsung(data, segments, xmp, long_side):
    blocks = _samsung_trailer(data)
    if blocks is None or "DualShot_DepthMap_1" not in blocks:
        return None
    depth, extra = blocks["DualShot_DepthMap_1"], blocks.get("DualShot_Extra_Info", b"")
    # exiftool (Samsung.pm, DualShotExtra): the width and height follow a marker [1-9] 0 FF FF that sits at
    # a 4-aligned place among bytes 32..95 of DualShot_Extra_Info.
    found = re.compile(rb"[\x01-\x09]\x00\xff\xff", re.S)
    for match in found.finditer(extra, 32, 96):
        if match.start() % 4 == 0 and match.end() + 8 <= len(extra):
            width, height = struct.unpack_from("<II", extra, match.end())
            break
    else:
        raise _Unusable("its size is missing")
    if width * height != len(depth) or width == 0:
        raise _Unusable(f"{len(depth)} bytes of depth for {width} x {height} pixels")
    return np.frombuffer(depth, dtype=np.uint8).reshape(height, width).astype(np.float32) / np.float32(255)


def _samsung_trailer(data: bytes) -> dict[str, bytes] | None:
    """Named blocks of a Samsung ``SEFT`` trailer (layout: exiftool's Samsung.pm, ProcessSamsung), or None.

    The file ends ``... [SEFH directory] [its length, u32 LE] "SEFT"`` (possibly followed by a ``QDIO``
    block). The directory is ``"SEFH", version, count`` then `count` entries of ``(u16, u16 type,
    u32 distance back from the directory to the block, u32 block size)``; a block is ``(u16, u16 type,
    u32 name length, name, data)``.

    Raises
    ------
    _Unusable
        A trailer whose directory points outside the file.
    """
    end = len(data) - (2 if data.endswith(b"QDIOBS") else 0)
    for _ in range(4):  # SEFT and a few other blocks at most
        if end < 8:
            return None
        length, kind = struct.unpack_from("<I4s", data, end - 8)
        if not kind.isalnum() or length + 8 > end:
            return None
        start = end - 8 - length
        if kind == b"SEFT":
            break
        end = start
    else:
        return None
    directory = data[start:end - 8]
    if not directory.startswith(b"SEFH") or len(directory) < 12:
        raise _Unusable("its trailer is damaged")
    (count,) = struct.unpack_from("<I", directory, 8)
    if 12 + 12 * count > len(directory):
        raise _Unusable("its trailer is damaged")
    blocks = {}
    for k in range(count):
        _, _, back, size = struct.unpack_from("<HHII", directory, 12 + 12 * k)
        begin = start - back
        if back > start or size < 8 or begin + size > start:
            raise _Unusable("its trailer points outside the file")
        (name_length,) = struct.unpack_from("<I", data, begin + 4)
        if 8 + name_length > size:
            raise _Unusable("its trailer is damaged")
        name = data[begin + 8:begin + 8 + name_length].decode("latin-1")
        blocks[name] = data[begin + 8 + name_length:begin + size]
    return blocks
