"""GDepth (Google Camera Lens Blur): its reader, and the writer of Diorama's 3D JPEG.

``GDepth:Data`` (a base64 PNG or JPEG) lies in the extended XMP, split across APP1 segments; ``GDepth:Format``,
``Near`` and ``Far`` in the standard XMP.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct

import numpy as np
from PIL import Image

from ..depthmap import as_depth
from ..errors import DioramaError
from ..photo import exif_orientation, open_image
from . import jpeg
from .payload import decode_grey, from_range
from .registry import Unusable, reader, same_aspect
from .xmp import (
    EXTENDED_HEADER,
    NS_XMP_NOTE,
    RDF,
    XMP_EXTENDED,
    XMP_STANDARD,
    XmpTrees,
    base64_data,
    number_field,
    properties,
    struct_fields,
)

NS_GDEPTH = "{http://ns.google.com/photos/1.0/depthmap/}"

# An orientation's transpose undone: what stores an upright image in the frame a camera wrote it in.
_STORE_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


# First of all: a photo exported with write_gdepth from an iPhone portrait carries both, and GDepth is the newer.
@reader("gdepth", "Google Lens Blur", rank=10)
def read_gdepth(data, segments, xmp: XmpTrees, long_side):
    """:class:`~diorama.embedded.registry.Reader` of GDepth."""
    trees = xmp.trees()
    fields = next(
        (struct_fields(element) for tree in trees for element, _ in properties(tree, NS_GDEPTH + "Format")), None
    )
    if fields is None:
        return None
    payload = next((value for tree in trees for _, value in properties(tree, NS_GDEPTH + "Data")), None)
    if payload is None:
        raise Unusable("its image data is missing")
    unit = decode_grey(base64_data(payload), long_side)
    return from_range(
        unit,
        fields[NS_GDEPTH + "Format"],
        number_field(fields, NS_GDEPTH + "Near"),
        number_field(fields, NS_GDEPTH + "Far"),
    )


def write_gdepth(photo_jpeg: bytes, depth) -> bytes:
    """A copy of a JPEG with `depth` embedded as GDepth (Google Lens Blur format), RangeInverse.

    Parameters
    ----------
    photo_jpeg : bytes
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
        segments of at most 65,535 bytes. :func:`~diorama.embedded.read_embedded_depth` reads it back (to 1/255).

    Raises
    ------
    DioramaError
        `photo_jpeg` is not a JPEG Diorama reads.
    ValueError
        `depth` is not a 2-D array of finite values, or its aspect ratio is not the photo's.

    Notes
    -----
    Depth here is relative (disparity-like), so Near and Far are nominal: with RangeInverse, 1/d is
    linear in the stored value whatever they are, and readers that normalise (as this one does) get
    the depth back. The photo's own XMP is dropped, since GDepth needs the standard XMP packet.
    """
    photo = open_image(photo_jpeg)
    if photo.format not in ("JPEG", "MPO"):
        raise DioramaError("Depth can only be embedded in a JPEG photo; please export the photo as JPEG first.")
    orientation = exif_orientation(photo)
    values = np.clip(as_depth(depth), 0, 1)
    width, height = photo.size if orientation < 5 else photo.size[::-1]
    if not same_aspect(values.shape, (width, height)):
        raise ValueError(
            f"depth of shape {values.shape} has not the aspect ratio of the {width} x {height} "
            "photo; pass the depth of this photo"
        )
    far_is_white = np.rint((1 - values) * 255).astype(np.uint8)
    stored = Image.fromarray(far_is_white, "L")
    if orientation in _STORE_TRANSPOSE:
        stored = stored.transpose(_STORE_TRANSPOSE[orientation])
    buf = io.BytesIO()
    stored.save(buf, "PNG", optimize=True)
    extended = (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{RDF[1:-1]}">'
        f'<rdf:Description rdf:about="" xmlns:GDepth="{NS_GDEPTH[1:-1]}" GDepth:Data="'
        + base64.b64encode(buf.getvalue()).decode("ascii")
        + '"/></rdf:RDF></x:xmpmeta>'
    ).encode("utf-8")
    guid = hashlib.md5(extended).hexdigest().upper().encode("ascii")  # as the XMP specification says
    standard = (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{RDF[1:-1]}">'
        f'<rdf:Description rdf:about="" xmlns:GDepth="{NS_GDEPTH[1:-1]}" '
        f'xmlns:xmpNote="{NS_XMP_NOTE[1:-1]}" GDepth:Format="RangeInverse" GDepth:Near="1" '
        f'GDepth:Far="100" GDepth:Mime="image/png" xmpNote:HasExtendedXMP="{guid.decode()}"/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()
    chunk = jpeg.MAX_SEGMENT - EXTENDED_HEADER
    new = [jpeg.segment(0xE1, XMP_STANDARD + standard)] + [
        jpeg.segment(0xE1, XMP_EXTENDED + guid + struct.pack(">II", len(extended), at) + extended[at : at + chunk])
        for at in range(0, len(extended), chunk)
    ]
    segments = jpeg.segments(photo_jpeg)
    xmp = [
        (start, end)
        for marker, start, end in segments
        if marker == 0xE1 and (photo_jpeg.startswith(XMP_STANDARD, start) or photo_jpeg.startswith(XMP_EXTENDED, start))
    ]
    # After JFIF (APP0) and Exif (APP1), which readers expect first.
    leading = [
        end
        for marker, start, end in segments
        if marker == 0xE0 or (marker == 0xE1 and photo_jpeg.startswith(b"Exif\x00", start))
    ]
    at = max((end for end in leading if all(end <= s for s, _ in xmp)), default=2)
    at = min([at] + [start - 4 for start, _ in xmp])
    kept = bytearray(photo_jpeg[:at])
    kept += b"".join(new)
    rest_from = at
    for start, end in sorted(xmp):
        kept += photo_jpeg[rest_from : start - 4]
        rest_from = end
    kept += photo_jpeg[rest_from:]
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
