"""Google Dynamic Depth 1.0 (Pixel portrait): the depth map is an item of the XMP ``Container:Directory``,
appended after the primary image; ``DepthMap:Format``, ``Near``, ``Far`` and ``DepthURI`` say what it is."""

from __future__ import annotations

from .payload import decode_grey, from_range
from .registry import Unusable, reader
from .xmp import RDF, XmpTrees, camera_depth_map, first_element, number_field, struct_fields

_DD = "http://ns.google.com/photos/dd/1.0/"
_NS_DEVICE, _NS_CAMERA, _NS_DEPTH, _NS_CONTAINER, _NS_ITEM = (
    "{" + _DD + name + "/}" for name in ("device", "camera", "depthmap", "container", "item")
)


@reader("dynamic-depth", "Pixel portrait (Dynamic Depth)", rank=20)
def read_dynamic_depth(data, segments, xmp: XmpTrees, long_side):
    """:class:`~diorama.embedded.registry.Reader` of Dynamic Depth."""
    trees = xmp.trees()
    fields = camera_depth_map(trees, _NS_DEVICE, _NS_CAMERA)
    if fields is None:
        return None
    if fields.get(_NS_DEPTH + "ItemSemantic", "Depth") != "Depth":
        return None  # a segmentation mask, not depth
    directory = first_element(trees, _NS_CONTAINER + "Directory")
    if directory is None:
        raise Unusable("its container directory is missing")
    items = [struct_fields(item) for item in directory.iter(RDF + "li")]
    # Items after the primary image are concatenated at the end of the file, in directory order, each
    # followed by its padding: their offsets follow from the end of the file backwards.
    try:
        sizes = [(int(item.get(_NS_ITEM + "Length", "0")), int(item.get(_NS_ITEM + "Padding", "0"))) for item in items]
    except ValueError:
        raise Unusable("its container directory holds a length that is not a number") from None
    if any(length < 0 or padding < 0 for length, padding in sizes):
        raise Unusable("its container directory holds a negative length")
    uri = fields.get(_NS_DEPTH + "DepthURI")
    end = len(data)
    for item, (length, padding) in reversed(list(zip(items[1:], sizes[1:]))):
        start = end - padding - length
        if start < 0:
            raise Unusable("its container directory points outside the file")
        if item.get(_NS_ITEM + "DataURI") == uri:
            unit = decode_grey(data[start : start + length], long_side)
            return from_range(
                unit,
                fields.get(_NS_DEPTH + "Format", ""),
                number_field(fields, _NS_DEPTH + "Near"),
                number_field(fields, _NS_DEPTH + "Far"),
            )
        end = start
    raise Unusable("its depth item is not in the container directory")
