"""The one error type the pipeline raises for bad input, and the guard that turns running out of memory into it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .options import WORKING_LONG_SIDE


class DioramaError(ValueError):
    """Input the pipeline cannot use; ``str(err)`` is a plain-words message for people.

    Every refusal of user input (unreadable file, unsupported format, image too
    large, mismatched depth map) raises this type, so callers on both hosts can
    show the message and carry on.
    """


TOO_LARGE_TO_PROCESS = (
    "This image is too large to process here: this device ran out of memory for it. "
    f"Please scale it down ({WORKING_LONG_SIDE} pixels on the long side is plenty) and open that."
)


@contextlib.contextmanager
def refuse_when_out_of_memory() -> Iterator[None]:
    """Turn a ``MemoryError`` inside the block into a :class:`DioramaError` saying the image is too large.

    The memory budget (:data:`diorama.photo.MEMORY_BUDGET`) refuses oversized images from their header
    already; this catches what no header tells (a device with less memory than the budget assumes).

    Examples
    --------
    >>> with refuse_when_out_of_memory():
    ...     raise MemoryError
    Traceback (most recent call last):
    diorama.errors.DioramaError: This image is too large to process here: ...
    """
    try:
        yield
    except MemoryError:
        raise DioramaError(TOO_LARGE_TO_PROCESS) from None
