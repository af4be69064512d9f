"""Render quality on a synthetic scene with a known novel view: the layered renderer must beat the
displacement renderer where the view uncovers what was hidden (see tests/quality.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.quality import card_scene, luminance, measure_quality, psnr, ssim, ssim_map

pytestmark = pytest.mark.browser


def test_ssim_and_psnr_sanity():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    noisy = np.clip(a + rng.normal(0, 20, a.shape), 0, 255).astype(np.uint8)
    assert ssim(a, a) == pytest.approx(1.0) and psnr(a, a) == float("inf")
    assert 0.9 < ssim(a, noisy) < 1 and 15 < psnr(a, noisy) < 25  # busy texture hides noise
    smooth = np.full((40, 50, 3), 128, np.uint8)
    assert ssim(smooth, np.clip(smooth + rng.normal(0, 20, smooth.shape), 0, 255).astype(np.uint8)) < 0.3
    flat = np.full((20, 20), 100.0)
    assert np.allclose(ssim_map(flat, flat), 1.0)
    assert luminance(np.full((2, 2, 3), 200, np.uint8)) == pytest.approx(np.full((2, 2), 200.0))


def test_card_scene_truth_moves_the_card_and_uncovers_the_band():
    scene = card_scene()
    assert scene.band.sum() == 16 * 240
    # the band shows plane in the truth but card in the photo
    assert np.all(scene.photo[scene.band][:, 0] > scene.photo[scene.band][:, 2])
    assert np.all(scene.truth[scene.band][:, 0] < scene.truth[scene.band][:, 2])


def test_layered_renderer_beats_displacement_in_the_disoccluded_band(page, site_url):
    page.set_viewport_size({"width": 800, "height": 600})
    page.goto(site_url + "no-such-page.html")  # a bare same-origin document for a bare viewer
    results = measure_quality(page, site_url)
    disp, layered = results["displacement"], results["layered"]
    print({k: {m: round(v, 4) for m, v in r.items()} for k, r in results.items() if k != "images"})
    assert layered["psnr_band"] > disp["psnr_band"] + 1.0
    assert layered["ssim_band"] > disp["ssim_band"] + 0.05
    # and it costs nothing elsewhere: the whole frame is about as good
    assert layered["psnr"] > disp["psnr"] - 1.0 and layered["ssim"] > disp["ssim"] - 0.01


def test_the_stereo_benchmark_geometry_holds_in_the_real_renderers(page, site_url):
    """The renderers, set by tests/stereo.py's fit, draw a synthetic pair's right view: exact with the true
    disparity (the layered one but for its rim handling at depth edges), clearly worse flat, so the
    real-pair benchmark measures what it claims."""
    from diorama.filters import max_filter, min_filter

    from tests.stereo import chromium_draw, forward_warp, measure, synthetic_pair, view_masks

    pair = synthetic_pair(width=320, height=192, far=6, near=18)
    seen, band = view_masks(pair)
    known = seen & ~band
    # right-view pixels drawn from within 6 px of a depth edge of either view: where the layered renderer's
    # rim handling (depth aligned to the photo, near grown over its rim, a cut strip beyond it) may differ
    # from a perfectly aligned depth map
    left_near_edges = (max_filter(pair.disparity, 6) - min_filter(pair.disparity, 6)) > 1
    near_edges = forward_warp(np.repeat(left_near_edges[..., None], 3, -1).astype(np.uint8), pair.disparity)[..., 0] > 0
    shown = forward_warp(np.repeat(pair.disparity[..., None], 3, -1).astype(np.uint8), pair.disparity)[..., 0]
    near_edges |= (max_filter(shown, 6) - min_filter(shown, 6)) > 1  # and of the right view (corners)
    page.goto(site_url + "no-such-page.html")
    for renderer in ("layered", "displacement"):
        draw = chromium_draw(page, site_url, renderer)
        ceiling = measure(pair, pair.disparity / 18, draw, (seen, band))
        flat = measure(pair, np.full(pair.disparity.shape, 0.5, np.float32), draw, (seen, band))
        wrong = known & np.any(ceiling["view"] != pair.right, axis=-1)
        print(
            renderer,
            int(wrong.sum()),
            int((wrong & ~near_edges).sum()),
            round(ceiling["psnr"], 2),
            round(flat["psnr"], 2),
        )
        assert not (wrong & ~near_edges).any()  # away from depth edges every pixel lands exactly
        if renderer == "displacement":
            assert not wrong.any()
        assert flat["psnr"] < ceiling["psnr"] - 5
