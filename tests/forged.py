"""Small files that claim huge images: real PNGs of zero pixels, and TIFF headers with almost no data, for the
memory budget's tests (tests/py/test_memory_budget.py, tests/web/test_resilience.py)."""

from __future__ import annotations

import struct
import zlib


def png(width: int, height: int, colour_type: int = 0, bit_depth: int = 8) -> bytes:
    """A real PNG of zero pixels (grey 8-bit by default), compressed in a stream so it is never in memory whole."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = b"\x00" * (1 + width * channels * bit_depth // 8)
    squeeze, data = zlib.compressobj(9), []
    rows_at_once = max(1, 1_000_000 // len(row))
    for start in range(0, height, rows_at_once):
        data.append(squeeze.compress(row * min(rows_at_once, height - start)))
    data.append(squeeze.flush())
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(data)) + chunk(b"IEND", b"")


def float_tiff_header(width: int, height: int) -> bytes:
    """A little-endian TIFF that declares one strip of 32-bit float pixels (Pillow mode F) and holds 4 bytes."""
    entries = [
        (256, 4, width),
        (257, 4, height),
        (258, 3, 32),
        (259, 3, 1),
        (262, 3, 1),
        (273, 4, 0),
        (277, 3, 1),
        (278, 4, height),
        (279, 4, width * height * 4),
        (339, 3, 3),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    data_at = 8 + ifd_size
    body = b"".join(
        struct.pack("<HHII", tag, kind, 1, data_at if tag == 273 else value) for tag, kind, value in entries
    )
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries)) + body + b"\x00" * 4 + bytes(4)
