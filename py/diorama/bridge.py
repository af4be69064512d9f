"""Entry points for the web worker: the only module that knows it may run in Pyodide.

The worker holds one :class:`Studio` per page. JavaScript hands bytes in as
``Uint8Array`` proxies and reads results out of the returned NumPy arrays with
``getBuffer()`` (a view into wasm memory, copied once on the JS side), so no
per-pixel conversion ever crosses the bridge. In CPython the same methods take
``bytes`` and ``numpy`` arrays, which is how the unit tests drive them.
"""

from __future__ import annotations

import functools

import numpy as np

from .depthmap import (
    black_is_near_agreement,
    depth_map_from_pixels,
    depth_png,
    depth_texels,
    layer_texels,
    load_depth_map,
    postprocess_depth,
    resembles_depth_map,
)
from .edits import STEP, DepthEdits, StrokePreview, brush_radius
from .embedded import (
    find_embedded_depth,
    fit_to_photo,
    heif_embedded_depth,
    photo_with_gdepth,
    stereo_format,
    stereo_views,
)
from .errors import DioramaError, refuse_when_out_of_memory
from .layers import renderer_layer_steps, run_steps
from .mesh import layered_glb
from .model_io import disparity_from_output, prepare_model_input
from .options import OPTIONS, WORKING_LONG_SIDE
from .photo import MAX_PIXELS, browser_format, is_depth_like, load_photo, photo_from_pixels
from .photo3d import photo_3d_html
from .stereo_match import disparity_from_views


def _as_bytes(data) -> bytes:
    """``bytes`` from a Python buffer or a Pyodide JsProxy of a typed array."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    return data.to_bytes()


def _as_float32(data) -> np.ndarray:
    """A flat float32 array from a NumPy array, a buffer (a converted Float32Array) or a Pyodide JsProxy of a
    Float32Array."""
    if isinstance(data, np.ndarray):
        return data.astype(np.float32, copy=False).ravel()
    return np.frombuffer(data if isinstance(data, (bytes, bytearray, memoryview)) else data.to_py(), dtype=np.float32)


def _as_rgba(data, width: int, height: int) -> np.ndarray:
    """(height, width, 4) uint8 from a buffer or a Pyodide JsProxy of a Uint8Array/Uint8ClampedArray (one copy)."""
    flat = np.frombuffer(
        data if isinstance(data, (bytes, bytearray, memoryview, np.ndarray)) else data.to_py(), dtype=np.uint8
    )
    if flat.size != int(width) * int(height) * 4:
        raise ValueError(f"{flat.size} bytes are not {width} x {height} RGBA pixels")
    return flat.reshape(int(height), int(width), 4)


def decoder_needed(data) -> tuple[str, int, int] | None:
    """How the worker decodes a file Pillow here can't (:func:`~diorama.photo.browser_format`), else None.

    Returns
    -------
    (kind, long_side, max_pixels) or None
        ``kind`` ``"heic"`` (libheif-js) or ``"avif"`` (the browser's decoder); the worker decodes it upright,
        refuses it over ``max_pixels`` before drawing it, scales it to at most ``long_side`` and hands the
        pixels to :meth:`Studio.open_pixels`. None: :meth:`Studio.open_photo` reads the file.

    Raises
    ------
    DioramaError
        The file's header declares more than ``max_pixels`` pixels.
    """
    kind = browser_format(_as_bytes(data))
    return None if kind is None else (kind, WORKING_LONG_SIDE, MAX_PIXELS)


def looks_like_depth_map(data) -> bool:
    """Whether an image file is single-channel, i.e. probably a depth map (header only)."""
    return is_depth_like(_as_bytes(data))


def _depth_options(options) -> dict:
    """The post-processing options, by name, from a dict or a Pyodide JsProxy of a JS object.

    Unknown names are a bug of the caller: :func:`~diorama.depthmap.postprocess_depth` raises ``TypeError``.
    """
    if options is None:
        return {}
    return dict(options.to_py() if hasattr(options, "to_py") else options)


def _brush_options(brush) -> dict:
    """The brush options (options.py, stage ``"brush"``) by name, from a dict or a JsProxy, with their defaults."""
    given = _depth_options(brush)
    return {o.name: given.get(o.name, o.default) for o in OPTIONS if o.stage == "brush"}


PREVIEW_SIDE = 512
"""The long side of the display depth :meth:`Studio.paint` answers while a stroke is being painted."""


def _out_of_memory_refused(method):
    """Run a Studio step so that running out of memory is a refusal (DioramaError), not a crash."""

    @functools.wraps(method)
    def step(*args, **kwargs):
        with refuse_when_out_of_memory():
            return method(*args, **kwargs)

    return step


class Studio:
    """The photo being shown, with its id, unprocessed depth and display depth, so that option changes
    skip decoding; and the photo being opened, which replaces it only when the whole open succeeded.

    An open is staged: :meth:`open_photo` decodes the photo; a depth map the person dropped with it
    (:meth:`use_depth_map`), else the depth the file records (:meth:`use_recorded_depth`), else the model
    (:meth:`model_input`, :meth:`use_model_output`) gives it depth; and :meth:`commit` post-processes
    that depth and only then makes the photo current (all or nothing). A failure at any step abandons
    the photo being opened; the current one stays, with its depth, so options, layers and export keep
    working on it. Methods return C-contiguous NumPy arrays ready for ``getBuffer()``.

    The current photo's depth carries the person's edits (:class:`~diorama.edits.DepthEdits`: brush
    strokes, pop-out, undo, redo), applied to its raw depth before post-processing, so every option, the
    layers and every export see them. They are made in the orientation shown (near = 1 after the
    ``invert`` option), so "nearer" brings things nearer whichever way the depth map was drawn. A new
    photo starts without edits.
    """

    def __init__(self) -> None:
        self.photo_id: int | None = None  # the page's id of the current photo
        self.rgb: np.ndarray | None = None  # (H, W, 3) uint8
        self.raw_depth: np.ndarray | None = None  # (H, W) float32 in [0, 1], 1 = near
        self.display_depth: np.ndarray | None = None  # raw_depth post-processed as last shown
        self.edits: DepthEdits | None = None  # the person's edits of raw_depth
        self._invert = False  # the invert option last used: the orientation edits are made in
        self._preview: StrokePreview | None = None  # the edited depth at PREVIEW_SIDE while a stroke is painted
        self._opening: dict | None = None  # {"id", "rgb", "raw_depth"} of the photo being opened
        self._model_valid_hw: tuple[int, int] | None = None
        # (rgb, display_depth, front depth, Layers) as last layered: the exports of the scene reuse the layers the
        # worker made for the renderer right after commit/adjust (at 2048 px, seconds of work in Pyodide)
        self._scene: tuple | None = None

    @_out_of_memory_refused
    def open_photo(self, data, photo_id: int) -> np.ndarray:
        """Decode photo `photo_id` to be opened; returns it as (H, W, 4) uint8 RGBA."""
        self._opening = None
        data = _as_bytes(data)
        rgb = load_photo(data)
        # the file is kept until the open ends: the depth it may carry is read from it (use_recorded_depth)
        self._opening = {"id": int(photo_id), "rgb": rgb, "raw_depth": None, "data": data}
        alpha = np.full(rgb.shape[:2] + (1,), 255, dtype=np.uint8)
        return np.ascontiguousarray(np.concatenate([rgb, alpha], axis=2))

    @_out_of_memory_refused
    def open_pixels(self, rgba, width: int, height: int, photo_id: int, data=None) -> np.ndarray:
        """Stage photo `photo_id` from pixels the worker decoded (AVIF, HEIC: :func:`decoder_needed`), as
        :meth:`open_photo` stages a file it decodes; returns the photo as (H, W, 4) uint8 RGBA.

        Parameters
        ----------
        rgba : (height * width * 4) bytes, Uint8Array or ndarray
            Upright straight-alpha RGBA (``ImageData.data``), ideally already near the working size.
        width, height : int
        photo_id : int
        data : bytes or Uint8Array, optional
            The original file, kept until the open ends like :meth:`open_photo` keeps it.
        """
        self._opening = None
        rgb = photo_from_pixels(_as_rgba(rgba, width, height))
        self._opening = {
            "id": int(photo_id),
            "rgb": rgb,
            "raw_depth": None,
            "data": b"" if data is None else _as_bytes(data),
        }
        alpha = np.full(rgb.shape[:2] + (1,), 255, dtype=np.uint8)
        return np.ascontiguousarray(np.concatenate([rgb, alpha], axis=2))

    @_out_of_memory_refused
    def attach_heif_depth(
        self, values, width: int, height: int, bits: int, representation=None, z_near=None, z_far=None
    ) -> None:
        """Record the depth image the worker's HEIF decoder found with the photo being opened (an iPhone
        portrait HEIC's auxiliary depth); :meth:`use_recorded_depth` takes it.

        Parameters
        ----------
        values : bytes or Uint8Array
            ``height * width`` samples, one byte each (`bits` <= 8) or two, little-endian.
        width, height, bits : int
        representation, z_near, z_far : int, float or None
            The depth representation info, as :func:`~diorama.embedded.depth_from_heif_image` takes it.
        """
        opening = self._require_opening()
        width, height, bits = int(width), int(height), int(bits)
        sample = np.dtype(np.uint8 if bits <= 8 else "<u2")
        data = _as_bytes(values)
        # a sample count or depth that doesn't match the size is a damaged image: heif_embedded_depth says so
        if 1 <= bits <= 16 and width > 0 and height > 0 and len(data) == width * height * sample.itemsize:
            samples = np.frombuffer(data, dtype=sample).reshape(height, width)
        else:
            samples, bits = np.zeros((0, 0), np.uint8), 8
        rows, columns = opening["rgb"].shape[:2]
        opening["heif_depth"] = heif_embedded_depth(
            samples, (columns, rows), bits=bits, representation=representation, z_near=z_near, z_far=z_far
        )

    @_out_of_memory_refused
    def attach_second_view(self, rgba, width: int, height: int) -> None:
        """Record the right view the worker's HEIF decoder found with the photo being opened (an Apple
        spatial photo's ``ster`` pair; the photo is its left view); :meth:`use_recorded_depth` matches them."""
        opening = self._require_opening()
        view = photo_from_pixels(_as_rgba(rgba, width, height))
        if view.shape == opening["rgb"].shape:  # views of different sizes are not a stereo pair
            opening["second_view"] = view

    def _require_opening(self) -> dict:
        if self._opening is None:
            raise DioramaError("Open a photo first.")
        return self._opening

    def _require_photo(self) -> np.ndarray:
        if self.rgb is None:
            raise DioramaError("Open a photo first.")
        return self.rgb

    @_out_of_memory_refused
    def use_depth_map(self, data) -> None:
        """Take a user's depth map (white = near) for the photo being opened, resampled to its size.

        A map that can't be used abandons the photo being opened.
        """
        opening = self._require_opening()
        try:
            opening["raw_depth"] = load_depth_map(_as_bytes(data), opening["rgb"].shape[:2])
        except DioramaError:
            self._opening = None
            raise

    @_out_of_memory_refused
    def use_depth_pixels(self, rgba, width: int, height: int) -> None:
        """Take a user's depth map that the worker decoded (HEIC, AVIF: :func:`decoder_needed`), as
        :meth:`use_depth_map` takes a file (:func:`~diorama.depthmap.depth_map_from_pixels`)."""
        opening = self._require_opening()
        try:
            opening["raw_depth"] = depth_map_from_pixels(_as_rgba(rgba, width, height), opening["rgb"].shape[:2])
        except (DioramaError, ValueError):
            self._opening = None
            raise

    @_out_of_memory_refused
    def use_recorded_depth(self) -> tuple[str | None, str | None, str | None, str | None]:
        """Take the depth the photo being opened records: depth it carries (a HEIF depth image the worker
        attached, :meth:`attach_heif_depth`, else :func:`~diorama.embedded.find_embedded_depth`), else depth
        measured from two views (:meth:`attach_second_view`, else :func:`~diorama.embedded.stereo_views`;
        :func:`~diorama.stereo_match.disparity_from_views`).

        Returns
        -------
        source, format, label, note : str or None
            ``"embedded"`` or ``"stereo"``, the format (``"apple"``, ``"mpo"``, ...) and words for people
            (``"iPhone portrait"``) when depth was taken; else ``None`` three times and, when depth was
            there but unusable, a note for people (the model is then used).
        """
        opening = self._require_opening()
        shape = opening["rgb"].shape[:2]
        found, note = opening.get("heif_depth") or find_embedded_depth(opening["data"])
        if found is not None:
            opening["raw_depth"] = fit_to_photo(found.depth, shape)
            return "embedded", found.format, found.label, note
        if opening.get("second_view") is not None:
            left, right = opening["rgb"], opening["second_view"]
        else:
            views = stereo_views(opening["data"])
            if views is None:
                return None, None, None, note
            left, right = (np.asarray(view.convert("RGB")) for view in views)
        try:
            depth = disparity_from_views(left, right)
        except DioramaError as err:
            return None, None, None, f"{err} Diorama estimates depth instead."
        opening["raw_depth"] = fit_to_photo(depth, shape)
        return "stereo", stereo_format(opening["data"]), "stereo pair", note

    def opening_resembles_depth_map(self) -> bool:
        """Whether the photo being opened looks like a depth map (:func:`~diorama.depthmap.resembles_depth_map`):
        dropped alone, the page then asks for its photo instead of estimating the depth of a depth map."""
        return resembles_depth_map(self._require_opening()["rgb"])

    @_out_of_memory_refused
    def model_input(self) -> np.ndarray:
        """The photo being opened (else the current one) as the depth model's input, (1, 3, h, w) float32."""
        rgb = self._opening["rgb"] if self._opening is not None else self._require_photo()
        x, self._model_valid_hw = prepare_model_input(rgb)
        return np.ascontiguousarray(x, dtype=np.float32)

    @_out_of_memory_refused
    def black_is_near_agreement(self, output, height: int, width: int) -> float | None:
        """Whether the current depth (a dropped depth map, read white = near) was drawn black = near: its
        agreement with the model's depth when it clearly disagrees, else None (:func:`depthmap.black_is_near_agreement`).

        Parameters
        ----------
        output : (1, 1, height, width) float32
            The model's output for :meth:`model_input` of the current photo.
        """
        if self._model_valid_hw is None:
            raise DioramaError("The depth model ran without an input; call model_input first.")
        y = _as_float32(output).reshape(1, 1, int(height), int(width))
        model = disparity_from_output(y, self._model_valid_hw, self._model_valid_hw)
        return black_is_near_agreement(self.require_raw_depth(), model)

    @_out_of_memory_refused
    def use_model_output(self, output, height: int, width: int) -> None:
        """Take the model's (1, 1, height, width) output as the depth of the photo being opened."""
        opening = self._require_opening()
        if self._model_valid_hw is None:
            raise DioramaError("The depth model ran without an input; call model_input first.")
        y = _as_float32(output).reshape(1, 1, int(height), int(width))
        opening["raw_depth"] = disparity_from_output(y, self._model_valid_hw, opening["rgb"].shape[:2])

    @_out_of_memory_refused
    def commit(self, options=None, edits=()) -> tuple[np.ndarray, float, float]:
        """Post-process the depth of the photo being opened and make it the current photo.

        Parameters
        ----------
        options : dict or JsProxy, optional
            Post-processing options by name (:func:`~diorama.depthmap.postprocess_depth`).
        edits : list of {"op", "args"}, or a JsProxy of one, optional
            The person's edits of this photo as the page recorded them (every edit request, in the order it
            was sent: ``op`` one of ``"stroke"``, ``"popOut"``, ``"undo"``, ``"redo"``, ``"resetEdits"``,
            ``args`` as :meth:`paint`, :meth:`pop_out`, :meth:`undo` ... took them), replayed before
            post-processing: a new worker restores the edits and their undo history as they were.

        Returns
        -------
        texels, near, far
            Its display depth as :func:`~diorama.depthmap.depth_texels`.
        """
        opening = self._require_opening()
        self._opening = None  # whatever happens next, this open is over
        if opening["raw_depth"] is None:
            raise DioramaError("This photo has no depth yet.")
        options = _depth_options(options)
        held = (self.photo_id, self.rgb, self.raw_depth, self.display_depth, self.edits, self._invert)
        try:
            self.photo_id, self.rgb, self.raw_depth = opening["id"], opening["rgb"], opening["raw_depth"]
            self.edits, self._invert = DepthEdits(self.raw_depth.shape), bool(options.get("invert", False))
            for step in edits.to_py() if hasattr(edits, "to_py") else edits:
                self._replay(step["op"], step["args"])
            return self._show(options)
        except BaseException:  # all or nothing: the photo held before stays
            self.photo_id, self.rgb, self.raw_depth, self.display_depth, self.edits, self._invert = held
            raise

    def _replay(self, op: str, args: dict) -> None:
        """Make one recorded edit again (:meth:`commit`), as the request made it, display aside; a refusal is
        replayed too (it changed what it changed then: nothing, or the stroke it ended)."""
        options = _depth_options(args.get("options"))
        try:
            if op == "stroke":
                self._paint(
                    _as_float32(args["points"]).reshape(-1, 2),
                    _brush_options(args.get("brush")),
                    options,
                    bool(args.get("final")),
                )
            elif op == "popOut":
                self._pop_out(args["x"], args["y"], args.get("brush"), options)
            else:
                {"undo": self.edits.undo, "redo": self.edits.redo, "resetEdits": self.edits.reset}[op]()
        except DioramaError:
            pass

    def abandon(self) -> None:
        """Drop the photo being opened, if any (its open was cancelled); the current photo stays."""
        self._opening = None

    def require_raw_depth(self) -> np.ndarray:
        """The current depth before post-processing, with the person's edits, (H, W) float32 in [0, 1], 1 = near."""
        if self.raw_depth is None:
            raise DioramaError("This photo has no depth yet.")
        if self.edits is None:
            return np.ascontiguousarray(self.raw_depth)
        edited = self.edits.apply(self._edit_base())
        return np.ascontiguousarray(1 - edited if self._invert else edited)

    def _edit_base(self) -> np.ndarray:
        """The raw depth in the orientation edits are made in (near = 1 as shown)."""
        return 1 - self.raw_depth if self._invert else self.raw_depth

    def _orient(self, options: dict) -> None:
        """Follow the `invert` option: the edits keep their meaning (nearer stays nearer) in the new orientation."""
        self.edits.end_stroke()
        self._invert = bool(options.get("invert", False))

    @_out_of_memory_refused
    def adjust(self, options=None) -> tuple[np.ndarray, float, float]:
        """Post-process the current photo's depth again with new options; returns its display depth
        as :func:`~diorama.depthmap.depth_texels`."""
        return self._show(_depth_options(options))

    def _show(self, options: dict) -> tuple[np.ndarray, float, float]:
        """Post-process the edited depth with `options` into the display depth; its texels."""
        self._require_photo()
        self._orient(options)
        self.display_depth = postprocess_depth(self.require_raw_depth(), **options)
        return depth_texels(self.display_depth)

    @_out_of_memory_refused
    def paint(self, points, brush=None, options=None, final: bool = False) -> tuple[np.ndarray, float, float]:
        """Paint a piece of a brush stroke on the current photo's depth (the page streams a stroke in pieces).

        Parameters
        ----------
        points : (2 N,) float32 array or Float32Array
            x0, y0, x1, y1, ... in photo pixels; the first piece of a stroke starts it (ending the one
            before), the next ones continue it.
        brush : dict or JsProxy
            The brush options by name (options.py, stage ``"brush"``: tool, size in percent of the long
            side, strength).
        options : dict or JsProxy
            The depth options (post-processing), as :meth:`adjust` takes them.
        final : bool
            The stroke's last piece: it ends the stroke (one step of undo).

        Returns
        -------
        texels, near, far
            The display depth: while painting at most :data:`PREVIEW_SIDE` on the long side, for a quick
            look; after the last piece at full size, as :meth:`adjust` answers.
        """
        self._require_photo()
        options, brush = _depth_options(options), _brush_options(brush)
        began = not self.edits.painting
        box = self._paint(_as_float32(points).reshape(-1, 2), brush, options, final)
        if final or not self.edits.painting:
            return self._show(options)
        if began:
            base = self._edit_base()
            self._preview = StrokePreview(base, self.edits.offset, PREVIEW_SIDE)
        edited = self._preview.update(self.edits.offset, None if began else box)
        return depth_texels(postprocess_depth(1 - edited if self._invert else edited, **options))

    def _paint(self, xy: np.ndarray, brush: dict, options: dict, final: bool) -> tuple[slice, slice] | None:
        """:meth:`paint`'s edit: a piece of (N, 2) points; returns the rows and columns of the edit layer that
        its points after a stroke's first one changed (None: none)."""
        if not self.edits.painting:
            if not len(xy):
                return None
            self._orient(options)
            base = self._edit_base()
            try:
                self.edits.begin_stroke(
                    base,
                    brush["brush_tool"],
                    brush_radius(brush["brush_size"], base.shape),
                    brush["brush_strength"],
                    xy[0],
                )
            except ValueError as err:  # a brush the controls can't make (the automation API's caller)
                raise DioramaError(f"This brush can't paint: {err}.") from err
            xy = xy[1:]
        box = self.edits.extend_stroke(xy)
        if final:
            self.edits.end_stroke()
        return box

    @_out_of_memory_refused
    def pop_out(self, x: float, y: float, brush=None, options=None) -> tuple[np.ndarray, float, float]:
        """Bring the region tapped at (x, y) (photo pixels) forward by the brush strength times
        :data:`~diorama.edits.STEP` (:func:`~diorama.edits.pop_out`); returns the display depth as :meth:`adjust`."""
        options = _depth_options(options)
        self._pop_out(x, y, brush, options)
        return self._show(options)

    def _pop_out(self, x: float, y: float, brush, options: dict) -> None:
        """:meth:`pop_out`'s edit."""
        rgb = self._require_photo()
        self._orient(options)
        try:
            self.edits.pop_out(self._edit_base(), rgb, (x, y), STEP * _brush_options(brush)["brush_strength"])
        except ValueError as err:
            raise DioramaError(f"Tap on the photo to pop something out ({err}).") from err

    @_out_of_memory_refused
    def undo(self, options=None) -> tuple[np.ndarray, float, float]:
        """Undo the last edit; returns the display depth as :meth:`adjust`."""
        self._require_photo()
        self.edits.undo()
        return self._show(_depth_options(options))

    @_out_of_memory_refused
    def redo(self, options=None) -> tuple[np.ndarray, float, float]:
        """Redo the last undone edit; returns the display depth as :meth:`adjust`."""
        self._require_photo()
        self.edits.redo()
        return self._show(_depth_options(options))

    @_out_of_memory_refused
    def reset_edits(self, options=None) -> tuple[np.ndarray, float, float]:
        """Remove every edit (undoable); returns the display depth as :meth:`adjust`."""
        self._require_photo()
        self.edits.reset()
        return self._show(_depth_options(options))

    def edit_state(self) -> tuple[bool, bool]:
        """Whether there is an edit to undo, and one to redo."""
        return (False, False) if self.edits is None else (self.edits.can_undo, self.edits.can_redo)

    @_out_of_memory_refused
    def gdepth_jpeg(self) -> np.ndarray:
        """The current photo as one JPEG carrying its depth as GDepth (:func:`~diorama.embedded.photo_with_gdepth`),
        which the app, the CLI and other GDepth readers read back.

        The depth is the unprocessed one (the model's or the map's, with the person's edits), so opening the
        file again gives the same display depth with the same options.

        Returns
        -------
        (N,) ndarray of uint8
            The file's bytes.
        """
        return np.frombuffer(photo_with_gdepth(self._require_photo(), self.require_raw_depth()), dtype=np.uint8)

    @_out_of_memory_refused
    def depth_png(self, bits: int = 16) -> np.ndarray:
        """The current photo's display depth (settings and edits applied) as a grey PNG, white = near: the file
        the CLI's ``diorama depth --display`` writes (:func:`~diorama.depthmap.depth_png`); `bits` 16, or 8.

        Returns
        -------
        (N,) ndarray of uint8
            The file's bytes.
        """
        if self.display_depth is None:
            raise DioramaError("This photo has no depth yet.")
        return np.frombuffer(depth_png(self.display_depth, bits), dtype=np.uint8)

    def _layered_scene(self):
        """The current photo, its display depth refined as the renderer draws it, and its two layers (made once per
        photo and display depth)."""
        run_steps(self._scene_steps())
        return self._scene[0], *self._scene[2:]

    def _scene_steps(self):
        """:meth:`_layered_scene`'s work as a generator pausing after the refinement (:meth:`layer_steps`)."""
        if self.display_depth is None:
            raise DioramaError("This photo has no depth yet.")
        rgb = self._require_photo()
        if self._scene is not None and self._scene[0] is rgb and self._scene[1] is self.display_depth:
            return
        self._scene = None  # free the old layers before making new ones
        refined, split = yield from renderer_layer_steps(rgb, self.display_depth)
        self._scene = (rgb, self.display_depth, refined, split)

    @_out_of_memory_refused
    def mesh_glb(self) -> np.ndarray:
        """The current photo as a textured 3D mesh of its two layers, binary glTF (:func:`~diorama.mesh.layered_glb`).

        The layers are the renderer's (:meth:`layers`) for the current display depth, so the mesh has the
        depth the person sees, with their settings.

        Returns
        -------
        (N,) ndarray of uint8
            The ``.glb`` file's bytes.
        """
        rgb, refined, split = self._layered_scene()
        return np.frombuffer(layered_glb(rgb, refined, split.background_rgb, split.background_depth), dtype=np.uint8)

    @_out_of_memory_refused
    def photo_3d_html(self, strength: float, focus: float) -> np.ndarray:
        """The current photo as a 3D photo in one HTML file (:func:`~diorama.photo3d.photo_3d_html`), with the
        renderer's layers for the current display depth and the view's `strength` and `focus`.

        Returns
        -------
        (N,) ndarray of uint8
            The file's bytes (UTF-8 HTML).
        """
        rgb, refined, split = self._layered_scene()
        html = photo_3d_html(rgb, refined, split, strength=float(strength), focus=float(focus))
        return np.frombuffer(html, dtype=np.uint8)

    @_out_of_memory_refused
    def layers(self) -> tuple[np.ndarray, np.ndarray, float, float]:
        """The layered renderer's textures for the current display depth (:meth:`commit`, :meth:`adjust`).

        Returns
        -------
        back, layers, near, far
            :func:`~diorama.depthmap.layer_texels` of the renderer's layers
            (:func:`~diorama.layers.renderer_layers`: the foreground's depth refined, aligned to the photo, near
            grown over its rim; the background filled behind near edges).
        """
        return run_steps(self.layer_steps())

    def layer_steps(self):
        """:meth:`layers` as a generator that pauses between its steps (refinement, split and fill, packing).

        The worker lets a newer request's cancel in at each pause, so a superseded photo's layers stop
        there instead of holding the next photo up; the generator's return value is :meth:`layers`'.
        A generator dropped half way leaves the studio as it was (the layers are kept only once made).
        """
        with refuse_when_out_of_memory():
            yield from self._scene_steps()
            yield "split"
            _, refined, split = self._layered_scene()
            return layer_texels(refined, split.background_rgb, split.background_depth, split.foreground_alpha)
