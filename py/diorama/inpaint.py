"""Fast hole filling: push-pull (multiresolution normalised averaging) in vectorised NumPy.

Used to fill the background behind foreground edges (colour and depth at once, see
:mod:`diorama.layers`). Push-pull (Gortler et al., "The Lumigraph", 1996) builds a pyramid of
weighted averages of the known pixels ("pull"), then fills every unknown pixel from the coarsest
level that knows something about it, blending levels smoothly on the way back down ("push"). The
result is a smooth membrane that matches the known pixels at the hole's border -- like diffusion,
but in a fixed number of passes over the image, O(H W) whatever the hole's size.
"""

from __future__ import annotations

import numpy as np

from .filters import block_sum

__all__ = ["fill_at", "push_pull"]


def push_pull(image, known, *, work_scale: int = 1, levels: int | None = None, return_coverage: bool = False):
    """Fill the unknown pixels of `image` from the known ones.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array_like of float
        Values at unknown pixels are ignored (they may be NaN).
    known : (H, W) array_like of bool or float
        True (or a weight in (0, 1]) where `image` is known; 0 where it is to be filled.
    work_scale : int, optional
        >= 1. Compute the fill on an image shrunk by this factor (known-weighted block means),
        then enlarge it; known pixels keep their exact values either way. 2 is about 4 times
        faster and looks the same for the smooth fills push-pull makes.
    levels : int, optional
        Most pyramid levels above the (working) image: known pixels reach about ``2**levels``
        pixels into a hole, no further. Default: as many as it takes to fill every hole.
    return_coverage : bool, optional
        Also return how well each pixel is covered by known pixels within that reach.

    Returns
    -------
    filled : ndarray of float32, shape of `image`
        `image` where ``known`` is 1, the fill where it is 0, a blend in between. With no known
        pixel at all the fill is 0.
    coverage : (H, W) ndarray of float32, only with `return_coverage`
        1 at known pixels and where the fill is made of known pixels, falling to 0 beyond the reach
        of `levels` (there the fill is not to be trusted).

    Examples
    --------
    >>> img = np.array([[1.0, 0.0, 0.0, 3.0]])
    >>> push_pull(img, img > 0).round(2).tolist()
    [[1.0, 1.5, 2.5, 3.0]]
    """
    a = np.asarray(image, dtype=np.float32)
    w = np.asarray(known, dtype=np.float32)
    if w.shape != a.shape[:2] or a.ndim not in (2, 3):
        raise ValueError(f"known must be (H, W) matching image {a.shape}, got {w.shape}")
    if a.size == 0:
        raise ValueError("image is empty")
    work_scale = int(work_scale)
    if work_scale < 1:
        raise ValueError(f"work_scale must be >= 1, got {work_scale}")
    w = np.clip(np.nan_to_num(w), 0, 1)
    flat = a.ndim == 2
    x = a[..., None] if flat else a
    x = np.where(w[..., None] > 0, x, np.float32(0))  # unknown values may be anything, even NaN
    if levels is not None and work_scale > 1:
        levels = max(0, int(levels) - int(np.log2(work_scale)))
    if work_scale == 1:
        fill, cover = _push_pull(x, w, levels)
    else:
        small_x, small_w = _shrink_weighted(x, w, work_scale)
        fill, cover = _push_pull(small_x, small_w, levels)
        fill = _enlarge(fill, x.shape[:2], work_scale)
        cover = _enlarge(cover[..., None], x.shape[:2], work_scale)[..., 0]
    out = x * w[..., None] + fill * (1 - w[..., None])
    out = out[..., 0] if flat else out
    if return_coverage:
        return out, np.maximum(w, cover).astype(np.float32)
    return out


def fill_at(channels, known, targets, *, work_scale: int = 2, levels: int | None = None):
    """Push-pull fill values at some pixels only, computed at reduced resolution, with little memory.

    The same fill as ``push_pull(np.stack(channels, -1), known, work_scale=work_scale, levels=levels)``
    up to the enlargement (bilinear here), but no full-resolution float image is ever made: each
    channel is shrunk on its own (any dtype, e.g. the photo's uint8 planes), and the fill is read
    only at `targets`. For the layers of a 12 MP photo this is the difference between a few hundred
    MB of temporaries and a few tens.

    Parameters
    ----------
    channels : sequence of (H, W) array_like
        The planes to fill (e.g. R, G, B as uint8 and depth as float32); values are taken as they are.
    known : (H, W) bool array_like
        The source pixels.
    targets : (H, W) bool array_like
        Where the fill is wanted.
    work_scale : int, optional
        Resolution divisor (>= 1) of the fill.
    levels : int, optional
        Reach in pyramid levels above the full-resolution image (see :func:`push_pull`).

    Returns
    -------
    values : (N, C) ndarray of float32
        The fill at the N target pixels, in ``np.nonzero(targets)`` order.
    coverage : (N,) ndarray of float32
        Their coverage (see :func:`push_pull`).
    """
    w = np.asarray(known, dtype=np.float32)
    t = np.asarray(targets, dtype=bool)
    f = max(1, int(work_scale))
    sw = block_sum(w, f)
    hs, ws = sw.shape
    # each plane on its own (any dtype): no full-resolution float stack is ever made
    planes = [block_sum(np.asarray(plane, dtype=np.float32) * w, f) / np.maximum(sw, 1e-12) for plane in channels]
    small = np.stack(planes, axis=-1).astype(np.float32)
    if levels is not None:
        levels = max(0, int(levels) - int(np.log2(f)))
    fill, cover = _push_pull(small, np.minimum(sw, 1).astype(np.float32), levels)
    ys, xs = np.nonzero(t)
    # bilinear read at the targets' centres in the small image's pixel coordinates
    fy = np.clip((ys + 0.5) / f - 0.5, 0, hs - 1)
    fx = np.clip((xs + 0.5) / f - 0.5, 0, ws - 1)
    y0, x0 = np.floor(fy).astype(np.intp), np.floor(fx).astype(np.intp)
    y1, x1 = np.minimum(y0 + 1, hs - 1), np.minimum(x0 + 1, ws - 1)
    ay, ax = (fy - y0).astype(np.float32), (fx - x0).astype(np.float32)

    def read(a):
        top = a[y0, x0] * _col(1 - ax, a) + a[y0, x1] * _col(ax, a)
        bottom = a[y1, x0] * _col(1 - ax, a) + a[y1, x1] * _col(ax, a)
        return top * _col(1 - ay, a) + bottom * _col(ay, a)

    return read(fill).astype(np.float32), read(cover).astype(np.float32)


def _col(weights: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Weights shaped to broadcast against rows gathered from `a` ((N,) or (N, 1))."""
    return weights[:, None] if a.ndim == 3 else weights


def _shrink_weighted(x: np.ndarray, w: np.ndarray, f: int) -> tuple[np.ndarray, np.ndarray]:
    """Known-weighted mean over f x f blocks and the blocks' summed weight clamped to 1 (padding has
    weight 0): one pull step when f = 2."""
    sw = block_sum(w, f)
    mean = block_sum(x * w[..., None], f) / np.maximum(sw, 1e-12)[..., None]
    return mean.astype(np.float32), np.minimum(sw, 1).astype(np.float32)


def _up2(c: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear 2x enlargement (pixel centres aligned), cropped to `shape`."""

    def axis_up(a: np.ndarray, axis: int) -> np.ndarray:
        a = np.moveaxis(a, axis, 0)
        prev = np.concatenate([a[:1], a[:-1]])  # a[i - 1], edge clamped
        nxt = np.concatenate([a[1:], a[-1:]])  # a[i + 1], edge clamped
        out = np.empty((2 * a.shape[0],) + a.shape[1:], a.dtype)
        out[0::2] = 0.75 * a + 0.25 * prev
        out[1::2] = 0.75 * a + 0.25 * nxt
        return np.moveaxis(out, 0, axis)

    up = axis_up(axis_up(c, 0), 1)
    return up[: shape[0], : shape[1]]


def _enlarge(c: np.ndarray, shape: tuple[int, int], f: int) -> np.ndarray:
    """Enlarge by an integer factor with repeated 2x bilinear steps, then a nearest fix-up."""
    out = c
    while (
        out.shape[0] * 2 <= shape[0] + f
        and out.shape[1] * 2 <= shape[1] + f
        and (out.shape[0] < shape[0] or out.shape[1] < shape[1])
    ):
        out = _up2(out, (out.shape[0] * 2, out.shape[1] * 2))
    # a remaining non-power-of-two factor: nearest-neighbour index (the fill is smooth by now)
    rows = np.minimum((np.arange(shape[0]) * out.shape[0]) // shape[0], out.shape[0] - 1)
    cols = np.minimum((np.arange(shape[1]) * out.shape[1]) // shape[1], out.shape[1] - 1)
    return out[rows][:, cols]


def _push_pull(x: np.ndarray, w: np.ndarray, max_levels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The fill of (H, W, C) `x` with known weights `w` (H, W), and its coverage (H, W)."""
    levels = [(x, w)]
    while levels[-1][1].shape[0] > 1 or levels[-1][1].shape[1] > 1:
        cx, cw = levels[-1]
        if cw.min() >= 1:  # everything known at this level: no need to go coarser
            break
        if max_levels is not None and len(levels) > max_levels:
            break
        levels.append(_shrink_weighted(cx, cw, 2))
    # Carried premultiplied by coverage (a normalised convolution), so that blocks of the coarsest
    # level without any known pixel (when `max_levels` stops early) add nothing instead of zeros.
    mean, cover = levels[-1]
    fill = mean * cover[..., None]
    for cx, cw in reversed(levels[:-1]):
        up = _up2(fill, cw.shape)
        up_cover = _up2(cover[..., None], cw.shape)[..., 0]
        fill = cx * cw[..., None] + up * (1 - cw[..., None])
        cover = cw + up_cover * (1 - cw)
    fill = fill / np.maximum(cover, 1e-6)[..., None]
    return fill.astype(np.float32), cover.astype(np.float32)
