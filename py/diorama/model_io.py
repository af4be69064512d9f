"""Pre- and post-processing around the ONNX depth model, shared by the CLI and the browser.

The model (``models/depth.onnx``, packaged as ``diorama/data/depth.onnx``) takes ``image``:
(1, 3, h, w) float32 RGB / 255 with h and w multiples of 32, and returns ``disparity``:
(1, 1, h, w) float32 relative inverse depth (larger = nearer, arbitrary scale). The browser runs
it with onnxruntime-web between :func:`prepare_model_input` and :func:`disparity_from_output`;
CPython does the same in :func:`estimate_depth`.

NumPy and Pillow only, so the module runs in Pyodide too; onnxruntime is imported only inside
:func:`estimate_depth`.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image

from .depthmap import normalize_depth
from .errors import DioramaError

__all__ = [
    "LONG_SIDE",
    "default_model_path",
    "disparity_from_output",
    "estimate_depth",
    "model_input_size",
    "prepare_model_input",
]

LONG_SIDE = 384  # the model's working size: ~0.1 s single-threaded in wasm on a phone-class CPU
MULTIPLE = 32  # the network downsamples 5 times
# A photo wider (or taller) than 4:3 would have fewer pixels at LONG_SIDE than a 4:3 one, and a
# short side of a few dozen pixels for panoramas: it gets a longer long side instead, up to the
# pixel count of a 4:3 photo (so no photo costs more than 384 x 288) and at most MAX_SCALE x
# LONG_SIDE. Measured on the real pairs of ../shared/eval: KITTI's 3.3:1 frames at 605 x 183
# instead of 384 x 116 score AbsRel 0.190-0.294 instead of 0.274-0.324 (models/README.md).
ASPECT = 4 / 3
MAX_SCALE = 2


def model_input_size(height: int, width: int, long_side: int = LONG_SIDE) -> tuple[int, int]:
    """The size a photo is resized to before padding: aspect ratio kept, long side `long_side`.

    Parameters
    ----------
    height, width : int
        The photo's size, >= 1.
    long_side : int, optional
        Target length of the longer side.

    Returns
    -------
    (h, w) : tuple of int
        Unpadded model input size. Photos more elongated than 4:3 keep the pixel count of a 4:3
        photo at `long_side` (``long_side**2 * 3 / 4``) by a longer long side, up to
        ``MAX_SCALE * long_side``.

    Examples
    --------
    >>> model_input_size(768, 1024)
    (288, 384)
    >>> model_input_size(1000, 1000)
    (384, 384)
    >>> model_input_size(375, 1242)  # a KITTI frame
    (183, 605)
    >>> model_input_size(100, 1000)
    (77, 768)
    """
    long = max(height, width)
    budget = long_side * long_side / ASPECT
    scale = max(long_side / long, min(math.sqrt(budget / (height * width)), MAX_SCALE * long_side / long))
    return max(1, round(height * scale)), max(1, round(width * scale))


def prepare_model_input(rgb: np.ndarray, *, long_side: int = LONG_SIDE) -> tuple[np.ndarray, tuple[int, int]]:
    """Resize a photo for the model and pad it to multiples of 32.

    Parameters
    ----------
    rgb : (H, W, 3) ndarray of uint8
        The photo.
    long_side : int, optional
        Length of the longer side after resizing (see :func:`model_input_size`).

    Returns
    -------
    x : (1, 3, h_pad, w_pad) ndarray of float32
        RGB / 255 in [0, 1]; the resized photo in the top-left ``valid_hw`` corner, reflected
        into the padding (bottom and right) so the padding looks like more photo, not an edge.
    valid_hw : (int, int)
        The unpadded size (h, w); ``h_pad, w_pad`` are it rounded up to multiples of 32.

    Notes
    -----
    Shrinking uses Pillow's box filter (an area average, close to how the teacher's inputs were
    made); enlarging small photos uses bilinear.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or 0 in rgb.shape:
        raise ValueError(
            f"rgb must be a non-empty (H, W, 3) uint8 array, got shape {rgb.shape} "
            f"and dtype {rgb.dtype}; load photos with diorama.photo.load_photo"
        )
    h, w = model_input_size(*rgb.shape[:2], long_side)
    shrink = h * w <= rgb.shape[0] * rgb.shape[1]
    image = Image.fromarray(rgb).resize((w, h), Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR)
    pad = ((0, -h % MULTIPLE), (0, -w % MULTIPLE), (0, 0))
    # numpy's reflect repeats the reflection when the pad exceeds the side (tiny inputs).
    padded = np.pad(np.asarray(image), pad, mode="reflect" if min(h, w) > 1 else "edge")
    x = padded.transpose(2, 0, 1)[None].astype(np.float32) / np.float32(255)
    return x, (h, w)


def disparity_from_output(y: np.ndarray, valid_hw: tuple[int, int], out_shape: tuple[int, int]) -> np.ndarray:
    """Turn the model's output into app depth: crop the padding, resize, normalise.

    Parameters
    ----------
    y : (1, 1, h_pad, w_pad) ndarray of float32
        The model's ``disparity`` output.
    valid_hw : (int, int)
        The unpadded size that :func:`prepare_model_input` returned.
    out_shape : (int, int)
        (H, W) of the result, usually the photo's ``shape[:2]``.

    Returns
    -------
    depth : (H, W) ndarray of float32
        In [0, 1], 1 = nearest: the 1st..99th percentile range of the disparity stretched to
        [0, 1] (:func:`diorama.depthmap.normalize_depth`); resized bilinearly as float.
    """
    y = np.asarray(y, dtype=np.float32)
    h, w = valid_hw
    if y.ndim != 4 or y.shape[:2] != (1, 1) or y.shape[2] < h or y.shape[3] < w:
        raise ValueError(f"model output must be (1, 1, >={h}, >={w}), got shape {y.shape}")
    height, width = (int(v) for v in out_shape)
    crop = np.ascontiguousarray(y[0, 0, :h, :w])
    resized = np.asarray(Image.fromarray(crop, mode="F").resize((width, height), Image.Resampling.BILINEAR))
    return normalize_depth(resized)


def default_model_path() -> Path:
    """The ONNX model shipped inside the package (``diorama/data/depth.onnx``)."""
    return Path(str(resources.files("diorama") / "data" / "depth.onnx"))


def estimate_depth(rgb: np.ndarray, model_path: str | Path | None = None, *, threads: int | None = None) -> np.ndarray:
    """Depth for one photo with onnxruntime (CPython only).

    Parameters
    ----------
    rgb : (H, W, 3) ndarray of uint8
        The photo.
    model_path : str or Path, optional
        An ONNX model with the same contract; the packaged model by default.
    threads : int, optional
        onnxruntime's threads for the model (its intra-op pool; one inter-op thread); by default onnxruntime's
        own choice (one per core). Processes sharing a machine each take their share (``diorama -j``).

    Returns
    -------
    depth : (H, W) ndarray of float32
        In [0, 1], 1 = nearest (see :func:`disparity_from_output`).
    """
    session = _session(str(model_path or default_model_path()), require_onnxruntime(), threads)
    x, valid_hw = prepare_model_input(rgb)
    (y,) = session.run(["disparity"], {"image": x})
    return disparity_from_output(y, valid_hw, rgb.shape[:2])


_SESSIONS: dict = {}


def require_onnxruntime():
    """The onnxruntime module, or a DioramaError saying how to install it (the ``depth`` extra).

    Not available in Pyodide (the browser uses onnxruntime-web) and not needed to build or serve the site,
    so only the CPython depth commands ask for it.
    """
    try:
        import onnxruntime
    except ModuleNotFoundError as err:
        raise DioramaError(
            "depth from the model in CPython needs onnxruntime: pip install 'diorama[depth]' "
            "(or drop the photo into the web page, which runs the model itself)"
        ) from err
    return onnxruntime


def _session(path: str, onnxruntime, threads: int | None = None):
    """One inference session per model file and thread count: creating it costs more than a run."""
    if (path, threads) not in _SESSIONS:
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        _SESSIONS[path, threads] = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return _SESSIONS[path, threads]
