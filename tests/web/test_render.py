"""The one renderer (web/render/Renderer.js) in its three modes, against reference frames drawn by the two
renderers it replaced (tests/render_refs.py, tests/web/data/), and the one depth texel format."""

from __future__ import annotations

import numpy as np
import pytest
from diorama.options import MAX_SHIFT
from PIL import Image

from tests.quality import DEPTH_FAR, capture, mount, scene_layers, show
from tests.render_refs import DATA, FRAMES, render, scene

pytestmark = pytest.mark.browser


def reference(name: str) -> np.ndarray:
    return np.asarray(Image.open(DATA / f"render-{name}.png").convert("RGBA"))


def assert_same_frame(frame: np.ndarray, ref: np.ndarray, what: str) -> int:
    """Same frame within 2/255 on at least 99.9 % of pixels; returns the largest difference (0..255).

    Same program, same textures, same uniforms: the frames should be bit-identical. The tolerance only
    allows for the GLSL compiler ordering the same arithmetic differently (SwiftShader may fuse a
    multiply-add in one build of a shader and not in another), which can move a sample coordinate by an
    ulp and so a bilinear sample by a level, or a march step across a depth edge for a rare pixel."""
    assert frame.shape == ref.shape, f"{what}: {frame.shape} against {ref.shape}"
    diff = np.abs(frame.astype(np.int16) - ref.astype(np.int16)).max(-1)
    assert np.mean(diff <= 2) >= 0.999, (
        f"{what}: {np.mean(diff > 2):.4%} of pixels differ by more than 2 (max {diff.max()})"
    )
    return int(diff.max())


@pytest.fixture
def bare(page, site_url):
    page.set_viewport_size({"width": 800, "height": 600})
    page.goto(site_url + "no-such-page.html")  # a bare same-origin document for a bare viewer
    return page


def test_each_mode_draws_what_the_old_renderers_drew(bare, site_url):
    worst = {name: assert_same_frame(frame, reference(name), name) for name, frame in render(bare, site_url).items()}
    print("max abs difference to the references (0..255):", worst)


def test_switching_modes_keeps_the_layers_and_draws_each_look(bare, site_url):
    sc = scene()
    h, w = sc.depth.shape
    mode, _, x, y, focus, _, _ = FRAMES["layered-moved"]
    mount(bare, site_url, w, h, "layered")
    show(bare, sc, scene_layers(sc))
    for name, ref in (
        ("displacement", "displacement-moved"),
        ("layered", "layered-moved"),
        ("classic", None),
        ("layered", "layered-moved"),
    ):
        bare.evaluate("(n) => window.__viewer.setRenderer(n)", name)
        assert bare.evaluate("() => window.__viewer.renderer") == name
        frame = capture(bare, x, y, sc.strength, focus)
        if ref:  # 'displacement' ignores the layers it was given; 'layered' draws them again
            assert_same_frame(frame, reference(ref), f"{name} after a switch")


def test_classic_is_the_stock_displacement_filter(bare, site_url):
    """'classic' (PixiJS' DisplacementFilter): still, the photo itself; moved, a displacement about as large
    as the other modes' but of its own kind (one sample at the pixel, focus fixed at 0.5)."""
    sc = scene()
    h, w = sc.depth.shape
    mount(bare, site_url, w, h, "classic")
    show(bare, sc, None)
    still = capture(bare, 0, 0, sc.strength, DEPTH_FAR)
    assert np.abs(still[..., :3].astype(int) - sc.photo).max() <= 1, "classic at offset 0 is not the photo"
    moved = capture(bare, 1, 0, sc.strength, 0.5)
    changed = np.abs(moved[..., :3].astype(int) - sc.photo).max(-1) > 8
    assert changed.mean() > 0.2, "classic does not move pixels"
    # one sample at the pixel: inside the card (depth 230/255) the photo is read (0.9 - 0.5) * scale px to
    # the right, scale = strength (clamped to 1) * maxShift * the photo's width on screen (7.7 px here)
    top, left, ch, cw = (h - h // 2) // 2, (w - w // 3) // 2, h // 2, w // 3
    inner = moved[top + 4 : top + ch - 4, left + 8 : left + cw - 8, :3].astype(int)
    errors = {
        s: np.abs(inner - sc.photo[top + 4 : top + ch - 4, left + 8 + s : left + cw - 8 + s]).mean()
        for s in range(-6, 7)
    }
    expected = min(1.0, sc.strength) * MAX_SHIFT * w * (230 / 255 - 0.5)
    assert abs(min(errors, key=errors.get) - expected) <= 1, (errors, expected)
    disp = reference("displacement-moved")
    mount(bare, site_url, w, h, "displacement")
    show(bare, sc, None)
    assert np.mean(np.abs(capture(bare, 1, 0, sc.strength, 0.5).astype(int) - moved).max(-1) > 8) > 0.01
    assert np.mean(np.abs(disp.astype(int) - moved).max(-1) > 8) > 0.01


def test_the_renderer_takes_only_grey_depth_texels(bare, site_url):
    mount(bare, site_url, 4, 2, "layered")
    out = bare.evaluate(
        """async (base) => {
        const t = await import(base + 'render/depth-texels.js');
        const v = window.__viewer;
        const rgba = new Uint8Array(4 * 2 * 4).fill(255);
        const errors = [];
        for (const depth of [{ data: new Uint8Array(8), width: 4, height: 2, near: 1, far: 0 },     // one byte a pixel
                             { data: new Float32Array(32), width: 4, height: 2, near: 1, far: 0 },  // floats
                             { data: new Uint8Array(32), width: 4, height: 2 }]) {                  // no range
            try { v.show({ rgba, width: 4, height: 2 }, depth); errors.push(null); }
            catch (err) { errors.push(`${err.name}: ${err.message}`); }
        }
        const data = new Uint8Array(32);
        for (let i = 0; i < 8; i++) data.fill(i * 30, 4 * i, 4 * i + 3), data[4 * i + 3] = 255;
        const depth = { data, width: 4, height: 2, near: 210 / 255, far: 0 };
        v.show({ rgba, width: 4, height: 2 }, depth);
        return { errors, at: [t.depthTexelAt(depth, 1, 1), t.depthTexelAt(depth, 9, -3)],
                 values: Array.from(t.depthValues(depth)), near: depth.near, far: depth.far,
                 flat: [t.FLAT_DEPTH.width, t.FLAT_DEPTH.near === t.FLAT_DEPTH.far] };
    }""",
        site_url,
    )
    assert all(e and e.startswith("TypeError: depth.") for e in out["errors"]), out["errors"]
    assert "4*2*4 = 32 bytes" in out["errors"][0]
    assert out["at"] == pytest.approx([150 / 255, 90 / 255])
    assert out["values"] == pytest.approx([i * 30 / 255 for i in range(8)])
    assert (out["near"], out["far"]) == pytest.approx((210 / 255, 0.0)) and out["flat"] == [1, True]
