"""Depth from two views: census matching with semi-global aggregation, in NumPy.

Stereo photos (MPO files from 3D cameras, Apple spatial HEICs) carry a left and a right view taken side
by side; the horizontal shift of each point between them, its disparity, is larger the nearer the point.
:func:`disparity_from_views` turns a rectified pair into the pipeline's depth ((H, W) float32 in [0, 1],
1 = near) in five steps, all at a reduced working size:

1. a coarse pass at about 160 px over a symmetric range finds the disparity range, and whether the
   views came in swapped order;
2. the census transform (Zabih and Woodfill, ECCV 1994) of each view, 7x7 -> 48 bits per pixel, and a
   cost volume of Hamming distances, one uint8 per pixel and disparity;
3. semi-global matching (Hirschmueller, "Stereo Processing by Semiglobal Matching and Mutual
   Information", TPAMI 2008): the cost aggregated along 8 scanline directions with the penalties P1
   (a 1 px disparity change) and P2 (a larger jump, smaller across a photo edge);
4. winner takes all with a parabola through the three costs around the minimum (subpixel), a
   left-right consistency check, and the pixels it rejects (mostly occlusions) filled from their farther
   row neighbour, then a 3x3 median;
5. upsampled to the input size and snapped to the left photo's edges by :func:`diorama.refine.guided_filter`.

Memory stays bounded: the cost volume is ``h * w * levels`` bytes at the working size and the aggregate
twice that (512 x 384 x 96 levels: 19 MB + 38 MB), the levels capped at :data:`MAX_LEVELS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .errors import DioramaError
from .filters import median_filter, resize_bilinear
from .refine import guided_filter

__all__ = ["MAX_LEVELS", "StereoMatch", "census_transform", "disparity_from_views", "match_views"]

CENSUS_RADIUS = 3  # 7x7 window: 48 comparisons, one uint64 per pixel
COARSE_SIDE = 160  # long side of the pass that finds the disparity range and the order
MIN_SIDE = 24  # views smaller than this (short side, px) hold too little to match
MAX_LEVELS = 128  # most disparities searched at the working size; more shrink the working size
P1, P2 = 8, 64  # SGM penalties in Hamming units (a cost is 0..48)
# Share of pixels that must pass the left-right check for the depth to be trusted. Measured: Middlebury
# 0.83-0.92, the Panasonic 3D-lens MPO 0.77; the Nintendo 3DS MPOs, whose depth comes out a speckled grey
# field, 0.55 and 0.68.
MIN_CONSISTENT = 0.72
ORDER_MARGIN = 0.1  # evidence a swapped order needs over the given one (Middlebury: 0.2..0.5)


@dataclass(frozen=True)
class StereoMatch:
    """The result of :func:`match_views`, at the working size.

    Attributes
    ----------
    disparity : (h, w) ndarray of float32
        Disparity of the first view given, in working pixels, larger = nearer: a pixel (x, y) of a
        left view shows what the right view shows at (x - disparity, y) (at (x + disparity, y) when the
        pair came swapped); rejected pixels already filled (see `valid`).
    valid : (h, w) ndarray of bool
        Pixels that passed the left-right consistency check.
    swapped : bool
        True when the views were given right first (and were swapped back before matching).
    search : (int, int)
        The disparity range searched, in working pixels, inclusive.
    scale : float
        Working size over input size.
    """

    disparity: np.ndarray
    valid: np.ndarray
    swapped: bool
    search: tuple[int, int]
    scale: float


def census_transform(grey: np.ndarray, radius: int = CENSUS_RADIUS) -> np.ndarray:
    """Census transform: one bit per window neighbour, set where it is darker than the centre.

    Parameters
    ----------
    grey : (H, W) ndarray
    radius : int, optional
        Window radius; ``(2 radius + 1)^2 - 1`` must be at most 64 (radius <= 3).

    Returns
    -------
    (H, W) ndarray of uint64
        Borders replicated. Only the order of intensities counts, so a brightness or exposure
        difference between the views does not change it.

    Examples
    --------
    >>> g = np.array([[0, 0, 0], [0, 5, 9], [9, 9, 9]])
    >>> bin(int(census_transform(g, 1)[1, 1]))   # darker: the 4 neighbours of 0, above and left
    '0b1111'
    """
    if (2 * radius + 1) ** 2 - 1 > 64:
        raise ValueError(f"radius must be at most 3 (a 7x7 window fills 48 of 64 bits), got {radius}")
    h, w = grey.shape
    padded = np.pad(grey, radius, mode="edge")
    codes = np.zeros((h, w), np.uint64)
    bit = 0
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            if dy == radius and dx == radius:
                continue
            darker = padded[dy : dy + h, dx : dx + w] < grey
            codes |= darker.astype(np.uint64) << np.uint64(bit)
            bit += 1
    return codes


def _cost_volume(left: np.ndarray, right: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Hamming distance between left census codes and right ones `d` px to the left, d = lo..hi.

    Returns (h, w, hi - lo + 1) uint8; a right pixel outside the view is taken from the nearest column.
    """
    h, w = left.shape
    cost = np.empty((h, w, hi - lo + 1), np.uint8)
    columns = np.arange(w)
    for i, d in enumerate(range(lo, hi + 1)):
        cost[:, :, i] = np.bitwise_count(left ^ right[:, np.clip(columns - d, 0, w - 1)])
    return cost


def _penalties(grey: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """P2 per pixel for a path arriving from (y - dy, x - dx): lowered across photo edges, where depth
    jumps are likely, down to 2 P1 (Hirschmueller's intensity-adaptive P2), (h, w) uint16."""
    h, w = grey.shape
    g = grey.astype(np.float32)
    padded = np.pad(g, 1, mode="edge")
    step = np.abs(g - padded[1 - dy : 1 - dy + h, 1 - dx : 1 - dx + w])
    return np.maximum(2 * P1, P2 / (1 + step / 8)).astype(np.uint16)


def _aggregate(cost: np.ndarray, grey: np.ndarray) -> np.ndarray:
    """Sum of the SGM path costs over 8 directions, (h, w, levels) uint16.

    Each path runs row by row (or column by column), vectorised across the row: the diagonals are the
    vertical passes with the previous row shifted by one column. Path costs stay below
    ``48 + P2`` (the minimum of the previous step is subtracted), so 8 of them fit uint16.
    """
    h, w, n = cost.shape
    total = np.zeros((h, w, n), np.uint16)
    for axis, shifts in ((0, (-1, 0, 1)), (1, (0,))):
        c = np.moveaxis(cost, axis, 0)  # (steps, across, levels)
        t = np.moveaxis(total, axis, 0)
        for reverse in (False, True):
            for shift in shifts:
                dy, dx = (1 if not reverse else -1), shift
                p2 = np.moveaxis(_penalties(grey, dy, dx) if axis == 0 else _penalties(grey, dx, dy), axis, 0)
                _path(c, t, p2, reverse, shift)
    return total


def _path(cost: np.ndarray, total: np.ndarray, p2: np.ndarray, reverse: bool, shift: int) -> None:
    """One SGM direction along axis 0 of (steps, across, levels) `cost`, added into `total`."""
    steps, across, n = cost.shape
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    prev = np.zeros((across, n), np.uint16)
    before = np.empty_like(prev)
    best = np.empty_like(prev)
    for i in order:
        # the previous pixel on a diagonal path is one column over; a path entering at the border starts fresh
        if shift == 0:
            before[:] = prev
        elif shift > 0:
            before[shift:] = prev[:-shift]
            before[:shift] = 0
        else:
            before[:shift] = prev[-shift:]
            before[shift:] = 0
        low = before.min(axis=1, keepdims=True)
        np.minimum(before, low + p2[i][:, None], out=best)
        np.minimum(best[:, 1:], before[:, :-1] + P1, out=best[:, 1:])
        np.minimum(best[:, :-1], before[:, 1:] + P1, out=best[:, :-1])
        best -= low
        best += cost[i]
        total[i] += best
        prev, best = best, prev


def _winner(total: np.ndarray) -> np.ndarray:
    """Index of the least aggregated cost per pixel, refined by a parabola through its neighbours, (h, w) float32."""
    n = total.shape[2]
    index = np.argmin(total, axis=2)
    inner = np.clip(index, 1, max(n - 2, 1))
    if n < 3:
        return index.astype(np.float32)
    take = lambda k: np.take_along_axis(total, k[..., None], axis=2)[..., 0].astype(np.float32)  # noqa: E731
    before, at, after = take(inner - 1), take(inner), take(inner + 1)
    curve = before - 2 * at + after
    offset = np.where(curve > 0, (before - after) / (2 * np.maximum(curve, 1e-6)), 0)
    at_end = (index == 0) | (index == n - 1)
    return np.where(at_end, index, inner + np.clip(offset, -0.5, 0.5)).astype(np.float32)


def _right_winner(total: np.ndarray, lo: int) -> np.ndarray:
    """Disparity index of the right view from the same aggregate: a right pixel x at disparity d is the
    left pixel x + d, (h, w) int; right pixels no left pixel reaches get -1."""
    h, w, n = total.shape
    columns = np.arange(w)
    best = np.full((h, w), np.iinfo(np.uint16).max + 1, np.int32)
    index = np.full((h, w), -1, np.int32)
    for i in range(n):
        source = columns + lo + i
        inside = (source >= 0) & (source < w)
        value = np.full((h, w), np.iinfo(np.uint16).max + 1, np.int32)
        value[:, inside] = total[:, source[inside], i]
        better = value < best
        best[better] = value[better]
        index[better] = i
    return index


def _fill_from_far_side(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Unknown pixels of each row take the smaller (farther) of the nearest known values left and right of
    them: occlusions are background. Rows with nothing known take the smallest known value."""
    h, w = values.shape
    cols = np.broadcast_to(np.arange(w), (h, w))
    last = np.maximum.accumulate(np.where(known, cols, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(known, cols, w)[:, ::-1], axis=1)[:, ::-1]
    rows = np.arange(h)[:, None]
    from_left = np.where(last >= 0, values[rows, np.clip(last, 0, w - 1)], np.inf)
    from_right = np.where(nxt < w, values[rows, np.clip(nxt, 0, w - 1)], np.inf)
    filled = np.where(known, values, np.minimum(from_left, from_right))
    return np.where(np.isfinite(filled), filled, values[known].min()).astype(np.float32)


def _match(left: np.ndarray, right: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """SGM disparity of the left view over lo..hi at the views' size: (disparity, left-right consistent)."""
    total = _aggregate(_cost_volume(census_transform(left), census_transform(right), lo, hi), left)
    index = _winner(total)
    right_index = _right_winner(total, lo)
    del total
    h, w = left.shape
    disparity = index + lo
    columns = np.arange(w)
    target = np.rint(columns - disparity).astype(np.int64)  # where each left pixel lands in the right view
    # a pixel for which most of the search lands outside the right view tends to match a wrong pixel inside
    # it (on a pair shifted by 100 px, a band of nearly that by the border): left to the fill instead
    middle = np.rint(columns - (lo + hi) / 2)
    inside = (target >= 0) & (target < w) & (middle >= 0) & (middle < w)
    back = np.take_along_axis(right_index, np.clip(target, 0, w - 1), axis=1)
    valid = inside & (back >= 0) & (np.abs(index - back) <= 1)
    return disparity, valid


def _order_evidence(grey: np.ndarray, disparity: np.ndarray, valid: np.ndarray) -> float:
    """How well the pixels the left-right check rejects fit the left view's occlusions, in [-1, 1].

    The left camera sees a strip of background just left of every near object that the right camera
    does not: a rejected run whose disparity rises from its left neighbour to its right one. That
    strip is background, so the photo's edge (the object's outline) lies at its right end. Matched in
    the wrong order, the rejected strips lie on the other side of near objects and the photo's edge at
    their left end. Returns (edge strength at right ends - at left ends) / (their sum) over such runs.
    """
    h, w = grey.shape
    step = np.zeros((h, w + 1), np.float32)  # step[:, x]: the photo's change between columns x - 1 and x
    step[:, 1:w] = np.abs(np.diff(grey.astype(np.float32), axis=1))
    edge = step.copy()  # within a pixel either way: the check's runs are that exact
    edge[:, 1:] = np.maximum(edge[:, 1:], step[:, :-1])
    edge[:, :-1] = np.maximum(edge[:, :-1], step[:, 1:])
    flat = np.pad(valid, ((0, 0), (1, 1)), constant_values=True).ravel()  # rows padded, so runs never wrap
    starts = np.flatnonzero(flat[:-1] & ~flat[1:]) + 1
    ends = np.flatnonzero(~flat[:-1] & flat[1:])
    row, first, last = starts // (w + 2), starts % (w + 2) - 1, ends % (w + 2) - 1
    inner = (first >= 1) & (last <= w - 2)
    row, first, last = row[inner], first[inner], last[inner]
    rising = disparity[row, last + 1] - disparity[row, first - 1] >= 1
    near_end, far_end = edge[row[rising], last[rising] + 1].sum(), edge[row[rising], first[rising]].sum()
    return float((near_end - far_end) / max(near_end + far_end, 1e-6))


def _vertical_offset(left: np.ndarray, right: np.ndarray) -> int:
    """Rows by which the right view's content sits below the left's, by phase correlation (Kuglin and
    Hines, 1975): stereo cameras are rarely aligned to the pixel, and census matching along rows fails
    when the views are off by even 2 rows. 0 when the peak says more than an eighth of the height."""
    h, w = left.shape
    window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    a = np.fft.rfft2((left - np.float32(left.mean())) * window)
    b = np.fft.rfft2((right - np.float32(right.mean())) * window)
    cross = b * np.conj(a)
    correlation = np.fft.irfft2(cross / (np.abs(cross) + 1e-9), s=(h, w))
    rows = int(np.unravel_index(np.argmax(correlation), correlation.shape)[0])
    rows = rows - h if rows > h // 2 else rows
    return rows if abs(rows) <= h // 8 else 0


def _shift_rows(grey: np.ndarray, rows: int) -> np.ndarray:
    """`grey` with its content moved up by `rows` rows (down when negative), borders replicated."""
    h = grey.shape[0]
    return grey[np.clip(np.arange(h) + rows, 0, h - 1)] if rows else grey


def _check_views(left, right) -> tuple[np.ndarray, np.ndarray]:
    views = []
    for name, view in (("left", left), ("right", right)):
        view = np.asarray(view)
        if view.ndim != 3 or view.shape[2] != 3:
            raise ValueError(f"the {name} view must be an (H, W, 3) RGB array, got shape {view.shape}")
        if view.dtype != np.uint8:
            raise TypeError(f"the {name} view must be uint8, got {view.dtype}; pass the decoded photo")
        views.append(view)
    left, right = views
    if left.shape != right.shape:
        raise DioramaError(
            f"The two views of this stereo photo differ in size ({left.shape[1]}x{left.shape[0]} "
            f"and {right.shape[1]}x{right.shape[0]}), so they cannot be matched for depth."
        )
    if min(left.shape[:2]) < MIN_SIDE:
        raise DioramaError(
            f"The views of this stereo photo are too small to match for depth "
            f"({left.shape[1]}x{left.shape[0]}; at least {MIN_SIDE} pixels a side are needed)."
        )
    return left, right


def _size_for(shape: tuple[int, int], long_side: float) -> tuple[tuple[int, int], float]:
    """(w, h) of an (H, W) view shrunk so its long side is at most `long_side`, and the scale."""
    h, w = shape
    scale = min(1.0, long_side / max(h, w))
    return (max(1, round(w * scale)), max(1, round(h * scale))), scale


def _greys(
    left: np.ndarray, right: np.ndarray, size: tuple[int, int], rise: float, mirror: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(h, w) uint8 luma of both views at (w, h) = `size` (area-averaged), the right one moved up by
    `rise` input rows, both mirrored left to right when `mirror`."""
    greys = []
    for view in (left, right):
        image = Image.fromarray(view, "RGB").convert("L")
        greys.append(np.asarray(image if image.size == size else image.resize(size, Image.Resampling.BOX)))
    greys[1] = _shift_rows(greys[1], round(rise * size[1] / left.shape[0]))
    return tuple(g[:, ::-1] for g in greys) if mirror else tuple(greys)


def match_views(left, right, *, max_disparity: float | None = None, long_side: int = 512) -> StereoMatch:
    """Disparity of the first view of a rectified stereo pair, at the working size.

    Parameters
    ----------
    left, right : (H, W, 3) ndarray of uint8
        The two views, left camera first; the order is checked (see Notes).
    max_disparity : float, optional
        Largest disparity, in input pixels, that the coarse pass looks for, either way; default a
        quarter of the width.
    long_side : int, optional
        Working size: the views are matched with their long side shrunk to this (never enlarged), or
        further when the disparity range would need more than :data:`MAX_LEVELS` levels.

    Returns
    -------
    StereoMatch
        Always for `left`, the first view given, larger = nearer, also when the pair was swapped.

    Raises
    ------
    DioramaError
        Views of different sizes, too small (under 24 px a side), identical, flat, or that do not
        match each other (no texture, not a stereo pair).

    Notes
    -----
    **Alignment.** The right view is first moved by the one vertical offset that best aligns the two
    (phase correlation); further rectification is not attempted.

    **Order.** A disparity sign alone cannot tell a swapped pair: stereo cameras and files shift their
    views so that the zero of disparity lies inside the scene (far things negative; the Panasonic MPO
    in ``../shared`` spans -20..12 px). Occlusions can: the left view alone sees background just left
    of each near object, the right view just right of it. The coarse pass matches the views both ways,
    each as the reference, and takes the pair as swapped only when the second view's rejected pixels fit
    a left view's occlusions clearly better (by :data:`ORDER_MARGIN`, :func:`_order_evidence`) than the
    first's *and* the disparities as given lie mostly below zero (the sign a parallel pair has when
    swapped). The occlusion cue alone errs on noise-like texture, where every pixel is an edge; a
    false swap would turn the depth inside out, a missed one only keeps the given order, and stereo
    files record the left view first (CIPA DC-007 orders the views of a multi-view MPO from the left).
    So a swapped pair whose disparities centre on zero (a converged camera) is not recognised.
    `swapped` reports the decision; the disparity of a swapped pair is
    found on the pair mirrored left to right (which makes a right-first pair a left-first one) and
    mirrored back, so it still belongs to `left`.
    """
    left, right = _check_views(left, right)
    h, w = left.shape[:2]
    if max_disparity is None:
        max_disparity = w / 4
    if not (np.isfinite(max_disparity) and max_disparity > 0):
        raise ValueError(f"max_disparity must be a positive number of pixels, got {max_disparity!r}")
    size, scale = _size_for((h, w), long_side)
    grey_left, grey_right = _greys(left, right, size, 0)
    if np.array_equal(grey_left, grey_right):
        raise DioramaError("The two views of this stereo photo are the same picture: depth needs two viewpoints.")
    if grey_left.std() < 2:
        raise DioramaError("This stereo photo is too flat (no texture) to measure depth from its two views.")
    rise = _vertical_offset(grey_left, grey_right) / scale

    coarse_size, coarse_scale = _size_for((h, w), COARSE_SIDE)
    reach = max(2, int(np.ceil(max_disparity * coarse_scale)))
    coarse_left, coarse_right = _greys(left, right, coarse_size, rise)
    passes = [_match(coarse_left, coarse_right, -reach, reach), _match(coarse_right, coarse_left, -reach, reach)]
    evidence = [_order_evidence(coarse_left, *passes[0]), _order_evidence(coarse_right, *passes[1])]
    # both cues must agree: the occlusions, and a range that lies mostly below zero as given
    centre = np.percentile(passes[0][0][passes[0][1]], [1, 99]).mean() if passes[0][1].any() else 0.0
    swapped = bool(evidence[1] > evidence[0] + ORDER_MARGIN and centre < 0)
    disparity, valid = passes[swapped]
    if np.count_nonzero(valid) < 0.4 * valid.size:  # real pairs: 0.73 (3DS MPO) .. 0.95; unrelated views ~0.25
        raise DioramaError(
            "The two views of this stereo photo do not match each other (too little texture, "
            "or not a side-by-side pair), so no depth can be measured from them."
        )
    low, high = np.percentile(disparity[valid], [1, 99]) / coarse_scale  # input px
    # levels at the working size, with 2 coarse pixels of margin either side
    margin = 2 / coarse_scale
    levels = (high - low + 2 * margin) * scale
    if levels > MAX_LEVELS:
        size, scale = _size_for((h, w), max(h, w) * scale * MAX_LEVELS / levels)
    grey_left, grey_right = _greys(left, right, size, rise, swapped)
    lo, hi = int(np.floor((low - margin) * scale)), int(np.ceil((high + margin) * scale))
    disparity, valid = _match(grey_left, grey_right, lo, hi)
    if valid.mean() < MIN_CONSISTENT:
        raise DioramaError(
            "The two views of this stereo photo do not match each other well enough "
            f"({valid.mean():.0%} of the pixels agree both ways), so no depth can be measured from them."
        )
    filled = median_filter(_fill_from_far_side(disparity, valid), 1)
    if swapped:
        filled, valid = filled[:, ::-1], valid[:, ::-1]
    return StereoMatch(np.ascontiguousarray(filled), np.ascontiguousarray(valid), bool(swapped), (lo, hi), scale)


def disparity_from_views(left, right, *, max_disparity: float | None = None, long_side: int = 512) -> np.ndarray:
    """Depth of the left view of a rectified stereo pair, by stereo matching.

    Parameters
    ----------
    left, right : (H, W, 3) ndarray of uint8
        The two views, the same size, left camera first; a swapped pair is detected (see Notes of
        :func:`match_views`). The depth is always that of `left`, the first view given.
    max_disparity : float, optional
        Largest disparity in input pixels the search considers; default a quarter of the width.
    long_side : int, optional
        Working size of the matching (long side in px); the result is scaled back to (H, W).

    Returns
    -------
    depth : (H, W) ndarray of float32
        In [0, 1], 1 = near: the disparity, linear in it, from its 0.5th (0) to 99.5th (1)
        percentile, upsampled with its edges snapped onto the photo's by a guided filter.

    Raises
    ------
    DioramaError
        When the pair cannot give depth (see :func:`match_views`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> wall = rng.integers(0, 256, (64, 100, 3), dtype=np.uint8)
    >>> left, right = wall[:, :80].copy(), wall[:, 6:86].copy()      # the wall 6 px apart
    >>> left[16:48, 30:50] = right[16:48, 20:40] = 255 - wall[:32, :20]  # a box 10 px apart
    >>> depth = disparity_from_views(left, right)
    >>> round(float(np.median(depth[20:44, 34:46])), 1), round(float(np.median(depth[:, 56:])), 1)
    (1.0, 0.0)
    """
    match = match_views(left, right, max_disparity=max_disparity, long_side=long_side)
    view = np.asarray(left)
    low, high = np.percentile(match.disparity, [0.5, 99.5])
    depth = (match.disparity - low) / max(high - low, 1e-6)
    h, w = view.shape[:2]
    factor = max(h, w) / max(depth.shape)  # input px per working px: how far the edges may be off
    if depth.shape != (h, w):
        depth = resize_bilinear(depth, (h, w))
    depth = guided_filter(
        np.clip(depth, 0, 1), view, radius=max(2, round(2 * factor)), eps=1e-3, subsample=max(1, int(factor // 2))
    )
    return np.clip(depth, 0, 1).astype(np.float32)
