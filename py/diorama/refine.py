"""Depth refinement: align depth edges with the photo's edges, and let near depth cover its rim.

Depth from a model (or a person's map) is softer and often slightly misplaced against the photo:
an object's outline in the depth map runs a few pixels inside or outside its outline in the
photo. Rendered with parallax, the misplaced strip moves with the wrong surface: a halo of
background dragged along by the foreground, or a rim of the object left behind. Three steps fix it:

- :func:`guided_filter` (He, Sun and Tang, "Guided Image Filtering", ECCV 2010 / TPAMI 2013)
  makes depth locally a linear function of the photo, so depth edges move onto photo edges;
- :func:`sharpen_edges` turns the soft ramps left at discontinuities into steps (a toggle mapping),
  so each pixel belongs to one surface;
- :func:`dilate_near` grows near depth over far depth by a few pixels, only at discontinuities,
  so the pixels on a foreground object's rim carry the object's depth (no halo) while smooth
  slopes stay untouched.

:func:`refine_depth` runs the first (optionally the second) and the third. Every function is pure,
vectorised NumPy built on :mod:`diorama.filters`, so the cost does not grow with the radius.
"""

from __future__ import annotations

import functools

import numpy as np

from .depthmap import as_depth
from .filters import block_mean, box_mean, max_filter, min_filter, resize_bilinear
from .options import CLIFF

__all__ = ["dilate_near", "guided_filter", "refine_depth", "sharpen_edges"]


def _as_guide(guide, shape: tuple[int, int]) -> np.ndarray:
    """A guide image as (H, W) or (H, W, C) float32 in about [0, 1] (uint8 is divided by 255)."""
    g = np.asarray(guide)
    if g.shape[:2] != shape or g.ndim not in (2, 3):
        raise ValueError(
            f"guide must be (H, W) or (H, W, C) with (H, W) = {shape}, got shape {g.shape}; "
            "pass the photo the depth belongs to"
        )
    if g.dtype.kind not in "biuf":
        raise TypeError(f"guide must hold real numbers, got dtype {g.dtype}")
    if g.dtype == np.uint8:
        return g.astype(np.float32) / np.float32(255)
    return g.astype(np.float32, copy=False)


def guided_filter(depth, guide, radius: int = 8, eps: float = 1e-3, *, subsample: int = 1) -> np.ndarray:
    """Edge-aware smoothing of `depth` that follows the edges of `guide` (He et al.'s guided filter).

    Parameters
    ----------
    depth : (H, W) array_like
        The image to filter (see :func:`diorama.depthmap.as_depth`).
    guide : (H, W) or (H, W, 3) array_like
        The photo; uint8 is scaled to [0, 1], floats taken as they are. Colour guides use the
        colour guided filter (a 3x3 covariance per window), which keeps edges between colours
        of equal brightness.
    radius : int, optional
        Window radius in pixels, >= 1: how far a depth edge may move to meet a photo edge.
    eps : float, optional
        Regularisation > 0 in guide units squared: photo contrast below ``sqrt(eps)`` counts
        as flat (depth is smoothed across it), above it as an edge (depth follows it).
    subsample : int, optional
        >= 1. The fast guided filter (He and Sun, 2015): the linear coefficients are computed on
        images shrunk by this factor (radius shrunk too) and upsampled bilinearly, then applied
        to the full-resolution guide. About ``subsample**2`` times faster; edges stay sharp
        because the guide itself is never shrunk in the final step.

    Returns
    -------
    filtered : (H, W) ndarray of float32
        ``mean_a * I + mean_b`` where, in every window, ``depth ~ a . I + b`` by least squares;
        clipped to the input's range.

    Notes
    -----
    A constant depth gives the same constant (``a = 0``, ``b = depth``). Inside a window where the
    photo is flat the output is the window's mean depth; in a window crossing a photo edge the
    output jumps where the photo jumps, so a depth step a few pixels off the photo's edge snaps to it.
    Cost: a fixed number of box filters (cumulative sums), independent of `radius`.

    Examples
    --------
    >>> d = np.zeros((4, 8), np.float32); d[:, 3:] = 1      # depth step at column 3
    >>> g = np.zeros((4, 8), np.float32); g[:, 4:] = 1      # photo edge at column 4
    >>> out = guided_filter(d, g, radius=3, eps=1e-4)
    >>> int(np.argmax(np.diff(out[0]))) + 1                  # the step moved to the photo edge
    4
    """
    p = as_depth(depth)
    I = _as_guide(guide, p.shape)
    radius = int(radius)
    if radius < 1:
        raise ValueError(f"radius must be >= 1, got {radius}; 8 suits a 1-2 MP photo")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}; try 1e-3")
    subsample = int(subsample)
    if subsample < 1:
        raise ValueError(f"subsample must be an integer >= 1, got {subsample}")
    if I.ndim == 3 and I.shape[2] == 1:
        I = I[..., 0]
    if I.ndim == 3 and I.shape[2] != 3:
        raise ValueError(f"guide must have 1 or 3 channels, got {I.shape[2]}; drop alpha with guide[..., :3]")
    solve = _guided_grey if I.ndim == 2 else _guided_colour
    if subsample == 1:
        mean_a, mean_b = solve(p, I, radius, float(eps))
        full = np.asarray
    else:
        small_r = max(1, round(radius / subsample))
        mean_a, mean_b = solve(block_mean(p, subsample), block_mean(I, subsample), small_r, float(eps))
        full = functools.partial(resize_bilinear, shape=p.shape)
    # q = a . I + b, one colour channel at a time: full-resolution coefficients are never stacked
    # (interleaving three 3 MP planes costs more than the rest of the product)
    if I.ndim == 3:
        q = sum(full(mean_a[..., c]) * I[..., c] for c in range(3)) + full(mean_b)
    else:
        q = full(mean_a) * I + full(mean_b)
    return np.clip(q, p.min(), p.max()).astype(np.float32)


def _guided_grey(p: np.ndarray, I: np.ndarray, r: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Window means of the coefficients (a, b) of depth ~ a I + b."""
    mean_I = box_mean(I, r)
    mean_p = box_mean(p, r)
    var_I = box_mean(I * I, r) - mean_I * mean_I
    cov_Ip = box_mean(I * p, r) - mean_I * mean_p
    a = cov_Ip / (var_I + np.float32(eps))
    b = mean_p - a * mean_I
    return box_mean(a, r), box_mean(b, r)


def _guided_colour(p: np.ndarray, I: np.ndarray, r: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """The colour guided filter: per window a = (Sigma + eps U)^-1 cov(I, p), inverted in closed form."""
    mean_I = box_mean(I, r)  # (H, W, 3)
    mean_p = box_mean(p, r)  # (H, W)
    cov_Ip = box_mean(I * p[..., None], r) - mean_I * mean_p[..., None]
    # the six distinct entries of each window's 3x3 colour covariance, + eps on the diagonal
    rr, rg, rb, gg, gb, bb = (
        box_mean(I[..., i] * I[..., j], r) - mean_I[..., i] * mean_I[..., j]
        for i, j in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))
    )
    e = np.float32(eps)
    rr, gg, bb = rr + e, gg + e, bb + e
    # symmetric 3x3 inverse by cofactors
    c_rr = gg * bb - gb * gb
    c_rg = gb * rb - rg * bb
    c_rb = rg * gb - gg * rb
    c_gg = rr * bb - rb * rb
    c_gb = rb * rg - rr * gb
    c_bb = rr * gg - rg * rg
    det = rr * c_rr + rg * c_rg + rb * c_rb
    cr, cg, cb = cov_Ip[..., 0], cov_Ip[..., 1], cov_Ip[..., 2]
    a = (
        np.stack(
            [c_rr * cr + c_rg * cg + c_rb * cb, c_rg * cr + c_gg * cg + c_gb * cb, c_rb * cr + c_gb * cg + c_bb * cb],
            axis=-1,
        )
        / det[..., None]
    )
    b = mean_p - np.einsum("hwc,hwc->hw", a, mean_I)
    return box_mean(a, r), box_mean(b, r)


def dilate_near(depth, radius: int = 3, threshold: float = 0.05) -> np.ndarray:
    """Grow near depth over far depth by `radius` pixels, only at depth discontinuities.

    Parameters
    ----------
    depth : (H, W) array_like
        Larger = nearer (see :func:`diorama.depthmap.as_depth`).
    radius : int, optional
        How far, in pixels, near depth spreads over far depth at an edge (>= 0; 0 = no change).
    threshold : float, optional
        Depth jump (in depth units) within `radius` that counts as a discontinuity.

    Returns
    -------
    dilated : (H, W) ndarray of float32
        ``max_filter(depth, radius)`` where it exceeds `depth` by more than `threshold`, else
        `depth`: the far side of each discontinuity, within `radius` of it, takes the near
        side's depth, so a foreground object's rim -- which depth maps tend to cut too tight --
        moves with the object. Slopes gentler than ``threshold / radius`` per pixel, and all
        depth away from edges, are unchanged; depth never decreases.

    Examples
    --------
    >>> d = np.zeros((1, 8), np.float32); d[0, 4:] = 1
    >>> dilate_near(d, radius=2).tolist()
    [[0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]
    """
    d = as_depth(depth)
    radius = int(radius)
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    if not (np.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold!r}")
    if radius == 0:
        return d.copy()
    grown = max_filter(d, radius)
    return np.where(grown - d > threshold, grown, d).astype(np.float32)


def sharpen_edges(depth, radius: int = 2, threshold: float = 0.05, *, iterations: int = 2) -> np.ndarray:
    """Turn soft depth edges into steps: a toggle mapping (morphological shock filter).

    Parameters
    ----------
    depth : (H, W) array_like
        Larger = nearer.
    radius : int, optional
        Window radius: ramps up to about ``2 radius`` pixels wide become steps.
    threshold : float, optional
        Only where the window's depth range exceeds this (a discontinuity, not a slope) is depth
        changed.
    iterations : int, optional
        Passes; a second pass finishes ramps whose middle the first left between the two levels.

    Returns
    -------
    sharpened : (H, W) ndarray of float32
        Where ``max - min > threshold`` over the window, each pixel takes whichever of the
        window's max and min is closer to it (ties go to the max, i.e. near), else it keeps its
        value; so a blurred step becomes a step at its midpoint, and slopes gentler than
        ``threshold / (2 radius)`` per pixel are unchanged.

    Examples
    --------
    >>> sharpen_edges(np.array([[0, 0, 0.25, 0.5, 0.75, 1, 1]]), radius=2).tolist()
    [[0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]]
    """
    d = as_depth(depth)
    radius = int(radius)
    if radius < 1:
        return d.copy()
    for _ in range(int(iterations)):
        hi = max_filter(d, radius)
        lo = min_filter(d, radius)
        snapped = np.where(hi - d <= d - lo, hi, lo)
        d = np.where(hi - lo > threshold, snapped, d).astype(np.float32)
    return d


def refine_depth(
    depth,
    photo,
    *,
    radius: int | None = None,
    eps: float = 1e-3,
    dilation: int | None = None,
    threshold: float = CLIFF,
    subsample: int | None = None,
    sharpen: bool = False,
) -> np.ndarray:
    """Align depth to the photo's edges (:func:`guided_filter`), optionally make its edges steps
    (:func:`sharpen_edges`), then let near depth cover its rim (:func:`dilate_near`).

    Parameters
    ----------
    depth : (H, W) array_like
        Display depth in [0, 1], 1 = near.
    photo : (H, W, 3) uint8 array_like
        Its photo (the guide).
    radius : int, optional
        Guided filter radius; default ``max(2, round(max(H, W) / 256))`` (8 px at 2048 px).
    eps : float, optional
        Guided filter regularisation (photo units squared).
    dilation : int, optional
        Near-over-far growth in pixels; default ``max(1, round(max(H, W) / 512))`` (4 px at 2048 px).
    threshold : float, optional
        Depth jump counted as a discontinuity by the dilation.
    subsample : int, optional
        Fast guided filter factor; default 1 up to 0.5 MP, else the smallest that computes the
        coefficients on at most 0.5 MP (2 up to 2 MP, 3 for a 2048 x 1536 working photo: the depth moves
        by 0.0005 on average, 0.003 at the 99th percentile, against 2, and the refinement takes 30 % less).
    sharpen : bool, optional
        Run :func:`sharpen_edges` (radius 1) after the guided filter. Off by default: on the
        wide soft transitions of model depth it cuts ramps into staircases of small cliffs, each of
        which the layered renderer would then treat as an edge.

    Returns
    -------
    refined : (H, W) ndarray of float32
        In [0, 1], 1 = near.
    """
    d = as_depth(depth)
    side = max(d.shape)
    if radius is None:
        radius = max(2, round(side / 256))
    if dilation is None:
        dilation = max(1, round(side / 512))
    if subsample is None:
        subsample = max(1, int(np.ceil(np.sqrt(d.size / 500_000))))
    out = guided_filter(d, photo, radius=radius, eps=eps, subsample=subsample)
    if sharpen:
        out = sharpen_edges(out, radius=1, threshold=threshold)
    return np.clip(dilate_near(out, radius=dilation, threshold=threshold), 0, 1).astype(np.float32)
