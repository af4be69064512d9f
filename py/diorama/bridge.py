"""Entry points for the web worker: the only module that knows it may run in Pyodide.

The worker holds one :class:`Studio` per page. JavaScript hands bytes in as
``Uint8Array`` proxies and reads results out of the returned NumPy arrays with
``getBuffer()`` (a view into wasm memory, copied once on the JS side), so no
per-pixel conversion ever crosses the bridge. In CPython the same methods take
``bytes`` and ``numpy`` arrays, which is how the unit tests drive them.
"""

from __future__ import annotations

import numpy as np

from .depthmap import DEFAULT_CONTRAST, depth_to_uint8, load_depth_map, postprocess_depth
from .errors import DioramaError
from .layers import split_layers
from .model_io import disparity_from_output, prepare_model_input
from .photo import is_depth_like, load_photo
from .refine import refine_depth


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


def looks_like_depth_map(data) -> bool:
    """Whether an image file is single-channel, i.e. probably a depth map (header only)."""
    return is_depth_like(_as_bytes(data))


class Studio:
    """The photo being shown and its unprocessed depth, so that slider changes skip decoding; and the
    photo being opened, which replaces it only once its depth is known (all or nothing).

    Methods return C-contiguous NumPy arrays ready for ``getBuffer()``.
    """

    def __init__(self) -> None:
        self.rgb: np.ndarray | None = None  # (H, W, 3) uint8
        self.raw_depth: np.ndarray | None = None  # (H, W) float32 in [0, 1], 1 = near
        self.display_depth: np.ndarray | None = None  # raw_depth after the last depth() post-processing
        self._opening: np.ndarray | None = None  # the photo being opened, until its depth is known
        self._model_valid_hw: tuple[int, int] | None = None

    def open_photo(self, data) -> np.ndarray:
        """Decode a photo to be opened; returns it as (H, W, 4) uint8 RGBA.

        It becomes the current photo only once its depth is known (:meth:`use_depth_map`, or the
        model's output in :meth:`use_model_output`): until then, and for good when decoding or
        its depth fails, the previous photo stays current with its depth, so sliders, layers and
        export keep working on it.
        """
        rgb = load_photo(_as_bytes(data))
        self._opening = rgb
        alpha = np.full(rgb.shape[:2] + (1,), 255, dtype=np.uint8)
        return np.ascontiguousarray(np.concatenate([rgb, alpha], axis=2))

    def _require_opening(self) -> np.ndarray:
        if self._opening is None:
            raise DioramaError("Open a photo first.")
        return self._opening

    def _require_photo(self) -> np.ndarray:
        if self.rgb is None:
            raise DioramaError("Open a photo first.")
        return self.rgb

    def _commit(self, raw_depth: np.ndarray) -> None:
        """The photo being opened, with its depth, becomes the current photo."""
        self.rgb, self.raw_depth, self.display_depth = self._opening, raw_depth, None
        self._opening = None

    def use_depth_map(self, data) -> None:
        """Take a user's depth map (white = near) for the photo being opened, resampled to its size.

        A map that can't be used abandons the photo being opened (the current one stays).
        """
        try:
            depth = load_depth_map(_as_bytes(data), self._require_opening().shape[:2])
        except DioramaError:
            self._opening = None
            raise
        self._commit(depth)

    def model_input(self) -> np.ndarray:
        """The photo being opened as the depth model's input, (1, 3, h, w) float32."""
        x, self._model_valid_hw = prepare_model_input(self._require_opening())
        return np.ascontiguousarray(x, dtype=np.float32)

    def use_model_output(self, output, height: int, width: int) -> None:
        """Take the model's (1, 1, height, width) output as the depth of the photo being opened, which
        then becomes the current photo."""
        if self._model_valid_hw is None or self._opening is None:
            raise DioramaError("The depth model ran without an input; call model_input first.")
        y = _as_float32(output).reshape(1, 1, int(height), int(width))
        self._commit(disparity_from_output(y, self._model_valid_hw, self._opening.shape[:2]))

    def require_raw_depth(self) -> np.ndarray:
        """The current depth before post-processing, (H, W) float32 in [0, 1], 1 = near."""
        if self.raw_depth is None:
            raise DioramaError("This photo has no depth yet.")
        return np.ascontiguousarray(self.raw_depth)

    def depth(self, invert: bool = False, contrast: float = DEFAULT_CONTRAST, smoothing: float = 1.0,
              curve: str = "soft") -> np.ndarray:
        """The current depth after post-processing (:func:`~diorama.depthmap.postprocess_depth`),
        (H, W) uint8, 255 = near."""
        processed = postprocess_depth(self.require_raw_depth(), invert=bool(invert), contrast=float(contrast),
                                      smoothing=float(smoothing), curve=str(curve))
        self.display_depth = processed
        return np.ascontiguousarray(depth_to_uint8(processed))

    def layers(self) -> tuple[np.ndarray, np.ndarray, float, float]:
        """The layered renderer's textures for the depth last returned by :meth:`depth`.

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
