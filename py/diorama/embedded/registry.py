"""The one registry of embedded-depth readers, what they find, and the notes that say why found depth is refused.

Each vendor's module registers its reader once, with :func:`reader`; :data:`READERS` lists them in the order
:func:`~diorama.embedded.find_embedded_depth` tries them, and :data:`~diorama.embedded.FORMATS` is made from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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
        A key of :data:`~diorama.embedded.FORMATS` (the :attr:`Reader.format` that found it), e.g. ``'apple'``.
    label : str
        Words for people, e.g. ``"iPhone portrait"``.
    """

    depth: np.ndarray
    format: str
    label: str


class Unusable(Exception):
    """Depth is there but can't be used; ``str(err)`` says why, in words for people."""


@dataclass(frozen=True)
class Reader:
    """A reader of one format of depth in JPEG files.

    Attributes
    ----------
    format : str
        Its name, e.g. ``'gdepth'``: :attr:`EmbeddedDepth.format`.
    label : str
        Words for people, e.g. ``"Google Lens Blur"``: :attr:`EmbeddedDepth.label`.
    rank : int
        Its place in the order the readers are tried (lowest first): the first format found is used.
    read : callable
        ``read(data, segments, xmp, long_side)``, the whole file, its marker segments
        (:func:`~diorama.embedded.jpeg.segments`), its XMP (:class:`~diorama.embedded.xmp.XmpTrees`) and the
        working long side (:func:`~diorama.embedded.payload.decode_grey`) -> depth in [0, 1], 1 = near, in the
        photo's *stored* frame; None when the file does not carry this format; raises :class:`Unusable` (or
        :class:`~diorama.errors.DioramaError` from the payload's decoder) when it carries it damaged.
    """

    format: str
    label: str
    rank: int
    read: Callable


READERS: list[Reader] = []
"""Every registered reader, in the order they are tried (by :attr:`Reader.rank`)."""


def reader(fmt: str, label: str, *, rank: int):
    """Register the decorated function as the reader of format `fmt` (:class:`Reader`); once per format."""

    def register(read: Callable) -> Callable:
        if any(known.format == fmt or known.rank == rank for known in READERS):
            raise ValueError(f"a reader of {fmt!r} or of rank {rank} is registered already")
        READERS.append(Reader(fmt, label, rank, read))
        READERS.sort(key=lambda known: known.rank)
        return read

    return register


def damaged(label: str, why: str) -> str:
    """The note for depth of format `label` that is there but can't be used, `why` in words for people."""
    return f"The depth map inside this photo ({label}) is damaged ({why}), so Diorama estimates depth instead."


def decoder_says(err: Exception) -> str:
    """A decoder's error (a :class:`~diorama.errors.DioramaError`'s first clause) as the `why` of :func:`damaged`."""
    text = str(err).split(";")[0].rstrip(".")
    return text[:1].lower() + text[1:]


def same_aspect(shape: tuple[int, int], photo_wh: tuple[int, int]) -> bool:
    """Whether an (h, w) `shape` has the aspect ratio of a photo's (width, height) within :data:`ASPECT_TOLERANCE`.

    >>> same_aspect((300, 400), (4000, 3000)), same_aspect((400, 300), (4000, 3000))
    (True, False)
    """
    width, height = photo_wh
    return abs(math.log((shape[1] / shape[0]) / (width / height))) <= ASPECT_TOLERANCE


def other_shape(depth: np.ndarray, photo_wh: tuple[int, int], label: str) -> str | None:
    """A note when upright `depth` is not of the photo's (width, height) aspect (it belongs to another frame)."""
    if same_aspect(depth.shape, photo_wh):
        return None
    width, height = photo_wh
    return (
        f"This photo carries a depth map ({label}) of another shape ({depth.shape[1]} x {depth.shape[0]} "
        f"pixels for a {width} x {height} photo), so Diorama estimates depth instead."
    )
