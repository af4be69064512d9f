"""Entry points for the web worker: the only module that knows it may run in Pyodide.

The worker holds one :class:`Studio` per page. JavaScript hands bytes in as
``Uint8Array`` proxies and reads results out of the returned NumPy arrays with
``getBuffer()`` (a view into wasm memory, copied once on the JS side), so no
per-pixel conversion ever crosses the bridge. In CPython the same methods take
``bytes`` and ``numpy`` arrays, which is how the unit tests drive them.
"""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image

from .depthmap import (depth_map_from_pixels, depth_texels, depth_to_uint8, load_depth_map, postprocess_depth,
                       resembles_depth_map)
from .embedded import (find_embedded_depth, fit_to_photo, heif_embedded_depth, stereo_format, stereo_views,
                       write_gdepth)
from .errors import DioramaError, refuse_when_out_of_memory
from .layers import split_layers
from .model_io import disparity_from_output, prepare_model_input
from .photo import MAX_PIXELS, browser_format, is_depth_like, load_photo, photo_from_pixels
from .refine import refine_depth
from .stereo_match import disparity_from_views


def _as_bytes(data) -> bytes:
    """``bytes`` from a Python buffer or a Pyodide JsProxy of a typed array."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    return data.to_bytes()


def _as_float32(data) -> np.ndarray:
    """A flat float32 array from a NumPy array or a Pyodide JsProxy of a Float32Array."""
    if isinstance(data, np.ndarray):
        return data.astype(np.float32, copy=False).ravel()
    return np.frombuffer(data.to_py(), dtype=np.float32)


def _as_rgba(data, width: int, height: int) -> np.ndarray:
    """(height, width, 4) uint8 from a buffer or a Pyodide JsProxy of a Uint8Array/Uint8ClampedArray (one copy)."""
    flat = np.frombuffer(data if isinstance(data, (bytes, bytearray, memoryview, np.ndarray)) else data.to_py(),
                         dtype=np.uint8)
    if flat.size != int(width) * int(height) * 4:
        raise ValueError(f"{flat.size} bytes are not {width} x {height} RGBA pixels")
    return flat.reshape(int(height), int(width), 4)


LONG_SIDE = 2048
"""The working long side of a photo (:func:`~diorama.photo.load_photo`'s default)."""


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
    return None if kind is None else (kind, LONG_SIDE, MAX_PIXELS)


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
    """

    def __init__(self) -> None:
        self.photo_id: int | None = None  # the page's id of the current photo
        self.rgb: np.ndarray | None = None  # (H, W, 3) uint8
        self.raw_depth: np.ndarray | None = None  # (H, W) float32 in [0, 1], 1 = near
        self.display_depth: np.ndarray | None = None  # raw_depth post-processed as last shown
        self._opening: dict | None = None  # {"id", "rgb", "raw_depth"} of the photo being opened
        self._model_valid_hw: tuple[int, int] | None = None

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
        self._opening = {"id": int(photo_id), "rgb": rgb, "raw_depth": None,
                         "data": b"" if data is None else _as_bytes(data)}
        alpha = np.full(rgb.shape[:2] + (1,), 255, dtype=np.uint8)
        return np.ascontiguousarray(np.concatenate([rgb, alpha], axis=2))

    @_out_of_memory_refused
    def attach_heif_depth(self, values, width: int, height: int, bits: int, representation=None, z_near=None,
                          z_far=None) -> None:
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
        count = int(width) * int(height)
        samples = np.frombuffer(_as_bytes(values), dtype=np.uint8 if int(bits) <= 8 else np.dtype("<u2"))
        # a sample count that doesn't match the size is a damaged image: heif_embedded_depth says so
        samples = samples.reshape(int(height), int(width)) if samples.size == count else np.zeros((0, 0), np.uint8)
        rows, columns = opening["rgb"].shape[:2]
        opening["heif_depth"] = heif_embedded_depth(samples, (columns, rows), bits=int(bits),
                                                    representation=representation, z_near=z_near, z_far=z_far)

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
    def agreement_with_model(self, output, height: int, width: int) -> float:
        """How well the current depth (a dropped depth map) agrees with the model's for the same photo.

        Parameters
        ----------
        output : (1, 1, height, width) float32
            The model's output for :meth:`model_input` of the current photo.

        Returns
        -------
        float
            Pearson correlation of the two depths (1 = near both) at the model's resolution, in [-1, 1]:
            clearly negative for a map drawn black = near (Lens Blur, Depthy) read as white = near.
        """
        if self._model_valid_hw is None:
            raise DioramaError("The depth model ran without an input; call model_input first.")
        y = _as_float32(output).reshape(1, 1, int(height), int(width))
        h, w = self._model_valid_hw
        model = disparity_from_output(y, self._model_valid_hw, (h, w))
        mine = fit_to_photo(self.require_raw_depth(), (h, w))
        if model.std() < 1e-6 or mine.std() < 1e-6:
            return 0.0
        return float(np.corrcoef(model.ravel(), mine.ravel())[0, 1])

    @_out_of_memory_refused
    def use_model_output(self, output, height: int, width: int) -> None:
        """Take the model's (1, 1, height, width) output as the depth of the photo being opened."""
        opening = self._require_opening()
        if self._model_valid_hw is None:
            raise DioramaError("The depth model ran without an input; call model_input first.")
        y = _as_float32(output).reshape(1, 1, int(height), int(width))
        opening["raw_depth"] = disparity_from_output(y, self._model_valid_hw, opening["rgb"].shape[:2])

    @_out_of_memory_refused
    def commit(self, options=None) -> tuple[np.ndarray, float, float]:
        """Post-process the depth of the photo being opened and make it the current photo.

        Parameters
        ----------
        options : dict or JsProxy, optional
            Post-processing options by name (:func:`~diorama.depthmap.postprocess_depth`).

        Returns
        -------
        texels, near, far
            Its display depth as :func:`~diorama.depthmap.depth_texels`.
        """
        opening = self._require_opening()
        self._opening = None  # whatever happens next, this open is over
        if opening["raw_depth"] is None:
            raise DioramaError("This photo has no depth yet.")
        display = postprocess_depth(opening["raw_depth"], **_depth_options(options))
        self.photo_id, self.rgb, self.raw_depth = opening["id"], opening["rgb"], opening["raw_depth"]
        self.display_depth = display
        return depth_texels(display)

    def abandon(self) -> None:
        """Drop the photo being opened, if any (its open was cancelled); the current photo stays."""
        self._opening = None

    def require_raw_depth(self) -> np.ndarray:
        """The current depth before post-processing, (H, W) float32 in [0, 1], 1 = near."""
        if self.raw_depth is None:
            raise DioramaError("This photo has no depth yet.")
        return np.ascontiguousarray(self.raw_depth)

    @_out_of_memory_refused
    def adjust(self, options=None) -> tuple[np.ndarray, float, float]:
        """Post-process the current photo's depth again with new options; returns its display depth
        as :func:`~diorama.depthmap.depth_texels`."""
        display = postprocess_depth(self.require_raw_depth(), **_depth_options(options))
        self.display_depth = display
        return depth_texels(display)

    @_out_of_memory_refused
    def gdepth_jpeg(self) -> np.ndarray:
        """The current photo as one JPEG carrying its depth as GDepth (:func:`~diorama.embedded.write_gdepth`),
        which the app, the CLI and other GDepth readers read back.

        The depth is the unprocessed one (the model's or the map's), so opening the file again gives the same
        display depth with the same options.

        Returns
        -------
        (N,) ndarray of uint8
            The file's bytes.
        """
        rgb = self._require_photo()
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, "JPEG", quality=92)
        return np.frombuffer(write_gdepth(buf.getvalue(), self.require_raw_depth()), dtype=np.uint8)

    @_out_of_memory_refused
    def layers(self) -> tuple[np.ndarray, np.ndarray, float, float]:
        """The layered renderer's textures for the current display depth (:meth:`commit`, :meth:`adjust`).

        The foreground layer is the photo itself (already on the GPU), so only its opacity travels.

        Returns
        -------
        back : (H, W, 4) uint8
            The background layer's colour (the photo filled behind near edges) in RGB; A = the
            foreground's opacity (0 just beyond near edges), to be sampled with linear filtering
            for a smooth cut. The background layer itself is opaque.
        layers : (H, W, 4) uint8
            R = the foreground's depth (refined: aligned to the photo, near grown over its rim),
            G = the background layer's depth (255 = near), B = 0, A = the foreground's opacity (0
            just beyond near edges). Grey depth texels (R = G = B = depth, A = 255) are thus valid
            layers too: a single layer.
        near, far : float
            Largest and smallest depth in either layer, in [0, 1].
        """
        if self.display_depth is None:
            raise DioramaError("This photo has no depth yet.")
        rgb = self._require_photo()
        refined = refine_depth(self.display_depth, rgb)
        split = split_layers(rgb, refined, cut=3)
        h, w = refined.shape
        back = np.empty((h, w, 4), np.uint8)
        back[..., :3] = split.background_rgb
        back[..., 3] = np.rint(split.foreground_alpha * 255).astype(np.uint8)
        packed = np.empty((h, w, 4), np.uint8)
        packed[..., 0] = depth_to_uint8(refined)
        packed[..., 1] = depth_to_uint8(split.background_depth)
        packed[..., 2] = 0
        packed[..., 3] = np.rint(split.foreground_alpha * 255).astype(np.uint8)
        near = float(packed[..., :2].max()) / 255
        far = float(packed[..., :2].min()) / 255
        return back, packed, near, far
