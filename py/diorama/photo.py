"""Decode a photo file into the (H, W, 3) uint8 RGB array the pipeline works on.

Reading is defensive because the bytes come straight from a person's file
picker: every refusal is a :class:`~diorama.errors.DioramaError` whose message
says in plain words what is wrong and what to do instead.

The helpers below :func:`load_photo` (:func:`open_image`, :func:`decode`,
:func:`exif_orientation`, :func:`apply_orientation`, :func:`grey_to_unit`) are
shared with :mod:`diorama.depthmap`, so photos and depth maps obey one policy
for formats, size limits, orientation and bit depth.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import struct
import warnings
from collections.abc import Iterator

import numpy as np
from PIL import Image, features

from .errors import DioramaError, refuse_when_out_of_memory
from .options import WORKING_LONG_SIDE

__all__ = [
    "DRAFT_SLACK",
    "MAX_PIXELS",
    "MEMORY_BUDGET",
    "browser_format",
    "check_long_side",
    "heif_size",
    "is_depth_like",
    "load_photo",
    "luma",
    "peak_bytes",
    "photo_from_pixels",
    "sniff_format",
]

# HEIC (and HEIF) through pillow-heif when it is installed (``pip install diorama[heif]``, CPython only: the
# Pyodide wheel has no such decoder, and the browser app decodes HEIC with libheif-js in its worker instead).
try:  # pragma: no cover - depends on what is installed
    import pillow_heif
except ImportError:  # pragma: no cover
    pillow_heif = None
else:  # pragma: no cover
    pillow_heif.register_heif_opener()

DRAFT_SLACK = 0.9
"""A JPEG may be decoded at a reduced DCT scale down to this fraction of the working long side."""

MAX_PIXELS = 100_000_000
"""Largest image (width x height) accepted; checked from the header, before any pixel is decoded."""

MEMORY_BUDGET = 768 * 2**20
"""Most bytes the decoded image and the arrays made from it may take at once while one file is read.

:func:`peak_bytes` estimates them from the header, once the JPEG decode scale is chosen and before any
pixel is decoded, and larger images are refused. With the interpreter and its libraries this keeps the
peak of reading any one file under 1 GB (docs/robustness.md measures it on a corpus nobody here wrote)."""

# Peak bytes per pixel of decoding an image of each mode and turning it into the pipeline's arrays,
# for a photo (draft mode RGB) and a depth map (draft mode L): Pillow's buffer (4 bytes a pixel for its
# multi-band modes, 1 for L/P/1, 2 for I;16, 4 for I/F) plus the largest set of arrays alive at once after
# it (a mode conversion; grey_to_unit's copy and float32 result; the float image that is resampled).
_PEAK_BYTES_PER_PIXEL = {
    "RGB": {"1": 2, "L": 2, "P": 8, "I;16": 20, "I": 24, "F": 24, "LA": 8, "RGB": 5, "RGBA": 5},
    "L": {"1": 14, "L": 14, "P": 15, "I;16": 16, "I": 20, "F": 20, "LA": 18, "RGB": 18, "RGBA": 18},
}
# Pillow keeps a pointer and bookkeeping per row (and decoders per-row state): tall images cost per row;
# resampling keeps a float64 filter coefficient for each source pixel along each axis.
_BYTES_PER_ROW = 64
_BYTES_PER_COLUMN = 8

# Pillow plugin IDs tried by Image.open; every other Pillow format (ICO, PSD, EPS, ...) is refused,
# which also keeps fuzzed bytes away from parsers the product never needs.
_PILLOW_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
_READABLE = "JPEG, PNG, WebP, GIF, BMP or TIFF"
_NOT_AN_IMAGE = f"This file is not an image Diorama can read ({_READABLE})."

# HEIC and AVIF: read by Pillow where this Pillow can (its own AVIF plugin, Pillow >= 11.2 built with libavif;
# HEIF through pillow-heif), else by the browser app (browser_format, photo_from_pixels), else refused.
_OPTIONAL_FORMATS = {"heic": "HEIF", "avif": "AVIF"}  # sniff_format's kind -> Pillow's format ID
_OPTIONAL_MESSAGES = {
    "heic": "This looks like a HEIC photo (the format iPhones save); this copy of Diorama can't read HEIC. "
    "Open it in the Diorama browser app, or install diorama[heif] (pillow-heif), or export it as JPEG.",
    "avif": "This looks like an AVIF image; this copy of Diorama can't read AVIF. Open it in the Diorama "
    "browser app, or use a Pillow built with AVIF (11.2 or later), or export it as JPEG or PNG.",
}

# Formats recognised only to say why they are refused.
_FOREIGN_MESSAGES = {
    "jxl": "This looks like a JPEG XL image; Diorama can't read JPEG XL, "
    "so please export it as JPEG or PNG and try again.",
    "svg": "This is a vector image (SVG); Diorama needs a photo made of pixels, "
    "so please export it as PNG or JPEG and try again.",
    "video": f"This looks like a video, not a photo; please choose a photo ({_READABLE}).",
}

# Image formats Diorama does not read, recognised by their signature so the message can name them.
_OTHER_IMAGE_FORMATS = {
    "psd": "a Photoshop (PSD)",
    "ico": "a Windows icon (ICO)",
    "icns": "a macOS icon (ICNS)",
    "jp2": "a JPEG 2000",
    "netpbm": "a Netpbm (PBM, PGM, PPM or PFM)",
    "pcx": "a PCX",
    "tga": "a Targa (TGA)",
    "dds": "a DirectDraw Surface (DDS)",
    "qoi": "a QOI",
    "eps": "a PostScript (EPS)",
    "sgi": "an SGI",
    "xcf": "a GIMP (XCF)",
    "fits": "a FITS",
    "xbm": "an X bitmap (XBM)",
    "iff": "an IFF",
    "sun": "a Sun raster",
}
_FOREIGN_MESSAGES.update(
    {
        kind: f"This is {name} image; Diorama reads {_READABLE}, so please export it as JPEG or PNG and open that."
        for kind, name in _OTHER_IMAGE_FORMATS.items()
    }
)

_DISPLAY_NAMES = {
    "jpeg": "JPEG",
    "png": "PNG",
    "webp": "WebP",
    "gif": "GIF",
    "bmp": "BMP",
    "tiff": "TIFF",
    "heic": "HEIC",
    "avif": "AVIF",
}

# ISO base media file format brands (the `ftyp` box that starts HEIF, AVIF and MP4 files).
_AVIF_BRANDS = {b"avif", b"avis"}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1"}  # generic HEIF: HEIC or AVIF, told apart by the other brands

# What Pillow's parsers raise on malformed or truncated bytes (found by the fuzz tests): mapped to
# DioramaError. DecompressionBombError and MemoryError get their own messages.
_PILLOW_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    OverflowError,
)

_EXIF_ORIENTATION = 0x0112
# The table of ImageOps.exif_transpose: EXIF orientation -> the transpose that shows the image upright.
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# "BM" alone starts many a text file; the DIB header size after it tells a real BMP.
_BMP_HEADER_SIZES = (12, 16, 40, 52, 56, 64, 108, 124)

_HIGH_BIT_DEPTH_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_SINGLE_CHANNEL_MODES = ("L", "LA", "La") + _HIGH_BIT_DEPTH_MODES


def sniff_format(data: bytes) -> str | None:
    """Name an image file's format from its first bytes, without decoding anything.

    Parameters
    ----------
    data : bytes
        The start of the file (the first 4 KiB are enough).

    Returns
    -------
    kind : str or None
        One of ``"jpeg"``, ``"png"``, ``"webp"``, ``"gif"``, ``"bmp"``, ``"tiff"`` (formats
        :func:`load_photo` reads), ``"heic"``, ``"avif"``, ``"jxl"``, ``"svg"``, ``"video"`` or another
        image format such as ``"psd"``, ``"ico"`` or ``"tga"`` (recognised only to explain why they are
        refused), or ``None``.

    Examples
    --------
    >>> sniff_format(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
    'png'
    >>> sniff_format(b"\\x00\\x00\\x00\\x18ftypheic\\x00\\x00\\x00\\x00mif1heic")
    'heic'
    >>> sniff_format(b"hello") is None
    True
    """
    head = bytes(data[:4096])
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:2] == b"BM" and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES:
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return "jxl"
    if head[4:8] == b"ftyp":
        return _ftyp_kind(head)
    other = _other_image_format(head, bytes(data[-18:]))
    if other:
        return other
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<") and b"<svg" in text:
        return "svg"
    return None


def _other_image_format(head: bytes, tail: bytes) -> str | None:
    """A key of _OTHER_IMAGE_FORMATS from a file's first bytes (and, for Targa, its footer), or None."""
    if tail.startswith(b"TRUEVISION-XFILE."):  # first: a Targa header may start like an icon's
        return "tga"
    signatures = (
        (b"8BPS", "psd"),
        (b"\x00\x00\x01\x00", "ico"),
        (b"\x00\x00\x02\x00", "ico"),
        (b"icns", "icns"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "jp2"),
        (b"\xff\x4f\xff\x51", "jp2"),
        (b"DDS ", "dds"),
        (b"qoif", "qoif"),
        (b"%!PS", "eps"),
        (b"\xc5\xd0\xd3\xc6", "eps"),
        (b"\x01\xda", "sgi"),
        (b"gimp xcf", "xcf"),
        (b"SIMPLE  =", "fits"),
        (b"#define", "xbm"),
        (b"\x59\xa6\x6a\x95", "sun"),
    )
    for signature, kind in signatures:
        if head.startswith(signature):
            return "qoi" if kind == "qoif" else kind
    if head[:4] == b"FORM" and head[8:12] in (b"ILBM", b"PBM "):
        return "iff"
    if len(head) > 2 and head[0:1] == b"P" and head[1:2] in b"1234567fF" and head[2:3] in b" \t\r\n":
        return "netpbm"
    if len(head) > 3 and head[0] == 0x0A and head[1] in (0, 2, 3, 4, 5) and head[2] == 1:
        return "pcx"
    return None


def _ftyp_kind(head: bytes) -> str:
    """'avif', 'heic' or 'video' from the brands of an ISO-BMFF ``ftyp`` box."""
    box_size = min(int.from_bytes(head[:4], "big"), len(head))
    major = head[8:12]
    compatible = [head[i : i + 4] for i in range(16, box_size - 3, 4)]
    brands = {major, *compatible}
    if major in _AVIF_BRANDS:
        return "avif"
    if major in _HEIC_BRANDS:
        return "heic"
    if brands & _AVIF_BRANDS:
        return "avif"
    if brands & (_HEIC_BRANDS | _HEIF_BRANDS):
        return "heic"
    return "video"


def _too_large_message(pixels: int, size: tuple[int, int] | None = None) -> str:
    dims = f"{size[0]} x {size[1]} pixels, " if size else ""
    if pixels > 100 * MAX_PIXELS:  # no camera makes this: a forged or broken header
        return (
            f"This file claims to be {dims or ''}{pixels / 1e9:,.0f} gigapixels, far beyond any photo, so it "
            "is probably damaged; please export the picture again as JPEG or PNG."
        )
    return (
        f"This image is too large ({dims}{pixels / 1e6:.0f} megapixels); Diorama accepts at most "
        f"{MAX_PIXELS // 1_000_000} megapixels. Please scale it down ({WORKING_LONG_SIDE} pixels on the long "
        "side is plenty) and try again."
    )


def peak_bytes(mode: str, size: tuple[int, int], draft_mode: str = "RGB") -> int:
    """Estimated peak bytes of decoding an image and reading it as a photo or a depth map.

    Parameters
    ----------
    mode : str
        The Pillow mode it decodes to.
    size : (int, int)
        (width, height) as decoded (after any JPEG draft scaling).
    draft_mode : {"RGB", "L"}, optional
        "RGB" for a photo (:func:`load_photo`), "L" for a depth map (:func:`diorama.depthmap.load_depth_map`).

    Returns
    -------
    int

    Examples
    --------
    >>> peak_bytes("F", (10_000, 10_000)) > MEMORY_BUDGET  # a 690 KB float TIFF can claim this
    True
    >>> peak_bytes("RGB", (4000, 3000)) < MEMORY_BUDGET
    True
    """
    width, height = size
    table = _PEAK_BYTES_PER_PIXEL[draft_mode]
    per_pixel = table.get(mode) or table["I;16" if mode.startswith("I;16") else "RGBA"]
    return width * height * per_pixel + height * _BYTES_PER_ROW + width * _BYTES_PER_COLUMN


def _over_budget_message(mode: str, size: tuple[int, int], need: int) -> str:
    return (
        f"This image is too large to process here ({size[0]} x {size[1]} pixels of {_MODE_WORDS.get(mode, 'image')} "
        f"data would need about {need / 2**20:,.0f} MB; Diorama allows itself {MEMORY_BUDGET // 2**20} MB per "
        f"image). Please scale it down ({WORKING_LONG_SIDE} pixels on the long side is plenty) and save it as an "
        "8-bit JPEG or PNG."
    )


_MODE_WORDS = {"F": "32-bit floating-point", "I": "32-bit integer", "I;16": "16-bit", "1": "1-bit"}


def _damaged_message(kind: str | None, err: BaseException) -> str:
    name = _DISPLAY_NAMES.get(kind or "", "image")
    text = str(err).lower()
    if isinstance(err, EOFError) or "truncated" in text or "premature" in text:
        return (
            f"This {name} file is damaged or incomplete (it ends too early, perhaps cut off "
            "while downloading or copying); please download or export it again."
        )
    return (
        f"This {name} file is damaged or uses a variant Diorama can't decode; "
        "please open it in an image editor and export it again as JPEG or PNG."
    )


@contextlib.contextmanager
def _pillow_errors(kind: str | None) -> Iterator[None]:
    """Run Pillow calls with their failures mapped to DioramaError and their warnings silenced.

    Pillow *warns* about things it works around (corrupt EXIF, odd metadata) and about images over
    its own ~90-megapixel hint (DecompressionBombWarning); our own MAX_PIXELS check is the limit
    here, and the workarounds are fine, so those warnings are not shown to anyone.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            yield
        except DioramaError:
            raise
        except Image.DecompressionBombError as err:
            # Pillow refuses images over 2x its hint while opening, before we see the size;
            # its message carries the pixel count: "Image size (N pixels) exceeds limit ...".
            found = re.search(r"\((\d+) pixels\)", str(err))
            pixels = int(found.group(1)) if found else 2 * Image.MAX_IMAGE_PIXELS
            raise DioramaError(_too_large_message(pixels)) from None
        except MemoryError:
            raise DioramaError(
                "There is not enough memory to decode this image; "
                f"please try a smaller one ({WORKING_LONG_SIDE} pixels on the long side is plenty)."
            ) from None
        except _PILLOW_DECODE_ERRORS as err:  # UnidentifiedImageError is an OSError
            if kind is None:  # no signature we know, so not "a damaged X" but not an image at all
                raise DioramaError(_NOT_AN_IMAGE) from None
            raise DioramaError(_damaged_message(kind, err)) from err


def open_image(data: bytes) -> Image.Image:
    """Identify an image file and read its header, refusing anything the pipeline can't use.

    No pixel is decoded: the returned image is lazy, so callers can still ``draft()`` it.

    Parameters
    ----------
    data : bytes
        The whole file.

    Returns
    -------
    image : PIL.Image.Image
        Opened, not loaded; ``image.format`` is one of JPEG, PNG, WEBP, GIF, BMP, TIFF (or MPO,
        Pillow's name for a multi-picture JPEG) and ``image.width * image.height <= MAX_PIXELS``.

    Raises
    ------
    DioramaError
        Empty file, a format Diorama does not read (HEIC, AVIF, SVG, text...), damaged header,
        or more than :data:`MAX_PIXELS` pixels.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}; pass the file's contents")
    if len(data) == 0:
        raise DioramaError("This file is empty (0 bytes).")
    kind = sniff_format(data)
    if kind in _FOREIGN_MESSAGES:
        raise DioramaError(_FOREIGN_MESSAGES[kind])
    if kind in _OPTIONAL_FORMATS and not pillow_reads(kind):
        raise DioramaError(_OPTIONAL_MESSAGES[kind])
    if kind == "webp" and not features.check_module("webp"):  # a Pillow built without libwebp
        raise DioramaError(
            "This copy of Diorama can't read WebP images; please export it as JPEG or PNG and try again."
        )
    with _pillow_errors(kind):
        formats = _PILLOW_FORMATS + tuple(_OPTIONAL_FORMATS[kind] for kind in _OPTIONAL_FORMATS if pillow_reads(kind))
        image = Image.open(io.BytesIO(data), formats=formats)
        width, height = image.size
    if width < 1 or height < 1:
        raise DioramaError(
            f"This image claims to be {width} x {height} pixels, so it is damaged; please export it again."
        )
    if width * height > MAX_PIXELS:
        raise DioramaError(_too_large_message(width * height, (width, height)))
    return image


def pillow_reads(kind: str) -> bool:
    """Whether this Pillow opens files of `kind` ('heic' or 'avif'): a plugin for it is registered."""
    Image.init()
    return _OPTIONAL_FORMATS[kind] in Image.OPEN


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1-8) of an opened image; 1 when absent, unreadable or out of range.

    Never decodes pixels. A PNG's ``eXIf`` chunk may follow its pixels, in which case it is only
    known once the image is loaded (:func:`decode` asks again then).
    """
    if image.format == "PNG" and "exif" not in image.info:
        return 1  # Pillow's PngImageFile.getexif() would load the pixels to look further
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            value = image.getexif().get(_EXIF_ORIENTATION, 1)
    except _PILLOW_DECODE_ERRORS:
        return 1  # broken metadata: show the pixels as stored rather than refuse the photo
    return value if isinstance(value, int) and value in _ORIENTATION_TRANSPOSE else 1


def apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    """Turn a decoded image upright, as ``ImageOps.exif_transpose`` would (same table)."""
    method = _ORIENTATION_TRANSPOSE.get(orientation)
    return image if method is None else image.transpose(method)


def decode(image: Image.Image, *, draft_mode: str, at_least: tuple[int, int]) -> tuple[Image.Image, int]:
    """Decode the pixels of an opened image, letting JPEG decode at a reduced scale.

    Parameters
    ----------
    image : PIL.Image.Image
        From :func:`open_image`, not loaded yet.
    draft_mode : str
        Passed to ``Image.draft`` (``"RGB"`` for photos, ``"L"`` to decode only a JPEG's luma).
    at_least : (int, int)
        (width, height) in the stored (not yet EXIF-turned) frame: the JPEG's DCT scaling
        (1/2, 1/4, 1/8) is chosen so that the decoded image is still at least this large.

    Returns
    -------
    image : PIL.Image.Image
        The same image, loaded, still as stored (possibly smaller, and for ``draft_mode="L"``
        grey, if it is a JPEG).
    orientation : int
        Its EXIF orientation, for :func:`apply_orientation`.

    Raises
    ------
    DioramaError
        Truncated or corrupt pixel data, or more than :data:`MEMORY_BUDGET` needed (:func:`peak_bytes`).
    """
    with _pillow_errors(_format_kind(image)):
        if at_least[0] < image.width and at_least[1] < image.height:
            image.draft(draft_mode, at_least)  # a no-op for formats other than JPEG
        need = peak_bytes(image.mode, image.size, draft_mode)
        if need > MEMORY_BUDGET:
            raise DioramaError(_over_budget_message(image.mode, image.size, need))
        image.load()
    # Read after loading: a PNG's eXIf chunk may follow the pixels, and Pillow's TIFF loader turns
    # the image upright itself and drops the tag (so the orientation left to apply is then 1).
    return image, exif_orientation(image)


def _format_kind(image: Image.Image) -> str | None:
    return {"MPO": "jpeg", "HEIF": "heic"}.get(image.format or "", (image.format or "").lower() or None)


def _convert(image: Image.Image, mode: str) -> Image.Image:
    """Pillow's ``image.convert(mode)``; a mode Pillow can't convert is refused in plain words."""
    try:
        return image.convert(mode)
    except (ValueError, OSError) as err:
        raise DioramaError(
            f"This image uses a colour mode ({image.mode}) Diorama can't convert; "
            "please export it again as an ordinary RGB JPEG or PNG."
        ) from err


def luma(image: Image.Image) -> Image.Image:
    """An 8-bit image's brightness as mode L: Pillow's ``convert("L")`` (ITU-R 601-2 luma), or the lightness
    band of LAB and the value band of HSV, which Pillow can't convert.

    Raises
    ------
    DioramaError
        A mode nothing here can read brightness from.
    """
    if image.mode == "LAB":
        return image.getchannel("L")
    if image.mode == "HSV":
        return image.getchannel("V")
    return _convert(image, "L")


def grey_to_unit(image: Image.Image) -> np.ndarray:
    """Luminance of a decoded image as (H, W) float32 in [0, 1], scaled by range, never clipped.

    Parameters
    ----------
    image : PIL.Image.Image
        Any mode, loaded.

    Returns
    -------
    unit : (H, W) ndarray of float32
        In [0, 1]; 1 is white.

    Notes
    -----
    - ``I;16*``: ``v / 65535``, so 16-bit precision is kept.
    - ``I`` (Pillow's 32-bit integers, also what Pillow 10 opens 16-bit PNGs as): ``v / 65535``
      when all values are in [0, 65535], else ``(v - min) / (max - min)``.
    - ``F``: kept when all finite values are in [0, 1], else ``(v - min) / (max - min)`` over the
      finite values; NaN becomes 0, +inf 1, -inf 0.
    - A constant ``I`` or ``F`` image outside that range has no range to scale by: it is clipped
      to [0, 1].
    - Any other mode: :func:`luma` (ITU-R 601-2 luma ``0.299 R + 0.587 G + 0.114 B``,
      alpha ignored), divided by 255.
    """
    if image.mode not in _HIGH_BIT_DEPTH_MODES:
        return np.asarray(luma(image), dtype=np.float32) / np.float32(255)
    values = np.asarray(image)
    if image.mode != "F":  # integers: uint16 or int32
        lo, hi = int(values.min()), int(values.max())
        if image.mode.startswith("I;16") or (lo >= 0 and hi <= 65535):
            return values.astype(np.float32) / np.float32(65535)
        if hi == lo:
            return np.clip(values, 0, 1).astype(np.float32)
        return (values.astype(np.float32) - np.float32(lo)) / np.float32(hi - lo)
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(values.shape, dtype=np.float32)
    lo = float(values.min(where=finite, initial=np.inf))
    hi = float(values.max(where=finite, initial=-np.inf))
    del finite
    # One float32 array, worked in place (a 100 MP float image must not take several copies).
    unit = values.astype(np.float32, copy=True)
    if not ((lo >= 0 and hi <= 1) or hi == lo):
        # (v - lo) / (hi - lo) as v / span - lo / span: hi - lo itself may overflow float32
        span = hi - lo
        np.multiply(unit, np.float32(1 / span), out=unit)
        np.subtract(unit, np.float32(lo / span), out=unit)
    np.clip(unit, 0, 1, out=unit)
    return np.nan_to_num(unit, copy=False, nan=0.0)


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(width, height) scaled down so that the long side is at most `long_side`; never up."""
    width, height = size
    scale = long_side / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resizable(image: Image.Image) -> Image.Image:
    """The image in a mode that resizes well and loses nothing: L, LA, RGB, RGBA or F (0-255)."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if mode in _HIGH_BIT_DEPTH_MODES:
        return Image.fromarray(grey_to_unit(image) * np.float32(255))  # mode F
    if mode == "1":
        return image.convert("L")
    target = "RGB"  # P, CMYK (Pillow's conversion), YCbCr, LAB, HSV, RGBX
    if mode in ("La", "PA", "RGBa") or (mode == "P" and "transparency" in image.info):
        target = "LA" if mode == "La" else "RGBA"
    return _convert(image, target)


def _to_rgb(image: Image.Image) -> np.ndarray:
    """(H, W, 3) uint8 from an image in one of the modes `_resizable` returns."""
    if image.mode == "F":
        grey = np.rint(np.clip(np.asarray(image), 0, 255)).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if image.mode in ("LA", "RGBA"):
        # Transparent areas become white, not black: cut-outs, logos and screenshots are drawn to be
        # seen on a light page, and black would swallow their dark outlines and text.
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image.convert("RGBA"))
    return np.array(image.convert("RGB"), dtype=np.uint8)


def check_long_side(long_side) -> int:
    """`long_side` as a working size, or a ValueError: a positive integer (pixels on the long side)."""
    if isinstance(long_side, bool) or not isinstance(long_side, (int, np.integer)) or long_side < 1:
        raise ValueError(f"long_side must be a positive integer, got {long_side!r}; the default is {WORKING_LONG_SIDE}")
    return int(long_side)


def load_photo(data: bytes, *, long_side: int = WORKING_LONG_SIDE) -> np.ndarray:
    """Decode a photo file, upright and at most `long_side` pixels on its long side.

    Parameters
    ----------
    data : bytes
        A JPEG, PNG, WebP, GIF (first frame), BMP or TIFF (first page) file.
    long_side : int, optional
        Largest width or height of the result; larger photos are scaled down, smaller ones are
        never scaled up.

    Returns
    -------
    rgb : (H, W, 3) ndarray of uint8
        C-contiguous, ``max(H, W) <= long_side``; for photos larger than that, the long side is
        `long_side`, or for JPEGs at least ``DRAFT_SLACK * long_side`` (see Notes).

    Raises
    ------
    DioramaError
        For any file that can't be used; the message says why in plain words. Nothing else is
        raised for bad bytes.

    Notes
    -----
    - The size is checked from the header against :data:`MAX_PIXELS` before any pixel is
      decoded. JPEGs are decoded by libjpeg at 1/2, 1/4 or 1/8 scale when that still gives at
      least :data:`DRAFT_SLACK` (90 %) of the working long side, and are then kept at that size;
      the rest of the way, and for other formats, is area averaging (``BOX``).
    - EXIF orientation is applied (same table as ``ImageOps.exif_transpose``), after scaling.
    - Modes: transparency is composited over white; 16-bit and float images are scaled by their
      range (see :func:`grey_to_unit`), not clipped; CMYK and YCbCr use Pillow's conversion.
    - Truncated files are refused, not shown half grey: a 3D photo of half a picture is not
      what anyone wants, and "download it again" is the fix.
    - Images of any size down to 1 x 1 are accepted (they are never scaled up); a tiny image
      simply gives a blurry 3D photo.

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (4000, 3000), "teal").save(buf, "JPEG")
    >>> load_photo(buf.getvalue()).shape  # decoded at 1/2 scale, within 10 % of 2048
    (1500, 2000, 3)
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (4000, 3000), "teal").save(buf, "PNG")
    >>> load_photo(buf.getvalue()).shape
    (1536, 2048, 3)
    """
    check_long_side(long_side)
    image = open_image(data)
    # The long side of the result; it is the same whichever way the image turns out to be stored
    # (Pillow's TIFF loader turns images upright itself, so the loaded size may be the transpose).
    long = min(int(long_side), max(image.size))
    # JPEG's DCT scaling (1/2, 1/4, 1/8) decodes several times faster than a full decode and a
    # resize; it is worth a photo slightly under the working size (4000x3000 -> 2000x1500 rather
    # than 2048x1536: 0.15 s instead of 0.5 s in CPython, twice both in Pyodide).
    at_least = _fit(image.size, math.ceil(long * DRAFT_SLACK))
    with refuse_when_out_of_memory():
        image, orientation = decode(image, draft_mode="RGB", at_least=at_least)
        target = _fit(image.size, long)
        image = _resizable(image)
        if image.size != target:
            # Area averaging (BOX) is the antialiased way to shrink and about 4x faster than Lanczos,
            # which cost 0.7 s for 12 MP -> 2048 px in CPython and several times that in Pyodide.
            image = image.resize(target, Image.Resampling.BOX)
        return _to_rgb(apply_orientation(image, orientation))


def heif_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of the largest image a HEIF/AVIF file declares, from its header alone.

    Reads the ``ispe`` (image spatial extents) properties of the file's ``meta`` box
    (ISO/IEC 23008-12): every coded image item has one, the primary image (or its grid) is the largest,
    so this bounds what decoding it takes before a decoder sees the file.

    Parameters
    ----------
    data : bytes
        The whole file (or at least its ``ftyp`` and ``meta`` boxes).

    Returns
    -------
    (int, int) or None
        As stored (before any ``irot`` rotation); None when no ``ispe`` is found.

    Examples
    --------
    >>> def box(kind, body, full=False):
    ...     body = (bytes(4) if full else b"") + body
    ...     return struct.pack(">I", 8 + len(body)) + kind + body
    >>> ispe = box(b"ispe", struct.pack(">II", 4032, 3024), full=True)
    >>> heif_size(box(b"ftyp", b"heic" + bytes(4)) + box(b"meta", box(b"iprp", box(b"ipco", ispe)), full=True))
    (4032, 3024)
    """
    found: list[tuple[int, int]] = []

    def walk(start: int, end: int, depth: int) -> None:
        while start + 8 <= end and depth < 8:
            size, kind = struct.unpack(">I4s", data[start : start + 8])
            header = 8
            if size == 1 and start + 16 <= end:
                size, header = int.from_bytes(data[start + 8 : start + 16], "big"), 16
            elif size == 0:
                size = end - start
            if size < header or start + size > end:
                return  # a broken box: what came before it still counts
            body = start + header
            if kind == b"meta":
                walk(body + 4, start + size, depth + 1)  # a full box: version and flags first
            elif kind in (b"iprp", b"ipco"):
                walk(body, start + size, depth + 1)
            elif kind == b"ispe" and size >= header + 12:
                found.append(struct.unpack(">II", data[body + 4 : body + 12]))
            start += size

    data = bytes(data[: 16 * 2**20])  # meta comes first in every HEIC and AVIF file seen; pixels follow
    walk(0, len(data), 0)
    return max(found, key=lambda wh: wh[0] * wh[1]) if found else None


def browser_format(data: bytes) -> str | None:
    """The format of a file that this Pillow can't decode but a browser can: the worker decodes it.

    Parameters
    ----------
    data : bytes
        The whole file.

    Returns
    -------
    kind : {"heic", "avif"} or None
        ``"heic"`` (HEIC/HEIF: the browser app decodes it with libheif-js) or ``"avif"`` (the browser's own
        decoder) when Pillow here does not read that format; None for every other file, including
        HEIC/AVIF that this Pillow reads (CPython with pillow-heif or an AVIF-enabled Pillow), which
        :func:`load_photo` then decodes itself.

    Raises
    ------
    DioramaError
        The header declares more than :data:`MAX_PIXELS` pixels (checked before anything decodes it).
    """
    kind = sniff_format(data)
    if kind not in _OPTIONAL_FORMATS or pillow_reads(kind):
        return None
    size = heif_size(data)
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise DioramaError(_too_large_message(size[0] * size[1], size))
    return kind


def photo_from_pixels(rgba: np.ndarray, *, long_side: int = WORKING_LONG_SIDE) -> np.ndarray:
    """The pipeline's photo from pixels decoded elsewhere (the browser's AVIF decoder, libheif-js).

    The counterpart of :func:`load_photo` for pixels that are already decoded and upright: the same
    working size (area averaging, never scaled up) and transparency over white.

    Parameters
    ----------
    rgba : (H, W, 4) ndarray of uint8
        Upright, straight (not premultiplied) alpha, as ``ImageData`` holds it.
    long_side : int, optional
        Largest width or height of the result.

    Returns
    -------
    rgb : (h, w, 3) ndarray of uint8
        C-contiguous, ``max(h, w) <= long_side``.

    Raises
    ------
    DioramaError
        More than :data:`MAX_PIXELS` pixels.

    Examples
    --------
    >>> rgba = np.zeros((3000, 4000, 4), np.uint8)  # transparent black
    >>> rgb = photo_from_pixels(rgba)
    >>> rgb.shape, int(rgb.min())
    ((1536, 2048, 3), 255)
    """
    check_long_side(long_side)
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"rgba must be an (H, W, 4) uint8 array, got {rgba.shape} {rgba.dtype}")
    height, width = rgba.shape[:2]
    if width < 1 or height < 1:
        raise DioramaError(f"This image is {width} x {height} pixels, so it is damaged; please export it again.")
    if width * height > MAX_PIXELS:
        raise DioramaError(_too_large_message(width * height, (width, height)))
    with refuse_when_out_of_memory():
        image = Image.fromarray(np.ascontiguousarray(rgba))  # (H, W, 4) uint8: RGBA
        if bool((rgba[..., 3] == 255).all()):
            image = image.convert("RGB")
        target = _fit(image.size, min(int(long_side), max(image.size)))
        if image.size != target:
            image = image.resize(target, Image.Resampling.BOX)
        return _to_rgb(image)


def is_depth_like(data: bytes) -> bool:
    """Whether an image file is single-channel (grey, 16-bit or float), like most depth maps.

    Reads the header only; used to tell the depth map from the photo among two dropped files
    when their names don't say.

    Parameters
    ----------
    data : bytes
        The whole file.

    Returns
    -------
    bool
        True for modes L, LA, I;16*, I and F (a grey JPEG or PNG, a 16-bit PNG, a float TIFF).
        Colour files whose three channels happen to be equal are reported False.

    Raises
    ------
    DioramaError
        As :func:`open_image`.
    """
    return open_image(data).mode in _SINGLE_CHANNEL_MODES
