"""Render quality and frame cost of the render modes, on synthetic scenes whose true novel views are known.

The scene: a textured card (depth 230/255) in front of a textured plane (depth 51/255). The plane's
texture is known everywhere, also behind the card, so the true view from a shifted viewpoint can be
computed exactly: with the focus on the plane, the plane stays still and the card moves by a whole
number of pixels. Each mode of the renderer draws that shifted view in headless Chromium (a bare viewer, canvas
pixels = photo pixels); we compare it with the truth by PSNR and SSIM, over the whole frame and over
the disoccluded band (the strip the card uncovers, which no renderer can know and each must invent).

The frame cost is the time of one rendered frame at 1920x1080 with the view moving, averaged over
many frames (with a 1-pixel readback to wait for the GPU), as a ratio to the 'displacement' mode.

``python -m tests.quality`` (after ``build.py build``; ``python3 build.py bench`` runs it) writes docs/quality.md;
tests/web/test_quality.py asserts that the 'layered' mode beats the 'displacement' mode in the band.
When ``../shared`` is beside the checkout the report also holds the real stereo pairs (tests/stereo.py), the
share of pixels the display depth pins to its ends over ``../shared/photos``, and before/after crops of hard
photos at the full view offset; without it, it says they were skipped.
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from diorama.options import MAX_SHIFT
from PIL import Image

from tests.web.support import CHROMIUM_ARGS

DEPTH_FAR = 51 / 255  # exact in 8 bits, as the renderers see depth
DEPTH_NEAR = 230 / 255


# --- metrics --------------------------------------------------------------------------------------


def _gaussian_blur(image: np.ndarray, sigma: float = 1.5, radius: int = 5) -> np.ndarray:
    """Separable Gaussian blur (11 taps), edges replicated; (H, W) float64."""
    x = np.arange(-radius, radius + 1)
    k = np.exp(-x * x / (2 * sigma * sigma))
    k /= k.sum()
    out = image
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius, radius)
        p = np.pad(out, pad, mode="edge")
        n = out.shape[axis]
        acc = np.zeros_like(out)
        for i, w in enumerate(k):
            acc += w * (p[i : i + n] if axis == 0 else p[:, i : i + n])
        out = acc
    return out


def luminance(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb[..., :3].astype(np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def ssim_map(a: np.ndarray, b: np.ndarray, data_range: float = 255.0) -> np.ndarray:
    """Per-pixel SSIM of two (H, W) images (Wang et al. 2004: Gaussian window sigma 1.5, K1 0.01, K2 0.03)."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu_a, mu_b = _gaussian_blur(a), _gaussian_blur(b)
    var_a = _gaussian_blur(a * a) - mu_a * mu_a
    var_b = _gaussian_blur(b * b) - mu_b * mu_b
    cov = _gaussian_blur(a * b) - mu_a * mu_b
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR in dB of two RGB(A) uint8 images (RGB only), optionally over a (H, W) mask."""
    diff = a[..., :3].astype(np.float64) - b[..., :3].astype(np.float64)
    sq = diff * diff
    mse = float(sq[mask].mean() if mask is not None else sq.mean())
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean SSIM of the luminance of two RGB(A) images, optionally over a (H, W) mask."""
    m = ssim_map(luminance(a), luminance(b))
    return float(m[mask].mean() if mask is not None else m.mean())


# --- the scene ------------------------------------------------------------------------------------


@dataclass
class Scene:
    photo: np.ndarray  # (H, W, 3) uint8: the view the renderers get
    depth: np.ndarray  # (H, W) uint8, 255 = near
    truth: np.ndarray  # (H, W, 3) uint8: the view after the card moved `shift_px` left
    band: np.ndarray  # (H, W) bool: plane the move uncovered
    strength: float  # viewer strength that moves the card by shift_px at view offset x = 1
    shift_px: int


def _smooth_noise(rng, h: int, w: int, scale: int) -> np.ndarray:
    """Value noise: random values on a coarse grid, enlarged bicubically; (h, w) in about [0, 1]."""
    coarse = rng.random((h // scale + 3, w // scale + 3)).astype(np.float32)
    big = Image.fromarray(coarse, "F").resize(((w // scale + 3) * scale, (h // scale + 3) * scale), Image.BICUBIC)
    return np.asarray(big)[:h, :w]


def card_scene(width: int = 640, height: int = 480, shift_px: int = 16, seed: int = 0) -> Scene:
    """A reddish checked card in front of a bluish-green wavy plane; the true view after the card moves left."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    # the plane: smooth colour variation + finer grain, known everywhere (also behind the card)
    n1, n2 = _smooth_noise(rng, height, width, 24), _smooth_noise(rng, height, width, 6)
    plane = np.stack(
        [40 + 60 * n1, 110 + 80 * n2 + 20 * np.sin(x / 9.0), 150 + 70 * n1 * n2 + 25 * np.sin(y / 7.0)], -1
    )
    plane += rng.normal(0, 6, plane.shape)
    # the card's texture in card coordinates
    cw, ch = width // 3, height // 2
    cy, cx = np.mgrid[0:ch, 0:cw]
    checks = ((cx // 12 + cy // 12) % 2).astype(np.float32)
    card = np.stack([170 + 60 * checks, 50 + 40 * checks, 40 + 10 * np.sin(cx / 3.0)], -1)
    card += rng.normal(0, 6, card.shape)
    top, left = (height - ch) // 2, (width - cw) // 2
    photo = plane.copy()
    photo[top : top + ch, left : left + cw] = card
    depth = np.full((height, width), round(DEPTH_FAR * 255), np.uint8)
    depth[top : top + ch, left : left + cw] = round(DEPTH_NEAR * 255)
    truth = plane.copy()
    truth[top : top + ch, left - shift_px : left - shift_px + cw] = card
    band = np.zeros((height, width), bool)
    band[top : top + ch, left + cw - shift_px : left + cw] = True
    strength = shift_px / (MAX_SHIFT * (DEPTH_NEAR - DEPTH_FAR) * width)
    to8 = lambda a: np.clip(np.rint(a), 0, 255).astype(np.uint8)  # noqa: E731
    return Scene(to8(photo), depth, to8(truth), band, strength, shift_px)


def scene_layers(scene: Scene) -> dict:
    """The worker's 'layers' result for the scene, computed by the same Python (bridge.Studio.layers)."""
    from diorama.bridge import Studio

    studio = Studio()
    studio.rgb = scene.photo
    studio.display_depth = scene.depth.astype(np.float32) / 255
    back, packed, near, far = studio.layers()
    h, w = scene.depth.shape
    return {"width": w, "height": h, "back": back, "layers": packed, "near": near, "far": far}


# --- rendering in Chromium ------------------------------------------------------------------------


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


_MOUNT = """async ({base, width, height, renderer, overscan, maxShift}) => {
    const { createViewer } = await import(base + 'render/viewer.js');
    document.body.innerHTML = '';
    document.body.style.margin = '0';
    const host = document.createElement('div');
    host.style.cssText = `position:fixed;left:0;top:0;width:${width}px;height:${height}px;padding:0`;
    document.body.appendChild(host);
    window.__viewer?.destroy();
    window.__viewer = await createViewer(host, { renderer, overscan, ...(maxShift ? { maxShift } : {}) });
    const bytes = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    window.__bytes = bytes;
}"""

_SHOW = """async ({width, height, photo, depth, near, far, layers}) => {
    const b = window.__bytes;
    const rgb = b(photo);
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0, j = 0; i < width * height; i++, j += 4) {
        rgba[j] = rgb[3 * i]; rgba[j + 1] = rgb[3 * i + 1]; rgba[j + 2] = rgb[3 * i + 2]; rgba[j + 3] = 255;
    }
    const v = window.__viewer;
    v.show({ rgba, width, height }, { data: b(depth), width, height, near, far });
    if (layers) return v.setLayers({ ...layers, back: b(layers.back), layers: b(layers.layers) });
}"""

_LOOK_AND_CAPTURE = """async ({x, y, strength, focus}) => {
    const v = window.__viewer;
    v.setStrength(strength);
    v.setFocus(focus);
    v.look(x, y);
    while (!v.idle) await new Promise((r) => setTimeout(r, 50));
    const f = v.snapshot(100000);
    const c = document.createElement('canvas');
    c.width = f.width; c.height = f.height;
    c.getContext('2d').putImageData(f, 0, 0);
    return c.toDataURL('image/png');
}"""

_FRAME_COST = """async ({frames}) => {
    const v = window.__viewer;
    const gl = v.app.renderer.gl;
    const px = new Uint8Array(4);
    const renderer = v._renderer;
    const draw = (i) => {
        renderer.setView(Math.sin(i * 0.37), 0.5 * Math.cos(i * 0.23));
        v.app.render();
        gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);   // wait for the GPU
    };
    for (let i = 0; i < 3; i++) draw(i);
    const times = [];
    for (let i = 0; i < frames; i++) {
        const t0 = performance.now();
        draw(i);
        times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
}"""


def mount(
    page, base_url: str, width: int, height: int, renderer: str, overscan: float = 1.0, max_shift: float | None = None
) -> None:
    """A bare viewer filling a width x height box at the page's top left (canvas px = CSS px at DPR 1);
    `max_shift` (fraction of the width at strength 1) replaces the renderers' default."""
    page.evaluate(
        _MOUNT,
        {
            "base": base_url,
            "width": width,
            "height": height,
            "renderer": renderer,
            "overscan": overscan,
            "maxShift": max_shift,
        },
    )


def show(page, scene: Scene, layers: dict | None) -> None:
    """Show the scene's photo and depth (as the renderer's grey depth texels) in the mounted viewer, with
    `layers` (the worker's 'layers' result) when given."""
    from diorama.depthmap import depth_texels

    h, w = scene.depth.shape
    texels, near, far = depth_texels(scene.depth)
    args = {
        "width": w,
        "height": h,
        "photo": _b64(scene.photo),
        "depth": _b64(texels),
        "near": near,
        "far": far,
        "layers": None,
    }
    if layers:
        args["layers"] = {
            "width": w,
            "height": h,
            "near": layers["near"],
            "far": layers["far"],
            **{k: _b64(layers[k]) for k in ("back", "layers")},
        }
    page.evaluate(_SHOW, args)


def capture(page, x: float, y: float, strength: float, focus: float) -> np.ndarray:
    """The mounted viewer's frame at view offset (x, y) once settled, (H, W, 4) uint8."""
    url = page.evaluate(_LOOK_AND_CAPTURE, {"x": x, "y": y, "strength": strength, "focus": focus})
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA"))


def render_shifted(page, base_url: str, scene: Scene, renderer: str, layers: dict | None = None) -> np.ndarray:
    """The scene drawn by `renderer` at view offset (1, 0), focus on the plane: (H, W, 4) uint8."""
    h, w = scene.depth.shape
    mount(page, base_url, w, h, renderer)
    show(page, scene, layers if renderer == "layered" else None)
    return capture(page, 1, 0, scene.strength, DEPTH_FAR)


def measure_quality(page, base_url: str, scene: Scene | None = None) -> dict:
    """{renderer: {psnr, ssim, psnr_band, ssim_band}} plus 'images'."""
    scene = scene or card_scene()
    layers = scene_layers(scene)
    results, images = {}, {}
    for name in ("displacement", "layered"):
        frame = render_shifted(page, base_url, scene, name, layers)
        assert frame.shape[:2] == scene.depth.shape, f"{name}: frame {frame.shape} for a scene {scene.depth.shape}"
        images[name] = frame
        results[name] = {
            "psnr": psnr(frame, scene.truth),
            "ssim": ssim(frame, scene.truth),
            "psnr_band": psnr(frame, scene.truth, scene.band),
            "ssim_band": ssim(frame, scene.truth, scene.band),
        }
    results["images"] = images
    return results


def measure_frame_cost(page, base_url: str, frames: int = 30, width: int = 1920, height: int = 1080) -> dict:
    """Median per-frame render time (ms) of each render mode at width x height, view moving."""
    scene = card_scene(width, height, shift_px=40)
    layers = scene_layers(scene)
    out = {}
    for name in ("displacement", "layered"):
        mount(page, base_url, width, height, name, overscan=1.04)
        show(page, scene, layers if name == "layered" else None)
        page.evaluate("(s) => window.__viewer.setStrength(s)", 1.0)
        out[name] = page.evaluate(_FRAME_COST, {"frames": frames})
    return out


# --- continuous depth: how many pixels the display depth pins to its ends -----------------------------

SHARED_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "photos"


def pinned_share(depth: np.ndarray) -> float:
    """Share of pixels within 2 % of either end of [0, 1] (a two-plane "cardboard" depth pins most)."""
    return float(np.mean((depth <= 0.02) | (depth >= 0.98)))


def pinning(photos: list[Path]) -> dict:
    """Per photo, percentage points pinned beyond the model's own min-max normalised depth, for the app's
    default post-processing and for the seed recipe: {'default': [...], 'seed': [...], 'raw': [...]}."""
    from diorama.depthmap import SEED_RECIPE, postprocess_depth
    from diorama.errors import DioramaError
    from diorama.model_io import estimate_depth
    from diorama.photo import load_photo

    out = {"raw": [], "default": [], "seed": []}
    for path in photos:
        try:
            raw = estimate_depth(load_photo(path.read_bytes()))
        except DioramaError:
            continue
        base = pinned_share((raw - raw.min()) / max(float(np.ptp(raw)), 1e-9))
        out["raw"].append(100 * base)
        out["default"].append(100 * (pinned_share(postprocess_depth(raw)) - base))
        out["seed"].append(100 * (pinned_share(postprocess_depth(raw, **SEED_RECIPE)) - base))
    return out


def pinning_report(root: Path = SHARED_PHOTOS) -> list[str]:
    """Markdown lines: the pinning figures over every photo under `root` (or a line saying it is absent)."""
    photos = (
        sorted(p for p in root.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")) if root.is_dir() else []
    )
    if not photos:
        return [f"Skipped: no photos under `{root}` (`../shared/photos` is not beside this checkout)."]
    figures = pinning(photos)

    def row(values):
        return (
            f"{np.median(values):.1f} | {np.percentile(values, 10):.1f} .. "  # noqa: E731
            f"{np.percentile(values, 90):.1f}"
        )

    return [
        f"{len(figures['raw'])} photos of `../shared/photos`, depth from the model in CPython (the same pipeline as the "
        "page). Pinned: the share of pixels within 2 % of the nearest or the farthest depth. Target: the default "
        "pins at most 10 percentage points more than the model's own (min-max normalised) depth, median over photos.",
        "",
        "| display depth | pinned, percentage points (median) | 10th .. 90th percentile |",
        "|---|---|---|",
        f"| model's own depth, normalised (absolute share) | {row(figures['raw'])} |",
        f"| app default (soft contrast 1.5), more than the model's own | {row(figures['default'])} |",
        f"| seed recipe (clipped x5), more than the model's own | {row(figures['seed'])} |",
    ]


# --- hard cases: before / after crops at the full view offset ---------------------------------------

# (file under ../shared/photos, what makes it hard, crop as fractions of the photo: left, top, right, bottom)
HARD_CASES = [
    ("debian-wallpapers/lomiri_Bridge_by_Sander_Klootwijk.jpg", "thin cables against the sky", (0.48, 0.5, 0.8, 1.0)),
    ("skimage/coffee.png", "bright rims: cup and spoon", (0.28, 0.08, 0.74, 0.84)),
    ("depth-repo-examples/da1_demo1.png", "railings and riders against the sky", (0.0, 0.15, 0.45, 0.6)),
    ("depth-repo-examples/da2_demo08.jpg", "spokes and frame over gravel", (0.1, 0.0, 0.62, 1.0)),
    ("depth-repo-examples/pydnet_6.png", "forest: trunks and ferns", (0.0, 0.05, 0.5, 0.85)),
]

_FRAME_AT_FULL_OFFSET = """async () => {
    const v = window.diorama.viewer;
    window.diorama.look(1, 0);
    while (!v.idle) await new Promise((r) => setTimeout(r, 50));
    const f = v.snapshot(100000);
    const box = v.photoBox();
    const c = document.createElement('canvas');
    c.width = f.width; c.height = f.height;
    c.getContext('2d').putImageData(f, 0, 0);
    window.diorama.look(0, 0);
    while (!v.idle) await new Promise((r) => setTimeout(r, 50));
    return { png: c.toDataURL('image/png'), box };
}"""


def hard_case_crops(page, base_url: str, root: Path = SHARED_PHOTOS) -> np.ndarray | None:
    """Each hard case opened in the app (model depth) and drawn at view offset (1, 0), default strength,
    with the seed recipe and with the default look side by side; one row per case, (H, W, 3) uint8.
    None when the photos are absent."""
    cases = [(root / name, what, crop) for name, what, crop in HARD_CASES if (root / name).is_file()]
    if not cases:
        return None
    page.goto(base_url)
    page.wait_for_function("() => document.body.dataset.state === 'shown'", timeout=120_000)
    page.evaluate("() => window.diorama.ready")
    page.evaluate("() => { const auto = document.getElementById('idle_motion'); if (auto.checked) auto.click(); }")
    layers_ready = "() => ['ready', 'failed'].includes(document.getElementById('renderer').dataset.layers)"
    rows = []
    for path, _, (x0, y0, x1, y1) in cases:
        page.locator("#file").set_input_files(str(path))
        page.wait_for_function("() => document.body.dataset.state === 'shown'", timeout=120_000)
        pair = []
        for look in ("linear", "soft"):
            page.select_option("#curve", look)
            page.evaluate("() => window.diorama.depth()")  # the adjustment is shown
            page.wait_for_function(layers_ready, timeout=120_000)
            out = page.evaluate(_FRAME_AT_FULL_OFFSET)
            frame = np.asarray(Image.open(io.BytesIO(base64.b64decode(out["png"].split(",", 1)[1]))).convert("RGB"))
            b = out["box"]
            pair.append(
                frame[
                    b["y"] + int(y0 * b["height"]) : b["y"] + int(y1 * b["height"]),
                    b["x"] + int(x0 * b["width"]) : b["x"] + int(x1 * b["width"]),
                ]
            )
        height = 360
        scaled = [
            np.asarray(Image.fromarray(c).resize((round(c.shape[1] * height / c.shape[0]), height), Image.LANCZOS))
            for c in pair
        ]
        rows.append(np.concatenate([scaled[0], np.full((height, 8, 3), 255, np.uint8), scaled[1]], 1))
    width = max(r.shape[1] for r in rows)
    return np.concatenate([np.pad(r, ((0, 8), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows], 0)


# --- the report -----------------------------------------------------------------------------------


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    import build

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=build.DIST)
    parser.add_argument("--out", type=Path, default=build.ROOT / "docs" / "quality.md")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3, help="frame-cost runs (median of medians)")
    parser.add_argument("--stereo", type=Path, default=SHARED_PHOTOS.parent / "stereo")
    args = parser.parse_args(argv)
    from tests import stereo

    pairs = stereo.load_pairs(args.stereo)
    server = build.make_server(args.dist, isolated=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(base + "no-such-page.html")  # any same-origin document (a 404 page) will do
        t0 = time.perf_counter()
        quality = measure_quality(page, base)
        costs = [measure_frame_cost(page, base, args.frames) for _ in range(args.runs)]
        if pairs:
            app_page = browser.new_context(
                viewport={"width": 1280, "height": 900}, service_workers="block", bypass_csp=True
            ).new_page()
            stereo_results = stereo.measure_pairs(app_page, base, pairs, stereo.load_teacher())
        crops_page = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block").new_page()
        crops = hard_case_crops(crops_page, base)
        browser.close()
    server.shutdown()
    images = quality.pop("images")
    docs = args.out.parent
    docs.mkdir(parents=True, exist_ok=True)
    scene = card_scene()
    crop = (slice(100, 380), slice(300, 560))
    strip = np.concatenate(
        [scene.photo[crop], scene.truth[crop]] + [images[n][crop][..., :3] for n in ("displacement", "layered")], 1
    )
    Image.fromarray(strip).save(docs / "quality-card.png")
    cost = {n: statistics.median(c[n] for c in costs) for n in ("displacement", "layered")}
    lines = [
        "# Render quality and frame cost",
        "",
        "Measured by `tests/quality.py` (`python -m tests.quality` after `python3 build.py build`); "
        "`tests/web/test_quality.py` asserts the band comparison.",
        "",
        "## Synthetic card scene, 640x480, card moved 16 px (the true view is known)",
        "",
        "A textured card (depth 230/255) in front of a textured plane (51/255), focus on the plane, view offset 1 "
        "at the strength that moves the card by 16 px. The *band* is the 16x240 px strip of plane the card "
        "uncovers. SSIM: Wang et al. (Gaussian sigma 1.5, luminance), written in NumPy.",
        "",
        "| renderer | PSNR (dB) | SSIM | PSNR in band (dB) | SSIM in band |",
        "|---|---|---|---|---|",
    ]
    for name in ("displacement", "layered"):
        r = quality[name]
        lines.append(f"| {name} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['psnr_band']:.2f} | {r['ssim_band']:.4f} |")
    lines += [
        "",
        "![photo, true view, displacement, layered](quality-card.png)",
        "",
        "(left to right: the photo, the true shifted view, the displacement renderer, the layered renderer; "
        "crop around the card's right edge)",
        "",
        "## Frame cost at 1920x1080",
        "",
        f"Headless Chromium (SwiftShader, software WebGL) on this machine; median frame time over {args.frames} "
        f"frames with the view moving (strength 1), median of {args.runs} runs; a 1-pixel readback per frame waits "
        "for the GPU. Scene: the card scene at 1920x1080.",
        "",
        "| renderer | ms / frame | ratio to displacement |",
        "|---|---|---|",
    ]
    for name in ("displacement", "layered"):
        lines.append(f"| {name} | {cost[name]:.1f} | {cost[name] / cost['displacement']:.2f} |")
    lines += ["", "## Real stereo pairs: does the 3D photo predict the other eye?", ""]
    lines += (
        stereo.report(stereo_results, docs)
        if pairs
        else [f"Skipped: no stereo pairs under `{args.stereo}` (`../shared/stereo` is not beside this checkout).", ""]
    )
    lines += ["", "## Continuous depth: pixels pinned to the nearest or farthest depth", "", *pinning_report()]
    lines += ["", "## Hard cases at the full view offset: the seed recipe (the old default) and the default", ""]
    if crops is None:
        lines.append("Skipped: `../shared/photos` is not beside this checkout.")
    else:
        Image.fromarray(crops).save(docs / "quality-hard-cases.jpg", quality=88)
        lines += [
            "Each photo opened in the app (model depth, layered renderer, default strength) and drawn at view "
            "offset (1, 0); left: the seed recipe (clipped x5 contrast, the default until 2026-12), right: the "
            "default (soft contrast 1.5). Rows: " + "; ".join(what for _, what, _ in HARD_CASES) + ".",
            "",
            "![hard cases, seed recipe left, default right](quality-hard-cases.jpg)",
        ]
    lines += ["", f"Measured in {time.perf_counter() - t0:.0f} s.", ""]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
