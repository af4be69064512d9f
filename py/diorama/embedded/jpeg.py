"""JPEG structure: marker segments and the MPF (CIPA DC-007) index of the pictures one file holds."""

from __future__ import annotations

import struct

from .registry import Unusable

MAX_SEGMENT = 65535 - 2
"""Payload bytes of one JPEG marker segment, at most."""

MPF_STEREO = 0x020002
"""The MPF image type "multi-frame image, disparity": a view of a stereo pair."""

_MPF_ENTRY = 0xB002  # MPEntry: 16 bytes per image (attributes, size, offset, two dependent images)


def segments(data: bytes, start: int = 0) -> list[tuple[int, int, int]]:
    """(marker, payload start, payload end) of the marker segments of the JPEG at `start`, up to the scan.

    Stops quietly at anything malformed: what was read before stays usable.
    """
    out = []
    if data[start : start + 2] != b"\xff\xd8":
        return out
    at = start + 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan
            break
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if length < 2 or at + 2 + length > len(data):
            break
        out.append((marker, at + 4, at + 2 + length))
        at += 2 + length
    return out


def segment(marker: int, payload: bytes) -> bytes:
    """A marker segment of `payload` (at most :data:`MAX_SEGMENT` bytes)."""
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def mpf_images(data: bytes, found_segments) -> list[tuple[int, int, int]]:
    """(attributes, start, size) of each image of the MPF index, start made absolute; [] without MPF.

    Raises
    ------
    Unusable
        An index that points outside the file.
    """
    for marker, start, end in found_segments:
        if marker == 0xE2 and data.startswith(b"MPF\x00", start):
            tiff = data[start + 4 : end]
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
        raise Unusable("its picture index is unreadable") from None
    images = []
    for attributes, size, offset in entries:
        begin = base + offset if offset else 0  # the first image starts the file
        if size == 0 or begin + size > len(data) or (offset and data[begin : begin + 2] != b"\xff\xd8"):
            raise Unusable("its picture index points outside the file")
        images.append((attributes, begin, size))
    return images
