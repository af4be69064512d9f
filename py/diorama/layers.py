"""Layered depth: a foreground and a background layer, with the background filled behind edges.

A single photo + depth map has nothing behind a foreground object's outline: when the view moves,
the strip the object uncovers (the disocclusion) must be invented. This module splits the scene at
depth discontinuities into two layers, as a two-layer "layered depth image" (Shade et al., 1998;
Facebook 3D Photos; Shih et al., "3D Photography using Context-aware Layered Depth Inpainting",
2020) does, but with a fast fill:

- the **foreground** layer is the photo and its depth, transparent in a thin strip on the far side
  of every discontinuity, so that whatever the renderer uncovers next to a near edge lets the
  background layer show through instead of stretching pixels;
- the **background** layer is the photo and its depth with a band on the near side of every
  discontinuity (``band`` pixels wide, at least the largest parallax) replaced by the far side
  extended behind it: colour *and* depth, filled by push-pull (:func:`diorama.inpaint.fill_at`) from the far
  side's pixels only, so foreground colours never leak into it.

Where a foreground object is thinner than twice the band it is filled over entirely: the background
layer then shows what is behind it, as it should.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .depthmap import as_depth
from .filters import box_mean, max_filter, min_filter
from .inpaint import fill_at
from .options import CLIFF, MAX_SHIFT
from .refine import refine_depth

__all__ = ["Layers", "find_discontinuities", "renderer_layer_steps", "renderer_layers", "run_steps", "split_layers"]


@dataclass(frozen=True)
class Layers:
    """Two layers of one photo, all (H, W[, C]) and C-contiguous.

    Attributes
    ----------
    background_rgb : (H, W, 3) uint8
        The photo with the near side of each discontinuity replaced by the filled background.
    background_depth : (H, W) float32
        Depth of the background layer, 1 = near; never nearer than the photo's depth.
    foreground_alpha : (H, W) float32
        Opacity of the foreground layer (the photo itself, with its depth): 0 in a strip on the far
        side of each discontinuity, 1 elsewhere.
    filled : (H, W) bool
        Where the background layer was filled (the near-side band).
    """

    background_rgb: np.ndarray
    background_depth: np.ndarray
    foreground_alpha: np.ndarray
    filled: np.ndarray


def find_discontinuities(depth, threshold: float = CLIFF, radius: int = 1, *, min_support: int = 12):
    """Depth edges: pixels whose neighbourhood spans a depth jump larger than `threshold`.

    Parameters
    ----------
    depth : (H, W) array_like
        Larger = nearer.
    threshold : float, optional
        Jump, in depth units, within ``2 radius + 1`` pixels that counts as a discontinuity
        (a slope would need to be steeper than ``threshold / (2 radius)`` per pixel).
    radius : int, optional
        Neighbourhood radius.
    min_support : int, optional
        Edge pixels with fewer than this many edge pixels in their 9x9 neighbourhood (themselves
        included) are dropped: specks of noise (a one-pixel spike makes a 3x3 blob, 9), not outlines
        (two pixels wide, about 18). 0 keeps every one.

    Returns
    -------
    edges : (H, W) bool
        Pixels on either side of a discontinuity, within `radius` of it.
    near, far : (H, W) float32
        At edge pixels, the neighbourhood's nearest and farthest depth (elsewhere the pixel's own).

    Examples
    --------
    >>> d = np.zeros((1, 6), np.float32); d[0, 3:] = 1
    >>> find_discontinuities(d)[0].astype(int).tolist()
    [[0, 0, 1, 1, 0, 0]]
    """
    d = as_depth(depth)
    near = max_filter(d, radius)
    far = min_filter(d, radius)
    edges = near - far > threshold
    if min_support > 0 and edges.any():
        support = box_mean(edges.astype(np.float32), 4) * 81  # edge pixels per 9x9 window
        edges &= support >= min_support - 0.5
    return edges, np.where(edges, near, d), np.where(edges, far, d)


def split_layers(
    photo, depth, *, band: int | None = None, threshold: float = CLIFF, cut: int = 2, work_scale: int | None = None
) -> Layers:
    """Split a photo + depth into a foreground and an inpainted background layer.

    Parameters
    ----------
    photo : (H, W, 3) uint8 array_like
        The photo.
    depth : (H, W) array_like
        Its depth, 1 = near; best refined first (:func:`diorama.refine.refine_depth`), so that
        discontinuities are steps aligned with the photo's edges.
    band : int, optional
        Width in pixels of the background fill behind each near edge: at least the largest
        parallax the viewer shows between near and far. Default: 4 % of the long side, the
        viewer's shift at full strength.
    threshold : float, optional
        Depth jump within 3 pixels that counts as a discontinuity (see
        :func:`find_discontinuities`); the default is the renderer's cliff (:data:`diorama.options.CLIFF`). At
        4 % parallax per unit depth a jump of 0.1 opens a gap of 0.4 % of the width (8 px at
        2048 px), below which stretching is not visible anyway.
    cut : int, optional
        Width in pixels of the transparent strip of the foreground layer beyond each near edge.
    work_scale : int, optional
        Resolution divisor of the fill (see :func:`diorama.inpaint.fill_at`); default 2 above
        0.5 MP, else 1.

    Returns
    -------
    Layers

    Notes
    -----
    For every pixel within `band` of a discontinuity, the discontinuities nearby give a nearest
    depth ``n`` and a farthest depth ``f`` (max and min over the edge pixels within `band`); the
    pixel is on the near side when its depth is above ``(n + f) / 2``, else on the far side. Near
    side pixels form the hole; far side pixels (within `band`) are the only sources of the fill,
    so it continues the background, never the object. Cost: a few max/min filters and one
    push-pull, O(H W).
    """
    rgb = np.asarray(photo)
    d = as_depth(depth)
    if rgb.shape != d.shape + (3,) or rgb.dtype != np.uint8:
        raise ValueError(f"photo must be (H, W, 3) uint8 matching depth {d.shape}, got {rgb.shape} {rgb.dtype}")
    h, w = d.shape
    if band is None:
        band = max(2, int(np.ceil(MAX_SHIFT * max(h, w))))
    band, cut = int(band), int(cut)
    if band < 1 or cut < 0:
        raise ValueError(f"band must be >= 1 and cut >= 0, got band={band}, cut={cut}")
    if work_scale is None:
        work_scale = 2 if d.size > 500_000 else 1

    edges, near, far = find_discontinuities(d, threshold)
    if not edges.any():
        return Layers(np.ascontiguousarray(rgb), d.copy(), np.ones_like(d), np.zeros(d.shape, bool))
    # nearest / farthest edge depth within `band` (and within `cut`) of each pixel; `none_near`
    # and `none_far` mark "no edge within reach"
    none_near, none_far = np.float32(d.min() - 1), np.float32(d.max() + 1)
    edge_near = np.where(edges, near, none_near).astype(np.float32)
    edge_far = np.where(edges, far, none_far).astype(np.float32)
    # edge pixels are the last pixel on each side, so reach band - 1 beyond them
    near_band = max_filter(edge_near, band - 1)
    in_band = near_band > none_near
    mid = 0.5 * (near_band + min_filter(edge_far, band - 1))
    near_side = in_band & (d > mid)
    far_side = in_band & ~near_side

    # the foreground's transparent strip: far side pixels within `cut` of a nearer edge
    if cut > 0:
        near_cut = max_filter(edge_near, cut - 1)
        strip = (near_cut > none_near) & (d <= 0.5 * (near_cut + min_filter(edge_far, cut - 1)))
    else:
        strip = np.zeros(d.shape, bool)
    alpha = np.where(strip, 0, 1).astype(np.float32)
    # what the foreground does not cover, the background must show as it is: never fill the strip
    near_side &= ~strip
    far_side &= ~near_side

    # the fill: colour and depth together, from far side pixels only, computed at reduced resolution
    # and read at the near side only. Reach: about twice the band; farther from every far-side source
    # no fill is trusted (it would bring in colours from across the object), so those pixels keep the photo
    reach = int(np.ceil(np.log2(max(2, band)))) + 2
    values, cover = fill_at(
        [rgb[..., 0], rgb[..., 1], rgb[..., 2], d], far_side, near_side, work_scale=work_scale, levels=reach
    )
    trusted = cover > 0.5
    ys, xs = np.nonzero(near_side)
    near_side[ys[~trusted], xs[~trusted]] = False
    ys, xs, values = ys[trusted], xs[trusted], values[trusted]
    bg_rgb = rgb.copy()
    bg_rgb[ys, xs] = np.clip(np.rint(values[:, :3]), 0, 255).astype(np.uint8)
    bg_depth = d.copy()
    bg_depth[ys, xs] = np.minimum(values[:, 3], d[ys, xs])

    return Layers(
        np.ascontiguousarray(bg_rgb),
        np.ascontiguousarray(bg_depth, dtype=np.float32),
        np.ascontiguousarray(alpha),
        near_side,
    )


def renderer_layers(photo, display_depth) -> tuple[np.ndarray, Layers]:
    """The layers the app's layered renderer draws, which every export of the scene shares.

    Parameters
    ----------
    photo : (H, W, 3) uint8 array_like
        The photo.
    display_depth : (H, W) array_like
        Its display depth (:func:`diorama.depthmap.postprocess_depth`), 1 = near.

    Returns
    -------
    front_depth : (H, W) float32
        The depth refined to the photo (:func:`diorama.refine.refine_depth`): the front layer's depth.
    layers : Layers
        :func:`split_layers` of the photo and that depth, with a 3-pixel transparent strip.
    """
    return run_steps(renderer_layer_steps(photo, display_depth))


def renderer_layer_steps(photo, display_depth):
    """:func:`renderer_layers` as a generator that pauses once, between the refinement and the split.

    A caller that runs it step by step (the worker, through ``Studio.layer_steps``) can stop a superseded
    photo's layers half way; ``result = yield from renderer_layer_steps(...)`` gives :func:`renderer_layers`'
    value.
    """
    refined = refine_depth(display_depth, photo)
    yield "refined"
    return refined, split_layers(photo, refined, cut=3)


def run_steps(steps):
    """Run a generator of steps (:func:`renderer_layer_steps`, ``Studio.layer_steps``) to its end at once.

    Returns
    -------
    The generator's return value.

    Examples
    --------
    >>> def steps():
    ...     yield "first"
    ...     return 42
    >>> run_steps(steps())
    42
    """
    while True:
        try:
            next(steps)
        except StopIteration as done:  # the generator's return value
            return done.value
