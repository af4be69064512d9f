"""Depth payloads: the image files readers find decoded, and their stored values turned into 1 = near."""

from __future__ import annotations

import math

import numpy as np

from ..depthmap import _reduce_towards
from ..inpaint import push_pull
from ..photo import decode, grey_to_unit, open_image
from .registry import Unusable


def decode_grey(payload: bytes, long_side: int) -> np.ndarray:
    """A depth image file as (h, w) float32 in [0, 1] (1 = white), in its stored frame.

    Decoded through :mod:`diorama.photo` (formats, size and memory limits); at least `long_side` long
    where it is larger, by JPEG DCT scaling and integer box reduction.
    """
    image = open_image(payload)
    scale = min(1.0, long_side / max(image.size))
    at_least = (max(1, math.ceil(image.width * scale)), max(1, math.ceil(image.height * scale)))
    image, _ = decode(image, draft_mode="L", at_least=at_least)  # its own orientation: the photo's is used
    return grey_to_unit(_reduce_towards(image, at_least))


def from_range(unit: np.ndarray, form: str, near: float, far: float) -> np.ndarray:
    """Stored values in [0, 1] of a RangeInverse or RangeLinear depth map -> 1 = near."""
    if form == "RangeInverse":
        return 1 - unit
    if form != "RangeLinear":
        raise Unusable(f"its format {form!r} is neither RangeInverse nor RangeLinear")
    return inverse_depth(near + unit * (far - near))


def inverse_depth(distance: np.ndarray) -> np.ndarray:
    """Distances -> 1/d scaled to [0, 1] over the map's range; d <= 0 (unmeasured) filled from around."""
    measured = distance > 0
    if not measured.any():
        raise Unusable("it holds no measured depth")
    inverse = np.where(measured, 1 / np.where(measured, distance, 1), 0).astype(np.float32)
    lo, hi = float(inverse[measured].min()), float(inverse[measured].max())
    unit = (inverse - lo) / (hi - lo) if hi > lo else np.full_like(inverse, 0.5)
    if not measured.all():
        unit = push_pull(unit, measured)
    return np.clip(unit, 0, 1).astype(np.float32)
