"""Samsung Live Focus: ``DualShot_DepthMap_1`` in the ``SEFT`` trailer (exiftool's Samsung trailer tables),
raw 8-bit, its size in ``DualShot_Extra_Info``."""

from __future__ import annotations

import re
import struct

import numpy as np

from .registry import Unusable, reader


@reader("samsung", "Samsung Live Focus", rank=50)
def read_samsung(data, segments, xmp, long_side):
    """:class:`~diorama.embedded.registry.Reader` of Samsung's DualShot depth."""
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
        raise Unusable("its size is missing")
    if width * height != len(depth) or width == 0:
        raise Unusable(f"{len(depth)} bytes of depth for {width} x {height} pixels")
    return np.frombuffer(depth, dtype=np.uint8).reshape(height, width).astype(np.float32) / np.float32(255)


def _samsung_trailer(data: bytes) -> dict[str, bytes] | None:
    """Named blocks of a Samsung ``SEFT`` trailer (layout: exiftool's Samsung.pm, ProcessSamsung), or None.

    The file ends ``... [SEFH directory] [its length, u32 LE] "SEFT"`` (possibly followed by a ``QDIO``
    block). The directory is ``"SEFH", version, count`` then `count` entries of ``(u16, u16 type,
    u32 distance back from the directory to the block, u32 block size)``; a block is ``(u16, u16 type,
    u32 name length, name, data)``.

    Raises
    ------
    Unusable
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
    directory = data[start : end - 8]
    if not directory.startswith(b"SEFH") or len(directory) < 12:
        raise Unusable("its trailer is damaged")
    (count,) = struct.unpack_from("<I", directory, 8)
    if 12 + 12 * count > len(directory):
        raise Unusable("its trailer is damaged")
    blocks = {}
    for k in range(count):
        _, _, back, size = struct.unpack_from("<HHII", directory, 12 + 12 * k)
        begin = start - back
        if back > start or size < 8 or begin + size > start:
            raise Unusable("its trailer points outside the file")
        (name_length,) = struct.unpack_from("<I", data, begin + 4)
        if 8 + name_length > size:
            raise Unusable("its trailer is damaged")
        name = data[begin + 8 : begin + 8 + name_length].decode("latin-1")
        blocks[name] = data[begin + 8 + name_length : begin + size]
    return blocks
