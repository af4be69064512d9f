"""Depth that cameras embed in photo files, and stereo views of MPO files.

Phones and depth cameras store a depth (or disparity) image inside the photo file. This package finds it
and returns it in the pipeline's convention, so that it can replace the model's estimate. Each format's
module registers its reader once (:mod:`~diorama.embedded.registry`); :data:`FORMATS` is made from them:

==================  ==================  ========================================================================
format              module              where the depth is
==================  ==================  ========================================================================
``gdepth``          ``gdepth``          Google Camera Lens Blur: ``GDepth:Data`` (base64 PNG/JPEG) in extended
                                        XMP (also :func:`write_gdepth`, :func:`photo_with_gdepth`: Diorama's 3D JPEG)
``dynamic-depth``   ``dynamic_depth``   Google Dynamic Depth 1.0 (Pixel portrait): an item of the XMP
                                        ``Container:Directory``, appended after the primary image
``xdm``             ``xdm``             Intel XDM 1.0: ``Depthmap:Data`` (base64, 16-bit PNG), extended XMP
``apple``           ``apple``           iPhone portrait JPEG: an MPF (APP2) secondary image whose own XMP says
                                        ``apdi:AuxiliaryImageType`` disparity (or depth); iPhone portrait HEIC:
                                        the auxiliary depth image, read by the HEIF decoder (pillow-heif in
                                        CPython, libheif-js in the browser's worker; :func:`heif_embedded_depth`)
``samsung``         ``samsung``         Samsung Live Focus: ``DualShot_DepthMap_1`` in the ``SEFT`` trailer
==================  ==================  ========================================================================

The containers they share are read by ``jpeg`` (marker segments, the MPF index) and ``xmp`` (standard and
extended XMP); ``payload`` decodes the depth images. Stereo files carry two views instead
(:func:`stereo_views`, module ``stereo``): MPO files of 3D cameras and Apple spatial photos.

The depth comes back as (h, w) float32 in [0, 1] with **1 = near** (disparity-like, as everywhere in the
pipeline), turned by the *primary* photo's EXIF orientation (the payloads are stored in the frame of the
photo's stored pixels), at the payload's own resolution: :func:`fit_to_photo` resamples it to the photo.

Nothing here raises for bad bytes: a file without depth gives ``None``; depth that is there but can't be
used (damaged XMP, invalid base64, offsets outside the file, a payload that isn't an image, an image too
large for :data:`diorama.photo.MEMORY_BUDGET`, a shape that doesn't match the photo) gives ``None`` and a
plain-words note from :func:`find_embedded_depth`; the photo then gets estimated depth.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from ..depthmap import as_depth
from ..errors import DioramaError, refuse_when_out_of_memory
from ..filters import resize_bilinear
from ..options import WORKING_LONG_SIDE
from ..photo import apply_orientation, check_long_side, exif_orientation, open_image
from . import dynamic_depth, gdepth, jpeg, samsung, xdm  # noqa: F401  (importing a reader's module registers it)
from .apple import HEIF_DEPTH_REPRESENTATIONS, depth_from_heif_image, heif_embedded_depth, heif_file_depth
from .gdepth import photo_with_gdepth, write_gdepth
from .registry import ASPECT_TOLERANCE, READERS, EmbeddedDepth, Unusable, damaged, decoder_says, other_shape
from .stereo import stereo_format, stereo_views
from .xmp import XmpTrees

__all__ = [
    "ASPECT_TOLERANCE",
    "FORMATS",
    "HEIF_DEPTH_REPRESENTATIONS",
    "EmbeddedDepth",
    "depth_from_heif_image",
    "find_embedded_depth",
    "fit_to_photo",
    "heif_embedded_depth",
    "photo_with_gdepth",
    "read_embedded_depth",
    "stereo_format",
    "stereo_views",
    "write_gdepth",
]

FORMATS = {found.format: found.label for found in READERS}
"""Each format this package reads -> words for people (:attr:`EmbeddedDepth.label`), in the order they are tried."""


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
    The first format found is used, in the order of :data:`~diorama.embedded.registry.READERS` (GDepth first:
    a photo exported with :func:`write_gdepth` from an iPhone portrait carries both, and GDepth is the newer).
    Per format, the stored values become 1 = near as follows (``v`` the stored value scaled to [0, 1]):

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
        return heif_file_depth(data, photo_size)
    if photo.format not in ("JPEG", "MPO"):
        return None, None
    segments = jpeg.segments(data)
    xmp = XmpTrees(data, segments)
    for found in READERS:
        try:
            with refuse_when_out_of_memory():
                stored = found.read(data, segments, xmp, long_side)
                if stored is None:
                    continue
                upright = _upright(stored, orientation)
        except Unusable as err:
            return None, damaged(found.label, str(err))
        except DioramaError as err:  # from the payload's decoder: not an image, too large, truncated
            return None, damaged(found.label, decoder_says(err))
        shape_note = other_shape(upright, photo_size if orientation < 5 else photo_size[::-1], found.label)
        if shape_note:
            return None, shape_note
        return EmbeddedDepth(upright, found.format, found.label), xmp.note
    return None, xmp.note


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


def _upright(stored: np.ndarray, orientation: int) -> np.ndarray:
    """Depth a reader found in the stored frame, turned by the photo's EXIF `orientation`."""
    if stored.size == 0:
        raise Unusable("its depth image is empty")
    turned = apply_orientation(Image.fromarray(np.ascontiguousarray(stored, dtype=np.float32), "F"), orientation)
    return np.asarray(turned, dtype=np.float32)
