"""Image files built in memory for the pipeline tests.

Tests never read files from disk: every photo, depth map and broken file is generated here, with
fixed seeds, through the `files` fixture (session-scoped, so hypothesis tests can use it too).
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

# Which modes each format can write with Pillow 10.2+ (what the fuzz and mode tests draw from).
SAVEABLE_MODES = {
    "PNG": ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"),  # Pillow 10.2 reads 16-bit PNGs as "I"
    "JPEG": ("L", "RGB", "CMYK"),
    "WEBP": ("RGB", "RGBA"),
    "GIF": ("L", "P"),
    "BMP": ("1", "L", "P", "RGB", "RGBA"),
    "TIFF": ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"),
}

# Orientation -> how the stored pixels relate to the upright picture: stored = INVERSE(upright).
_INVERSE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # shown with ROTATE_270, so stored turned the other way
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}

QUADRANT_COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255))  # TL, TR, BL, BR


def _png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


class Files:
    """Builders of image files as bytes."""

    @staticmethod
    def encode(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
        buf = io.BytesIO()
        image.save(buf, fmt, **params)
        return buf.getvalue()

    @staticmethod
    def random_image(mode: str, size: tuple[int, int], seed: int = 0) -> Image.Image:
        """A noisy image of `mode` and (width, height) `size`."""
        rng = np.random.default_rng(seed)
        width, height = size
        if mode == "I;16":
            return Image.fromarray(rng.integers(0, 65536, (height, width), dtype=np.uint16))
        if mode == "I":
            return Image.fromarray(rng.integers(0, 65536, (height, width)).astype(np.int32))
        if mode == "F":
            return Image.fromarray(rng.random((height, width), dtype=np.float32))
        rgba = Image.fromarray(rng.integers(0, 256, (height, width, 4), dtype=np.uint8), "RGBA")
        if mode in ("RGBA", "LA"):
            return rgba.convert(mode)
        rgb = rgba.convert("RGB")
        return rgb.quantize(16) if mode == "P" else rgb.convert(mode)

    @staticmethod
    def quadrants(size: tuple[int, int] = (40, 30)) -> Image.Image:
        """An upright RGB test card: red, green / blue, white quadrants (no symmetry survives)."""
        width, height = size
        card = np.empty((height, width, 3), dtype=np.uint8)
        (tl, tr, bl, br) = QUADRANT_COLOURS
        card[: height // 2, : width // 2] = tl
        card[: height // 2, width // 2 :] = tr
        card[height // 2 :, : width // 2] = bl
        card[height // 2 :, width // 2 :] = br
        return Image.fromarray(card, "RGB")

    @staticmethod
    def stored_for(upright: Image.Image, orientation: int) -> Image.Image:
        """The pixels a camera stores with EXIF `orientation` for a picture shown as `upright`."""
        method = _INVERSE[orientation]
        return upright if method is None else upright.transpose(method)

    @staticmethod
    def exif(orientation: int) -> bytes:
        exif = Image.Exif()
        exif[0x0112] = orientation
        return exif.tobytes()

    @staticmethod
    def png_header_only(width: int, height: int, *, bit_depth: int = 1, color_type: int = 0) -> bytes:
        """A PNG whose header claims `width` x `height` with a few bytes of (too little) pixel data.

        Costs nothing to build however large the claimed size: for the decompression-bomb guard,
        which must refuse it from the header, and for header-only checks.
        """
        ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(bytes(64)))
            + _png_chunk(b"IEND", b"")
        )

    @staticmethod
    def bilevel_png(width: int, height: int) -> bytes:
        """A complete, valid all-black 1-bit PNG (a huge one compresses to a few kB)."""
        row = bytes(1 + (width + 7) // 8)  # filter type 0, then packed bits
        compressor = zlib.compressobj(9)
        idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
        ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")

    @staticmethod
    def ftyp(major: bytes, *compatible: bytes) -> bytes:
        """The start of an ISO-BMFF file (HEIC, AVIF, MP4): an ``ftyp`` box and an empty ``meta``."""
        body = b"ftyp" + major + b"\x00\x00\x00\x00" + b"".join(compatible)
        return struct.pack(">I", 4 + len(body)) + body + struct.pack(">I", 12) + b"meta" + bytes(4)

    @staticmethod
    def animated_gif(colours: list[tuple[int, int, int]], size: tuple[int, int] = (16, 12)) -> bytes:
        frames = [Image.new("RGB", size, c) for c in colours]
        buf = io.BytesIO()
        frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
        return buf.getvalue()


@pytest.fixture(scope="session")
def files() -> type[Files]:
    return Files
