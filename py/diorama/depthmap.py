"""Depth maps: read a person's depth image, post-process depth, and quantise it for display.

Depth inside the app is an (H, W) float32 array in [0, 1] where larger means nearer (like
disparity). Every function here takes depth through one dtype policy (:func:`as_depth`):
bool, integer and floating arrays are converted to float32 by value, anything else is refused,
and NaN or infinity is an error (they would spread through the blur and the mean).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .errors import refuse_when_out_of_memory
from .filters import block_mean, gaussian_blur, resize_bilinear
from .options import option
from .photo import apply_orientation, decode, exif_orientation, grey_to_unit, luma, open_image

__all__ = [
    "CURVES",
    "SEED_RECIPE",
    "as_depth",
    "black_is_near_agreement",
    "depth_png",
    "depth_texels",
    "depth_to_uint16",
    "depth_to_uint8",
    "layer_texels",
    "load_depth_map",
    "normalize_depth",
    "postprocess_depth",
    "resembles_depth_map",
]

# Smoothing's Gaussian sigma is `smoothing * max(H, W) / _SMOOTHING_SCALE` pixels, so the same slider
# value looks the same at every working size (sigma = 4 px at 2048 px).
_SMOOTHING_SCALE = 512


def as_depth(depth, *, name: str = "depth") -> np.ndarray:
    """Check a depth array and return it as (H, W) float32 (the pipeline's one dtype policy).

    Parameters
    ----------
    depth : (H, W) array_like of bool, int or float
        Values are taken as they are (integers are not rescaled).
    name : str, optional
        What to call the array in error messages.

    Returns
    -------
    depth : (H, W) ndarray of float32
        The input itself when it already is float32, else a converted copy.

    Raises
    ------
    ValueError
        Not 2-D, empty, or containing NaN or infinity.
    TypeError
        Not a real numeric dtype.
    """
    array = np.asarray(depth)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 2-D (H, W) array, got shape {array.shape}; "
            "pass one channel, e.g. depth[..., 0]"
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}; convert it with .astype(np.float32)")
    array = array.astype(np.float32, copy=False)
    bad = array.size - int(np.count_nonzero(np.isfinite(array)))
    if bad:
        raise ValueError(f"{name} has {bad} NaN or infinite values; replace them first, e.g. with np.nan_to_num")
    return array


def _check_shape(shape) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in shape)
        valid = height >= 1 and width >= 1 and all(float(v) == int(v) for v in shape)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(f"shape must be (height, width) of positive integers, got {shape!r}; pass photo.shape[:2]")
    return height, width


def load_depth_map(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    """Read a depth map image (white = near) and resample it to the photo's size.

    Parameters
    ----------
    data : bytes
        A depth image in any format and mode :func:`diorama.photo.load_photo` reads: usually an
        8- or 16-bit grey PNG, or a grey or colour JPEG.
    shape : (int, int)
        (height, width) of the photo it belongs to, e.g. ``photo.shape[:2]``.

    Returns
    -------
    depth : (H, W) ndarray of float32
        In [0, 1], 1 where the image is white (taken as near); ``(H, W) == shape``.

    Raises
    ------
    DioramaError
        For files that can't be used, with the same checks and messages as photos.

    Notes
    -----
    - Values: see :func:`diorama.photo.grey_to_unit`. 16-bit PNGs keep their 16-bit precision
      (``v / 65535``); colour images become luminance ``0.299 R + 0.587 G + 0.114 B`` (for
      JPEG, the luma plane the file stores); alpha is ignored.
    - EXIF orientation is applied before resampling, as for the photo.
    - A map of another size is resampled bilinearly as float (Pillow mode ``F``, which filters
      when shrinking). A map of another *aspect ratio* is stretched to the photo's frame: depth
      maps describe the same frame as their photo, only perhaps at another resolution (some
      tools write square maps), so cropping would lose part of it.
    """
    height, width = _check_shape(shape)
    image = open_image(data)
    # The JPEG decode size is in the stored frame: (height, width) when stored sideways.
    stored = (height, width) if exif_orientation(image) >= 5 else (width, height)
    with refuse_when_out_of_memory():
        image, orientation = decode(image, draft_mode="L", at_least=stored)
        unit = grey_to_unit(apply_orientation(_reduce_towards(image, stored), orientation))
        if unit.shape != (height, width):
            resized = Image.fromarray(unit).resize((width, height), Image.Resampling.BILINEAR)
            unit = np.clip(np.asarray(resized, dtype=np.float32), 0, 1)
        return np.ascontiguousarray(unit, dtype=np.float32)


def depth_map_from_pixels(rgba: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A depth map decoded elsewhere (a HEIC or AVIF map, by the browser's worker), as :func:`load_depth_map`
    returns a depth map file.

    Parameters
    ----------
    rgba : (h, w, 4) ndarray of uint8
        Upright pixels; luminance ``0.299 R + 0.587 G + 0.114 B`` is the depth (white = near), alpha is ignored.
    shape : (int, int)
        (height, width) of the photo it belongs to.

    Returns
    -------
    depth : (H, W) ndarray of float32
        In [0, 1], ``(H, W) == shape``, stretched to the photo's frame as :func:`load_depth_map` does.

    Examples
    --------
    >>> rgba = np.zeros((1, 2, 4), np.uint8); rgba[0, 1] = 255
    >>> depth_map_from_pixels(rgba, (1, 2)).tolist()
    [[0.0, 1.0]]
    """
    height, width = _check_shape(shape)
    image = Image.fromarray(np.ascontiguousarray(rgba[..., :3])).convert("L")
    if image.size != (width, height):
        image = image.convert("F").resize((width, height), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(image, dtype=np.float32) / np.float32(255), 0, 1)


def _reduce_towards(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Box-average a decoded image by the largest integer factor that keeps it at least `size`.

    A 12 MP map for a 2048 px photo is mostly pixels the bilinear resample would average anyway;
    reducing it in its own integer mode first costs ~20 ms, where turning all 12 MP into float32
    and resampling those costs ~250 ms in CPython (and twice that in Pyodide). Grey 8-bit values
    are averaged with rounding (at most half a grey level, below what the bilinear step keeps).

    Parameters
    ----------
    image : PIL.Image.Image
        Loaded, as stored.
    size : (int, int)
        (width, height) wanted, in the same frame.

    Returns
    -------
    image : PIL.Image.Image
        `image` itself when it is less than twice `size` on either side; else a reduced copy in a
        mode :func:`~diorama.photo.grey_to_unit` reads the same way (``I;16`` becomes ``I``,
        colour and palette images become ``L``).
    """
    factor = min(image.width // size[0], image.height // size[1])
    if factor < 2:
        return image
    if image.mode.startswith("I;16"):
        image = image.convert("I")  # same values; Pillow reduces 32-bit integers, not I;16
    elif image.mode not in ("L", "I", "F"):
        image = luma(image)  # what grey_to_unit would take
    return image.reduce(factor)


def normalize_depth(depth, *, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """Stretch depth to [0, 1] by a robust range: the `low` and `high` percentiles.

    Parameters
    ----------
    depth : (H, W) array_like
        Any range (see :func:`as_depth`).
    low, high : float, optional
        Percentiles (0-100, ``low < high``) mapped to 0 and 1; values beyond them are clipped,
        so a few outliers don't squash everything else.

    Returns
    -------
    normalized : (H, W) ndarray of float32
        ``clip((d - p_low) / (p_high - p_low), 0, 1)``. When the percentiles coincide (more than
        `high - low` percent of the map is one value) the full min..max range is used instead;
        a constant map gives 0.5 everywhere (no depth, so the middle).

    Examples
    --------
    >>> normalize_depth(np.array([[0.0, 15.0], [30.0, 60.0]]), low=0, high=100).tolist()
    [[0.0, 0.25], [0.5, 1.0]]
    """
    d = as_depth(depth)
    if not 0 <= low < high <= 100:
        raise ValueError(f"need 0 <= low < high <= 100, got low={low!r}, high={high!r}; the defaults are 1 and 99")
    # Large maps: every other row and column gives the same robust range at a quarter of the cost.
    sample = d[::2, ::2] if d.size > 1 << 20 else d
    lo, hi = (float(v) for v in np.percentile(sample, [low, high]))
    if not hi - lo > _flat_tolerance(lo, hi):
        lo, hi = float(d.min()), float(d.max())
    if not hi - lo > _flat_tolerance(lo, hi):
        return np.full(d.shape, 0.5, dtype=np.float32)
    normalized = (d.astype(np.float64) - lo) / (hi - lo)  # float64: hi - lo may be tiny or huge
    return np.clip(normalized, 0, 1).astype(np.float32)


def _flat_tolerance(lo: float, hi: float) -> float:
    return 1e-6 * max(1.0, abs(lo), abs(hi))


CURVES = tuple(choice.value for choice in option("curve").choices)
"""Contrast curves of :func:`postprocess_depth`: ``"soft"`` (the default) never pins depth to the ends;
``"linear"`` is the seed blog's Pillow ``ImageEnhance.Contrast``, clipped."""

SEED_RECIPE = {"curve": "linear", **next(c.sets for c in option("curve").choices if c.value == "linear")}
"""The seed blog's post-processing (its invert is built in: our depth is already white = near)."""


def postprocess_depth(
    depth, *, invert: bool = False, contrast: float = 1.5, smoothing: float = 1.0, curve: str = "soft"
) -> np.ndarray:
    """Turn raw depth into display depth: invert, normalise, add contrast, smooth.

    Parameters
    ----------
    depth : (H, W) array_like
        Raw depth, any range, larger = nearer (see :func:`as_depth`).
    invert : bool, optional
        Flip near and far, for maps where black means near (Google Lens Blur, Depthy).
    contrast : float, optional
        Factor >= 0: the slope of the contrast curve at the mean depth; 1 leaves the normalised
        depth unchanged, 0 makes it flat. The default (with the soft curve) was chosen on the stereo
        benchmark (tests/stereo.py) and by pinning at most 10 percentage points more pixels near the
        ends than the model's own depth (docs/quality.md).
    smoothing : float, optional
        Blur strength >= 0: a Gaussian of sigma ``smoothing * max(H, W) / 512`` pixels
        (4 px at 2048 px); 0 disables it.
    curve : {"soft", "linear"}, optional
        ``"soft"`` stretches depth around the mean and compresses it towards the ends without ever
        reaching them, so no contrast makes the depth two flat planes; ``"linear"`` is the seed's
        recipe (:data:`SEED_RECIPE`), which clips everything beyond the stretched range.

    Returns
    -------
    depth : (H, W) ndarray of float32
        In [0, 1], 1 = near; same shape as the input.

    Notes
    -----
    With ``d`` the input, in this order:

    1. invert: ``d <- -d`` (the normalisation below maps it into [0, 1], so this is ``1 - d``
       for depth already in [0, 1]);
    2. normalise: ``n = clip((d - p1) / (p99 - p1), 0, 1)`` with ``p1``, ``p99`` the 1st and
       99th percentiles (:func:`normalize_depth`);
    3. contrast around ``m = mean(n)``:

       - linear: ``c = clip(m + contrast * (n - m), 0, 1)``, which is what the seed blog's
         Pillow ``ImageEnhance.Contrast(image).enhance(5)`` computes on 8 bits;
       - soft: ``c = m + L * tanh(contrast * artanh((n - m) / L))`` with ``L = m`` below the mean
         and ``1 - m`` above it: slope `contrast` at the mean, 0 and 1 stay where they are, and
         nothing between them reaches them (contrast 1 is the identity);
    4. smoothing: :func:`diorama.filters.gaussian_blur` (three box means per axis, close to a
       Gaussian; windows clipped at the borders; the cost does not grow with sigma). Sigmas under
       ~0.6 px round to no blur at all.

    Every step keeps [0, 1] and maps a constant to a constant, and inverting commutes with all
    of them: ``postprocess_depth(d, invert=True) == 1 - postprocess_depth(d)`` up to rounding.

    Examples
    --------
    >>> d = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    >>> out = postprocess_depth(d, contrast=1.0, smoothing=0.0)
    >>> bool(np.allclose(out, normalize_depth(d)))
    True
    >>> soft = postprocess_depth(d, contrast=5.0, smoothing=0.0)
    >>> bool(soft.min() == 0 and soft.max() == 1 and np.all(np.diff(soft.ravel()) > 0))
    True
    """
    d = as_depth(depth)
    for label, value in (("contrast", contrast), ("smoothing", smoothing)):
        if not (isinstance(value, (int, float, np.number)) and np.isfinite(value) and value >= 0):
            fix = "use invert=True to swap near and far" if label == "contrast" else "0 disables it"
            raise ValueError(f"{label} must be a finite number >= 0, got {value!r}; {fix}")
    if curve not in CURVES:
        raise ValueError(f"curve must be one of {CURVES}, got {curve!r}")
    out = normalize_depth(-d if invert else d)
    if contrast != 1:
        out = (_soft_contrast if curve == "soft" else _linear_contrast)(out, float(contrast))
    sigma = float(smoothing) * max(out.shape) / _SMOOTHING_SCALE
    return np.clip(gaussian_blur(out, sigma), 0, 1)


def _linear_contrast(n: np.ndarray, contrast: float) -> np.ndarray:
    """``clip(m + contrast (n - m), 0, 1)``, m the mean; (H, W) float32 in [0, 1] in and out."""
    mean = np.float32(n.mean(dtype=np.float64))
    return np.clip(mean + np.float32(contrast) * (n - mean), 0, 1).astype(np.float32)


def _soft_contrast(n: np.ndarray, contrast: float) -> np.ndarray:
    """``m + L tanh(contrast artanh((n - m) / L))``, L the distance from the mean m to the end on each side.

    (H, W) float32 in [0, 1] in and out. The pixels at an end stay there; the rest move towards it
    without reaching it. The curve is computed exactly on 4097 samples of [0, 1] and read by linear
    interpolation: a quarter of the cost of evaluating it per pixel, within 1e-6 of it for contrast
    >= 1 (below 1 the curve is vertical at the ends, and the few pixels within 1/4096 of an end may
    be off by a few hundredths).
    """
    mean = float(n.mean(dtype=np.float64))
    grid = np.linspace(0.0, 1.0, 4097)
    u = grid - mean
    reach = np.where(u < 0, mean, 1 - mean)
    t = np.divide(u, reach, out=np.zeros_like(u), where=reach > 0)
    limit = 1 - 1e-12
    curved = np.tanh(contrast * np.arctanh(np.clip(t, -limit, limit)))
    if contrast > 0:  # the ends stay exactly where they are (contrast 0 flattens everything)
        curved = np.where(np.abs(t) >= limit, np.sign(t), curved)
    curve = np.clip(mean + reach * curved, 0, 1).astype(np.float32)
    # linear interpolation in the table by hand: np.interp takes 15 times as long on float32 images
    position = n * np.float32(len(grid) - 1)
    index = np.minimum(position.astype(np.int32), len(grid) - 2)
    fraction = position - index.astype(np.float32)
    below = curve[index]
    return below + fraction * (curve[index + 1] - below)


# resembles_depth_map's thresholds, measured on images 256 px on the long side: the grey depth maps at hand
# (Depthy's five Lens Blur maps, the Middlebury ground truths, the bundled sample's) have at most 21 % of
# their pixels on texture (a Laplacian over 8 levels), grey versions of BSDS500 and other photos at least 16 %
# (only abstract wallpapers go below). Colour photos spread their channels by 30 levels and more.
_PROBE_SIDE = 256
_GREY_SPREAD = 8.0  # levels between the channels of a grey image (JPEG chroma noise included)
_TEXTURE_LEVEL = 8.0  # |Laplacian| above this is texture, not a smooth depth slope
_MAX_TEXTURE_SHARE = 0.25


def resembles_depth_map(rgb) -> bool:
    """Whether a decoded image looks like a depth map rather than a photo: grey, and smooth except at edges.

    Used when a single image is dropped without a photo, to ask for its photo instead of showing a depth
    map as one. A black-and-white photo of smooth things can pass, which is why the page offers to show it
    as a photo anyway.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray

    Returns
    -------
    bool
        True when 99 % of its pixels are grey (channels within a few levels), it is not one flat tone,
        and under a quarter of its pixels are texture (at 256 px on the long side).

    Examples
    --------
    >>> ramp = np.repeat(np.linspace(0, 255, 64, dtype=np.uint8)[:, None, None], 3, axis=2)
    >>> resembles_depth_map(np.broadcast_to(ramp, (64, 48, 3)))
    True
    >>> noise = np.random.default_rng(0).integers(0, 256, (64, 48, 1), dtype=np.uint8).repeat(3, axis=2)
    >>> resembles_depth_map(noise)
    False
    """
    factor = max(1, -(-max(rgb.shape[:2]) // _PROBE_SIDE))
    small = block_mean(rgb, factor)  # (h, w, 3) float32
    if np.percentile(small.max(axis=2) - small.min(axis=2), 99) > _GREY_SPREAD:
        return False
    grey = small.mean(axis=2)
    if grey.shape[0] < 3 or grey.shape[1] < 3 or grey.std() < 2:
        return False
    laplacian = 4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:]
    return bool((np.abs(laplacian) > _TEXTURE_LEVEL).mean() < _MAX_TEXTURE_SHARE)


# Correlation with the model's depth below which a depth map read white = near is taken as drawn black = near.
# Measured in CPython: the five Depthy Lens Blur pairs (black = near) read white = near give -0.30 to -0.69 (four
# of them below this); the tests' synthetic "near square" maps, which the model does not see, -0.28 to +0.17.
BLACK_IS_NEAR_BELOW = -0.4


def black_is_near_agreement(depth, model_depth) -> float | None:
    """Whether a depth map, read white = near, was drawn black = near (Lens Blur, Depthy): judged by how it
    agrees with the model's depth of the same photo. The page and the CLI both flip such a map.

    Parameters
    ----------
    depth : (H, W) array_like
        The depth map as read (:func:`load_depth_map`: 1 = white), any size.
    model_depth : (h, w) array_like
        The model's depth of the photo (1 = near); `depth` is compared at this size.

    Returns
    -------
    float or None
        The Pearson correlation of the two, in [-1, -0.4), when it is below :data:`BLACK_IS_NEAR_BELOW` (the map
        is drawn black = near); None when it agrees, or when either is flat.

    Examples
    --------
    >>> ramp = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    >>> round(black_is_near_agreement(1 - ramp, ramp), 2), black_is_near_agreement(ramp, ramp)
    (-1.0, None)
    """
    model = as_depth(model_depth, name="model_depth")
    mine = resize_bilinear(as_depth(depth), model.shape)
    if model.std() < 1e-6 or mine.std() < 1e-6:
        return None
    agreement = float(np.corrcoef(model.ravel(), mine.ravel())[0, 1])
    return agreement if agreement < BLACK_IS_NEAR_BELOW else None


def depth_to_uint8(depth) -> np.ndarray:
    """Quantise [0, 1] depth to (H, W) uint8, 255 = 1 (values outside [0, 1] are clipped).

    Examples
    --------
    >>> depth_to_uint8(np.array([[0.0, 0.5, 1.0]])).tolist()
    [[0, 128, 255]]
    """
    return _quantise(depth, np.uint8)


def depth_texels(depth) -> tuple[np.ndarray, float, float]:
    """Display depth as the renderer's texels: the one depth format the page and the GPU use.

    Parameters
    ----------
    depth : (H, W) array_like
        Display depth in [0, 1], 1 = near (or uint8 already quantised, 255 = near).

    Returns
    -------
    texels : (H, W, 4) ndarray of uint8
        R = G = B = depth quantised to 8 bits (:func:`depth_to_uint8`), A = 255: grey RGBA, so
        that rows need no unpack alignment on the GPU, and valid as the layered renderer's
        single-layer texture (R front, G back depth) as they are.
    near, far : float
        The largest and smallest quantised depth, in [0, 1]: the span the renderer's march covers.

    Examples
    --------
    >>> texels, near, far = depth_texels(np.array([[0.0, 0.5]], np.float32))
    >>> texels.tolist(), near, far
    ([[[0, 0, 0, 255], [128, 128, 128, 255]]], 0.5019607843137255, 0.0)
    """
    d = np.asarray(depth)
    levels = d if d.dtype == np.uint8 else depth_to_uint8(d)
    if levels.ndim != 2 or levels.size == 0:
        raise ValueError(f"depth must be a non-empty (H, W) array, got shape {levels.shape}")
    texels = np.empty(levels.shape + (4,), np.uint8)
    texels[..., :3] = levels[..., None]
    texels[..., 3] = 255
    return texels, float(levels.max()) / 255, float(levels.min()) / 255


def layer_texels(
    front_depth, background_rgb, background_depth, foreground_alpha
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The layered renderer's two textures: the layers (:func:`diorama.layers.renderer_layers`) packed for the GPU.

    The foreground layer is the photo itself (already on the GPU as the photo), so only its opacity travels.

    Parameters
    ----------
    front_depth : (H, W) array_like
        The foreground's depth in [0, 1], 1 = near (the display depth refined to the photo).
    background_rgb : (H, W, 3) uint8
        The background layer's colour (the photo filled behind near edges).
    background_depth : (H, W) array_like
        The background layer's depth in [0, 1], 1 = near.
    foreground_alpha : (H, W) array_like
        The foreground's opacity in [0, 1] (0 just beyond near edges).

    Returns
    -------
    back : (H, W, 4) ndarray of uint8
        RGB = the background layer's colour; A = the foreground's opacity, to be sampled with linear
        filtering for a smooth cut. The background layer itself is opaque.
    layers : (H, W, 4) ndarray of uint8
        R = the foreground's depth, G = the background layer's depth (:func:`depth_to_uint8`, 255 = near),
        B = 0, A = the foreground's opacity. Grey depth texels (:func:`depth_texels`: R = G = B = depth,
        A = 255) are thus valid layers too: a single layer.
    near, far : float
        Largest and smallest depth in either layer, quantised, in [0, 1].

    Examples
    --------
    >>> back, layers, near, far = layer_texels([[1.0, 0.2]], np.zeros((1, 2, 3), np.uint8), [[0.6, 0.2]], [[1.0, 0.0]])
    >>> layers.tolist(), back[..., 3].tolist(), near, far
    ([[[255, 153, 0, 255], [51, 51, 0, 0]]], [[255, 0]], 1.0, 0.2)
    """
    alpha = np.rint(np.asarray(foreground_alpha, np.float32) * 255).astype(np.uint8)
    h, w = alpha.shape
    back = np.empty((h, w, 4), np.uint8)
    back[..., :3] = background_rgb
    back[..., 3] = alpha
    layers = np.empty((h, w, 4), np.uint8)
    layers[..., 0] = depth_to_uint8(front_depth)
    layers[..., 1] = depth_to_uint8(background_depth)
    layers[..., 2] = 0
    layers[..., 3] = alpha
    return back, layers, float(layers[..., :2].max()) / 255, float(layers[..., :2].min()) / 255


def depth_to_uint16(depth) -> np.ndarray:
    """Quantise [0, 1] depth to (H, W) uint16, 65535 = 1 (values outside [0, 1] are clipped).

    Examples
    --------
    >>> depth_to_uint16(np.array([[0.0, 0.5, 1.0]])).tolist()
    [[0, 32768, 65535]]
    """
    return _quantise(depth, np.uint16)


def depth_png(depth, bits: int = 16) -> bytes:
    """[0, 1] depth as a grey PNG file, white = near: 16-bit (the CLI's and the page's depth map) or 8-bit (for
    consumers that take no more, e.g. Facebook's 3D photo pair).

    Examples
    --------
    >>> Image.open(io.BytesIO(depth_png(np.array([[0.0, 1.0]], np.float32)))).mode
    'I;16'
    >>> np.asarray(Image.open(io.BytesIO(depth_png(np.array([[0.0, 1.0]]), bits=8)))).tolist()
    [[0, 255]]
    """
    if bits not in (8, 16):
        raise ValueError(f"bits must be 8 or 16, got {bits!r}")
    buf = io.BytesIO()
    Image.fromarray(depth_to_uint16(depth) if bits == 16 else depth_to_uint8(depth)).save(buf, "PNG")
    return buf.getvalue()


def _quantise(depth, dtype) -> np.ndarray:
    top = np.iinfo(dtype).max
    scaled = np.clip(as_depth(depth), 0, 1)  # one float32 array, worked in place (the worker's heap is small)
    scaled *= np.float32(top)  # float32 is exact to 0.01 of a level here
    return np.ascontiguousarray(np.rint(scaled, out=scaled).astype(dtype))
