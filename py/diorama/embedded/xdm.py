"""Intel XDM 1.0: ``Depthmap:Data`` (base64, a 16-bit PNG) of the first camera, in the extended XMP."""

from __future__ import annotations

from .payload import decode_grey, from_range
from .registry import Unusable, reader
from .xmp import XmpTrees, base64_data, camera_depth_map, number_field

_XDM = "http://ns.xdm.org/photos/1.0/"
_NS_DEVICE, _NS_CAMERA, _NS_DEPTH = ("{" + _XDM + name + "/}" for name in ("device", "camera", "depthmap"))


@reader("xdm", "Intel XDM", rank=30)
def read_xdm(data, segments, xmp: XmpTrees, long_side):
    """:class:`~diorama.embedded.registry.Reader` of XDM."""
    fields = camera_depth_map(xmp.trees(), _NS_DEVICE, _NS_CAMERA)
    if fields is None:
        return None
    if not fields.get(_NS_DEPTH + "Data"):
        raise Unusable("its image data is missing")
    unit = decode_grey(base64_data(fields[_NS_DEPTH + "Data"]), long_side)
    return from_range(
        unit,
        fields.get(_NS_DEPTH + "Format", ""),
        number_field(fields, _NS_DEPTH + "Near"),
        number_field(fields, _NS_DEPTH + "Far"),
    )
