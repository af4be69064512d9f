"""Depth edits: a person's corrections over the raw depth (brush strokes, pop-out), with undo and redo.

The edit layer is one (H, W) float32 **offset** added to the depth it corrects (depth in [0, 1], 1 = near)::

    edited = clip(depth + offset, 0, 1)

Because the offset lies over the depth rather than replacing it, every later stage (post-processing with
any options, the layers, the renderer, the exports) sees the corrected depth, and changing an option keeps
the corrections. Every tool is a pure function from the depth as it is to the depth it should become
(:func:`paint`, :func:`pop_out`); :class:`DepthEdits` turns each result into a change of the offset and
keeps the changes for undo and redo.

Tools (:data:`TOOLS`), each a polyline of points in photo pixels with a radius and a strength in (0, 1]:

- ``"nearer"`` / ``"farther"``: move depth by up to ``STEP * strength``;
- ``"smooth"``: blend towards the depth blurred over half the brush radius;
- ``"flatten"``: blend towards the depth under the stroke's first point;
- ``"pop out"`` (a tap, :func:`pop_out`): the region grown from the tap by colour and depth similarity,
  snapped to the photo's edges with the guided filter, comes forward by ``STEP * strength`` as one piece.

The brush weight falls off smoothly from 1 at the polyline to 0 at `radius` (:func:`brush_weight`); within
one stroke the weights of its segments combine by their maximum, so a stroke that passes a place twice
moves it once (paint another stroke to go further), and a stroke streamed in pieces equals the whole stroke.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .depthmap import as_depth
from .filters import block_mean, gaussian_blur, max_filter, resize_bilinear
from .refine import guided_filter

__all__ = [
    "STEP",
    "TOOLS",
    "UNDO_STEPS",
    "DepthEdits",
    "StrokePreview",
    "brush_radius",
    "brush_weight",
    "paint",
    "pop_out",
    "pop_out_matte",
]

TOOLS = ("nearer", "farther", "smooth", "flatten", "pop out")
"""The edit tools, as the page's tool list (options.py ``brush_tool``) names them."""

STEP = 0.25
"""Depth change (depth in [0, 1]) of a full-strength nearer/farther stroke at its centre, and of a pop-out."""

UNDO_STEPS = 30
"""Changes kept for undo (and redo)."""

_POP_OUT_SIDE = 256  # the region of a pop-out grows on the photo shrunk to about this long side
_POP_OUT_COLOUR = 0.2  # colour distance (RGB in [0, 1], divided by sqrt 3) still counted as the tapped colour
_POP_OUT_DEPTH = 0.1  # depth distance (depth in [0, 1]) still counted as the tapped depth


def brush_radius(size: float, shape: tuple[int, int]) -> float:
    """The brush radius in photo pixels for a brush `size` in percent of the photo's long side (its diameter).

    Examples
    --------
    >>> brush_radius(10, (1536, 2048))
    102.4
    """
    return float(size) / 100 * max(shape) / 2


def brush_weight(
    shape: tuple[int, int], points, radius: float, *, out: np.ndarray | None = None
) -> tuple[np.ndarray, tuple[slice, slice] | None]:
    """The weight of a brush stroke: 1 on the polyline, falling smoothly to 0 at `radius` from it.

    Parameters
    ----------
    shape : (H, W)
    points : (N, 2) array_like
        The polyline's points (x, y) in photo pixels: pixel (row i, column j) is the square whose centre
        is (j + 0.5, i + 0.5). One point is a dab.
    radius : float
        > 0, in pixels.
    out : (H, W) ndarray of float32, optional
        Weights to combine with (by their maximum), updated in place: a stroke streamed in pieces.

    Returns
    -------
    weight : (H, W) ndarray of float32
        ``(1 - (d / radius)**2)**2`` for distance ``d < radius`` from the polyline, else 0 (or `out`'s value
        where larger): smooth at the centre and at the rim.
    box : (slice, slice) or None
        The rows and columns the points touched (None: none, e.g. every point far outside the photo).

    Examples
    --------
    >>> w, box = brush_weight((1, 7), [(3.5, 0.5)], 2.0)
    >>> np.round(w.astype(float), 2).tolist(), box
    ([[0.0, 0.0, 0.56, 1.0, 0.56, 0.0, 0.0]], (slice(0, 1, None), slice(1, 6, None)))
    """
    h, w = shape
    weight = np.zeros(shape, np.float32) if out is None else out
    p = np.asarray(points, np.float64).reshape(-1, 2)
    radius = float(radius)
    if not radius > 0:
        raise ValueError(f"radius must be > 0 pixels, got {radius!r}")
    if not np.isfinite(p).all():
        raise ValueError("stroke points must be finite numbers")
    segments = np.concatenate([p[:1], p[:-1]]) if len(p) == 1 else p[:-1]
    ends = p if len(p) == 1 else p[1:]
    box = None
    for a, b in zip(segments, ends):  # a loop over the stroke's segments, each one vectorised over its pixels
        x0, x1 = (max(0, int(np.floor(min(a[0], b[0]) - radius))), min(w, int(np.ceil(max(a[0], b[0]) + radius))))
        y0, y1 = (max(0, int(np.floor(min(a[1], b[1]) - radius))), min(h, int(np.ceil(max(a[1], b[1]) + radius))))
        if x0 >= x1 or y0 >= y1:
            continue
        ys = np.arange(y0, y1, dtype=np.float64)[:, None] + 0.5
        xs = np.arange(x0, x1, dtype=np.float64)[None, :] + 0.5
        d = b - a
        length2 = float(d @ d)
        t = 0.0 if length2 == 0 else np.clip(((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / length2, 0, 1)
        dist2 = (xs - a[0] - t * d[0]) ** 2 + (ys - a[1] - t * d[1]) ** 2
        dab = np.square(np.clip(1 - dist2 / (radius * radius), 0, 1)).astype(np.float32)
        np.maximum(weight[y0:y1, x0:x1], dab, out=weight[y0:y1, x0:x1])
        box = (y0, y1, x0, x1) if box is None else (min(box[0], y0), max(box[1], y1), min(box[2], x0), max(box[3], x1))
    return weight, None if box is None else (slice(box[0], box[1]), slice(box[2], box[3]))


def paint(
    depth, weight, tool: str, strength: float, *, target: float | None = None, smoothed: np.ndarray | None = None
) -> np.ndarray:
    """Apply a brush tool with a given weight to depth.

    Parameters
    ----------
    depth : (H, W) array_like
        In [0, 1], 1 = near.
    weight : (H, W) array_like
        The brush weight in [0, 1] (:func:`brush_weight`), or a crop of both arrays alike.
    tool : {"nearer", "farther", "smooth", "flatten"}
    strength : float
        In (0, 1].
    target : float, optional
        ``"flatten"``: the depth to flatten to (the depth under the stroke's first point).
    smoothed : (H, W) array_like, optional
        ``"smooth"``: the depth blurred (the smoothing tool blends towards it).

    Returns
    -------
    painted : (H, W) ndarray of float32
        In [0, 1]; equal to `depth` where the weight is 0.

    Examples
    --------
    >>> paint(np.full((1, 3), 0.5), np.array([[0, 0.5, 1]]), "nearer", 1.0).tolist()
    [[0.5, 0.625, 0.75]]
    >>> paint(np.array([[0.2, 0.8]]), np.ones((1, 2)), "flatten", 1.0, target=0.5).tolist()
    [[0.5, 0.5]]
    """
    d = as_depth(depth)
    k = np.float32(_strength(strength)) * np.asarray(weight, np.float32)
    if tool in ("nearer", "farther"):
        out = d + np.float32(STEP if tool == "nearer" else -STEP) * k
    elif tool == "flatten":
        if target is None:
            raise ValueError("flatten needs the target depth (the depth under the stroke's first point)")
        out = d + (np.float32(target) - d) * k
    elif tool == "smooth":
        if smoothed is None:
            raise ValueError("smooth needs the blurred depth to blend towards")
        out = d + (np.asarray(smoothed, np.float32) - d) * k
    else:
        raise ValueError(f"unknown brush tool {tool!r}; one of {TOOLS[:4]} (pop out is a tap: pop_out)")
    return np.clip(out, 0, 1).astype(np.float32)


def _strength(strength: float) -> float:
    s = float(strength)
    if not 0 < s <= 1:
        raise ValueError(f"strength must be in (0, 1], got {strength!r}")
    return s


def _grow(similar: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    """The 8-connected part of boolean `similar` that holds `seed`, by repeated dilation within it."""
    region = np.zeros(similar.shape, bool)
    region[seed] = similar[seed]
    allowed = similar.view(np.uint8)
    while True:
        grown = max_filter(region.view(np.uint8), 1) & allowed
        if np.array_equal(grown, region.view(np.uint8)):
            return region
        region = grown.astype(bool)


def pop_out_matte(depth, photo, seed) -> np.ndarray:
    """The region a tap at `seed` selects: grown by colour and depth similarity, snapped to the photo's edges.

    Parameters
    ----------
    depth : (H, W) array_like
        In [0, 1], 1 = near.
    photo : (H, W, 3) uint8
    seed : (x, y)
        The tap, in photo pixels.

    Returns
    -------
    matte : (H, W) ndarray of float32
        In [0, 1]: 1 inside the region, 0 outside, its rim on the photo's edges.

    Notes
    -----
    On the photo and depth shrunk (block means) to about 256 px on the long side, the pixels whose colour
    lies within 0.2 (RGB distance over its largest value) of the tapped pixel's and whose depth lies within
    0.1 of the tapped depth, and that connect to the tap, form the region. Scaled back
    up, the :func:`~diorama.refine.guided_filter` moves its outline onto the photo's edges (within the
    shrink factor), and a steeper ramp makes that outline a step.
    """
    d = as_depth(depth)
    rgb = np.asarray(photo)
    if rgb.shape[:2] != d.shape or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"photo must be (H, W, 3) with (H, W) = {d.shape}, got shape {rgb.shape}")
    h, w = d.shape
    x, y = (float(v) for v in seed)
    if not (0 <= x < w and 0 <= y < h):
        raise ValueError(f"the tap ({x:.0f}, {y:.0f}) lies outside the {w} x {h} photo")
    factor = max(1, -(-max(h, w) // _POP_OUT_SIDE))
    small_rgb = block_mean(rgb, factor) / np.float32(255)
    small_depth = block_mean(d, factor)
    sy, sx = int(y) // factor, int(x) // factor
    colour = np.sqrt(np.square(small_rgb - small_rgb[sy, sx]).sum(axis=-1) / 3)
    similar = (colour <= _POP_OUT_COLOUR) & (np.abs(small_depth - small_depth[sy, sx]) <= _POP_OUT_DEPTH)
    region = _grow(similar, (sy, sx)).astype(np.float32)
    coarse = resize_bilinear(region, (h, w)) if factor > 1 else region
    # the outline moves at most the filter's reach: snap only around the region (the guided filter is the cost)
    rows, cols = np.nonzero(region)
    reach = 4 * factor + 2
    box = (
        slice(max(0, rows.min() * factor - reach), min(h, (rows.max() + 1) * factor + reach)),
        slice(max(0, cols.min() * factor - reach), min(w, (cols.max() + 1) * factor + reach)),
    )
    crop = coarse[box]
    snapped = guided_filter(crop, rgb[box], radius=max(2, factor), eps=1e-3, subsample=2 if crop.size > 500_000 else 1)
    matte = np.zeros((h, w), np.float32)
    matte[box] = np.clip(2 * snapped - 0.5, 0, 1)
    return matte


def pop_out(depth, photo, seed, amount: float = STEP) -> np.ndarray:
    """Bring the region tapped at `seed` (:func:`pop_out_matte`) forward by `amount`, as one piece.

    Parameters
    ----------
    depth : (H, W) array_like
        In [0, 1], 1 = near.
    photo : (H, W, 3) uint8
    seed : (x, y)
        The tap, in photo pixels.
    amount : float, optional
        Depth added inside the region (its relief is kept).

    Returns
    -------
    (H, W) ndarray of float32
        ``clip(depth + amount * matte, 0, 1)``.
    """
    d = as_depth(depth)
    return np.clip(d + np.float32(amount) * pop_out_matte(d, photo, seed), 0, 1).astype(np.float32)


@dataclass(frozen=True)
class _Change:
    """One step of the history: the offset's previous values where it changed, within a box."""

    box: tuple[slice, slice]
    where: np.ndarray  # (h, w) bool over the box
    values: np.ndarray  # (count,) float32: the offset there before (undo) or after (redo) the step


@dataclass
class _Stroke:
    """A stroke being painted: what it started from and the weight of the points so far."""

    depth: np.ndarray  # the depth it edits (unedited)
    start_offset: np.ndarray
    start: np.ndarray  # the edited depth when the stroke began
    tool: str
    radius: float
    strength: float
    weight: np.ndarray
    last: np.ndarray  # the last point, (2,): the next piece continues from it
    target: float | None = None
    smoothed: np.ndarray | None = None
    box: tuple[int, int, int, int] | None = None


class DepthEdits:
    """The edit layer of one photo's depth: its offset (module docstring), the stroke being painted, and
    the last :data:`UNDO_STEPS` changes for undo and redo.

    Parameters
    ----------
    shape : (H, W)
        The depth's shape.

    Examples
    --------
    >>> depth = np.full((4, 6), 0.5, np.float32)
    >>> edits = DepthEdits(depth.shape)
    >>> edits.stroke(depth, "nearer", [(1, 2), (5, 2)], radius=1.5, strength=1.0)
    True
    >>> bool(edits.apply(depth)[2, 3] > 0.5), edits.undo(), bool(np.array_equal(edits.apply(depth), depth))
    (True, True, True)
    """

    def __init__(self, shape: tuple[int, int]) -> None:
        self.offset = np.zeros(tuple(shape), np.float32)
        self._undo: list[_Change] = []
        self._redo: list[_Change] = []
        self._stroke: _Stroke | None = None

    @property
    def can_undo(self) -> bool:
        return bool(self._undo) or self._stroke is not None

    @property
    def can_redo(self) -> bool:
        return bool(self._redo) and self._stroke is None

    @property
    def painting(self) -> bool:
        """Whether a stroke is being painted (:meth:`begin_stroke` without :meth:`end_stroke` yet)."""
        return self._stroke is not None

    def apply(self, depth) -> np.ndarray:
        """The edited depth, ``clip(depth + offset, 0, 1)``; `depth` itself while there are no edits."""
        d = as_depth(depth)
        if d.shape != self.offset.shape:
            raise ValueError(f"these edits are for a {self.offset.shape} depth, not {d.shape}")
        if not self.offset.any():
            return d
        return np.clip(d + self.offset, 0, 1)

    # strokes -----------------------------------------------------------------------------------------

    def begin_stroke(self, depth, tool: str, radius: float, strength: float, point) -> None:
        """Start a stroke of `tool` at `point` (x, y) in photo pixels (a stroke in progress ends first)."""
        if tool not in TOOLS[:4]:
            raise ValueError(f"unknown brush tool {tool!r}; one of {TOOLS[:4]}")
        self.end_stroke()
        d = as_depth(depth)
        start = self.apply(d).copy()
        p = np.asarray(point, np.float64).reshape(2)
        stroke = _Stroke(
            depth=d,
            start_offset=self.offset.copy(),
            start=start,
            tool=tool,
            radius=float(radius),
            strength=_strength(strength),
            weight=np.zeros(d.shape, np.float32),
            last=p,
        )
        h, w = d.shape
        if tool == "flatten":
            stroke.target = float(start[min(h - 1, max(0, int(p[1]))), min(w - 1, max(0, int(p[0])))])
        elif tool == "smooth":
            stroke.smoothed = gaussian_blur(start, stroke.radius / 2)
        self._stroke = stroke
        self.extend_stroke(p[None])

    def extend_stroke(self, points) -> tuple[slice, slice] | None:
        """Continue the stroke in progress through `points` ((N, 2), x, y in photo pixels); returns the rows
        and columns of the offset this piece changed (None: none)."""
        s = self._stroke
        if s is None:
            raise ValueError("no stroke is being painted: begin_stroke first")
        p = np.asarray(points, np.float64).reshape(-1, 2)
        if not len(p):
            return None
        _, box = brush_weight(s.weight.shape, np.concatenate([s.last[None], p]), s.radius, out=s.weight)
        s.last = p[-1]
        if box is None:
            return None
        rows, cols = box
        s.box = (
            (rows.start, rows.stop, cols.start, cols.stop)
            if s.box is None
            else (
                min(s.box[0], rows.start),
                max(s.box[1], rows.stop),
                min(s.box[2], cols.start),
                max(s.box[3], cols.stop),
            )
        )
        smoothed = None if s.smoothed is None else s.smoothed[box]
        painted = paint(s.start[box], s.weight[box], s.tool, s.strength, target=s.target, smoothed=smoothed)
        self.offset[box] = painted - s.depth[box]
        return box

    def end_stroke(self) -> bool:
        """End the stroke in progress (if any) as one step of the history; whether it changed the depth."""
        s, self._stroke = self._stroke, None
        if s is None or s.box is None:
            return False
        box = (slice(s.box[0], s.box[1]), slice(s.box[2], s.box[3]))
        return self._record(box, s.start_offset[box])

    def stroke(self, depth, tool: str, points, radius: float, strength: float) -> bool:
        """A whole stroke at once (:meth:`begin_stroke`, :meth:`extend_stroke`, :meth:`end_stroke`)."""
        p = np.asarray(points, np.float64).reshape(-1, 2)
        self.begin_stroke(depth, tool, radius, strength, p[0])
        self.extend_stroke(p[1:])
        return self.end_stroke()

    # one-step changes ----------------------------------------------------------------------------------

    def pop_out(self, depth, photo, seed, amount: float = STEP) -> bool:
        """Bring the region tapped at `seed` forward (:func:`pop_out`); whether the depth changed."""
        self.end_stroke()
        d = as_depth(depth)
        popped = pop_out(self.apply(d), photo, seed, amount)
        return self._set(popped - d)

    def reset(self) -> bool:
        """Remove every edit (one step of the history, so it can be undone); whether there were any."""
        self.end_stroke()
        return self._set(np.zeros_like(self.offset))

    def undo(self) -> bool:
        """Go back one step (a stroke in progress ends first); whether there was one."""
        self.end_stroke()
        if not self._undo:
            return False
        self._redo.append(self._swap(self._undo.pop()))
        return True

    def redo(self) -> bool:
        """Go forward one undone step; whether there was one."""
        self.end_stroke()
        if not self._redo:
            return False
        self._undo.append(self._swap(self._redo.pop()))
        return True

    def _set(self, offset: np.ndarray) -> bool:
        """Make `offset` the edit layer, as one step of the history."""
        full = (slice(0, self.offset.shape[0]), slice(0, self.offset.shape[1]))
        before = self.offset.copy()
        self.offset[...] = offset
        return self._record(full, before)

    def _record(self, box: tuple[slice, slice], before: np.ndarray) -> bool:
        """Record the change from `before` to the offset now within `box`; whether there was one."""
        where = before != self.offset[box]
        if not where.any():
            return False
        self._undo.append(_Change(box, where, before[where]))
        del self._undo[:-UNDO_STEPS]
        self._redo.clear()
        return True

    def _swap(self, change: _Change) -> _Change:
        """Put a step's values back into the offset; returns the step that puts the current ones back."""
        region = self.offset[change.box]
        current = region[change.where]
        region[change.where] = change.values
        return _Change(change.box, change.where, current)


class StrokePreview:
    """The edited depth at a reduced size while a stroke is painted, for a quick look at each piece.

    Made of block means, and kept block by block: a piece of the stroke costs what the blocks it changed
    cost, not the whole photo. The preview equals the block means of the whole edit layer at every step.

    Parameters
    ----------
    depth : (H, W) array_like
        The depth the edits lie over (as :meth:`DepthEdits.apply` takes it).
    offset : (H, W) ndarray of float32
        The edit layer (:attr:`DepthEdits.offset`) once the stroke began (:meth:`DepthEdits.begin_stroke`).
    long_side : int
        The preview's long side, at most.

    Attributes
    ----------
    factor : int
        The side of a block, in photo pixels.
    depth, offset : (ceil(H / factor), ceil(W / factor)) ndarray of float32
        Block means (:func:`~diorama.filters.block_mean`) of the depth and of the edit layer.

    Examples
    --------
    >>> depth = np.full((4, 6), 0.5, np.float32)
    >>> edits = DepthEdits(depth.shape)
    >>> edits.begin_stroke(depth, "nearer", 1.0, 1.0, (0.5, 0.5))
    >>> preview = StrokePreview(depth, edits.offset, 3)
    >>> preview.update(edits.offset, edits.extend_stroke([(1.5, 0.5)])).tolist()  # 2 x 2 blocks
    [[0.625, 0.5, 0.5], [0.5, 0.5, 0.5]]
    """

    def __init__(self, depth, offset: np.ndarray, long_side: int) -> None:
        self.factor = -(-max(offset.shape) // int(long_side))
        self.depth = block_mean(as_depth(depth), self.factor)
        self.offset = block_mean(offset, self.factor)

    def update(self, offset: np.ndarray, box: tuple[slice, slice] | None) -> np.ndarray:
        """The preview's edited depth, ``clip(depth + offset, 0, 1)``, once the edit layer `offset` changed
        within `box` (rows, columns: :meth:`DepthEdits.extend_stroke`; None: nowhere)."""
        f = self.factor
        if box is not None:
            # whole blocks: the last one of the photo edge-padded, as block_mean pads it
            rows, cols = (slice(b.start // f * f, min(size, -(-b.stop // f) * f)) for b, size in zip(box, offset.shape))
            self.offset[rows.start // f : -(-rows.stop // f), cols.start // f : -(-cols.stop // f)] = block_mean(
                offset[rows, cols], f
            )
        return np.clip(self.depth + self.offset, 0, 1)
