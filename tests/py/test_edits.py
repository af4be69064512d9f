"""Depth edits (diorama.edits): brush strokes change depth only under the brush, undo is exact, pop-out
stops at the object's edge; through the bridge, edits survive option changes and reach every output."""

from __future__ import annotations

import io

import numpy as np
import pytest
from diorama.bridge import Studio
from diorama.depthmap import depth_texels, postprocess_depth
from diorama.edits import STEP, UNDO_STEPS, DepthEdits, brush_weight, paint, pop_out_matte
from diorama.embedded import find_embedded_depth
from diorama.errors import DioramaError
from diorama.filters import block_mean
from PIL import Image


def ramp(h=60, w=80) -> np.ndarray:
    """A smooth depth with no flat part: every pixel distinct enough for bit-exact comparisons to matter."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return (0.2 + 0.5 * x / w + 0.1 * np.sin(y / 7)).astype(np.float32)


def distance_to_segment(shape, a, b) -> np.ndarray:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    t = np.clip(((x - a[0]) * d[0] + (y - a[1]) * d[1]) / (d @ d), 0, 1)
    return np.hypot(x - a[0] - t * d[0], y - a[1] - t * d[1])


def test_a_stroke_changes_depth_only_under_the_brush_with_its_falloff():
    depth = ramp()
    e = DepthEdits(depth.shape)
    assert e.stroke(depth, "nearer", [(20, 30), (60, 30)], radius=8, strength=1.0)
    change = e.apply(depth) - depth
    dist = distance_to_segment(depth.shape, (20, 30), (60, 30))
    assert (change[dist >= 8] == 0).all(), "depth changed beyond the brush"
    assert (change[dist < 7.5] > 0).all()
    np.testing.assert_allclose(change[dist < 0.8], STEP, atol=0.01)  # full strength on the line
    inner, outer = change[(dist > 2) & (dist < 3)].mean(), change[(dist > 5) & (dist < 6)].mean()
    assert STEP > inner > outer > 0  # falls off with distance
    expected = STEP * np.square(np.clip(1 - (dist / 8) ** 2, 0, 1))
    np.testing.assert_allclose(change, expected, atol=1e-5)


def test_farther_strength_and_clipping():
    depth = ramp()
    e = DepthEdits(depth.shape)
    e.stroke(depth, "farther", [(40.5, 30.5)], radius=5, strength=0.5)
    assert (e.apply(depth) - depth)[30, 40] == pytest.approx(-0.5 * STEP, abs=1e-3)
    high = np.full((10, 10), 0.95, np.float32)
    e = DepthEdits(high.shape)
    e.stroke(high, "nearer", [(5, 5)], radius=4, strength=1.0)
    assert e.apply(high).max() == 1.0  # depth stays in [0, 1]


def test_undo_restores_bit_exactly_and_redo_reapplies():
    depth = ramp()
    e = DepthEdits(depth.shape)
    states = [e.apply(depth).copy()]
    rng = np.random.default_rng(3)
    tools = ["nearer", "farther", "smooth", "flatten"]
    for i in range(UNDO_STEPS):
        points = rng.uniform([0, 0], [80, 60], (4, 2))
        assert e.stroke(depth, tools[i % 4], points, radius=rng.uniform(3, 12), strength=rng.uniform(0.2, 1.0))
        states.append(e.apply(depth).copy())
    assert UNDO_STEPS >= 20
    for state in reversed(states[:-1]):
        assert e.undo()
        assert np.array_equal(e.apply(depth), state)
    assert not e.undo() and np.array_equal(e.apply(depth), depth)
    for state in states[1:]:
        assert e.redo()
        assert np.array_equal(e.apply(depth), state)
    assert not e.redo()


def test_a_new_change_clears_redo_and_reset_is_undoable():
    depth = ramp()
    e = DepthEdits(depth.shape)
    e.stroke(depth, "nearer", [(10, 10), (30, 10)], radius=5, strength=1)
    edited = e.apply(depth).copy()
    e.undo()
    e.stroke(depth, "farther", [(50, 40)], radius=5, strength=1)
    assert not e.can_redo
    assert e.reset() and np.array_equal(e.apply(depth), depth)
    assert not e.reset()  # nothing left to reset: no step
    e.undo()
    assert (e.apply(depth)[40, 50] < depth[40, 50]) and np.array_equal(e.apply(depth)[10], depth[10])
    assert not np.array_equal(edited, e.apply(depth))


def test_history_keeps_the_last_steps():
    depth = ramp(20, 20)
    e = DepthEdits(depth.shape)
    for i in range(UNDO_STEPS + 5):
        e.stroke(depth, "nearer" if i % 2 else "farther", [(10, 10)], radius=3, strength=0.5)
    assert sum(e.undo() for _ in range(UNDO_STEPS + 5)) == UNDO_STEPS


def test_flatten_sets_depth_to_the_depth_under_the_first_point():
    depth = ramp()
    e = DepthEdits(depth.shape)
    target = float(depth[30, 20])
    e.stroke(depth, "flatten", [(20.5, 30.5), (60, 30)], radius=10, strength=1.0)
    out = e.apply(depth)
    dist = distance_to_segment(depth.shape, (20.5, 30.5), (60, 30))
    np.testing.assert_allclose(out[dist < 1], target, atol=0.01)
    assert np.abs(out[dist < 5] - target).max() < np.abs(depth[dist < 5] - target).max() / 2
    assert np.array_equal(out[dist >= 10], depth[dist >= 10])


def test_smooth_removes_noise_under_the_brush_only():
    rng = np.random.default_rng(0)
    depth = (0.5 + 0.2 * rng.standard_normal((60, 80))).clip(0, 1).astype(np.float32)
    e = DepthEdits(depth.shape)
    e.stroke(depth, "smooth", [(20, 30), (60, 30)], radius=12, strength=1.0)
    out = e.apply(depth)
    dist = distance_to_segment(depth.shape, (20, 30), (60, 30))
    assert out[dist < 4].std() < depth[dist < 4].std() / 2
    assert np.array_equal(out[dist >= 12], depth[dist >= 12])


def test_a_stroke_streamed_in_pieces_equals_the_whole_stroke():
    depth = ramp()
    points = [(5, 5), (20, 12), (33, 40), (70, 44), (75, 10)]
    whole = DepthEdits(depth.shape)
    whole.stroke(depth, "nearer", points, radius=6, strength=0.7)
    pieces = DepthEdits(depth.shape)
    pieces.begin_stroke(depth, "nearer", 6, 0.7, points[0])
    pieces.extend_stroke(points[1:3])
    assert pieces.painting and pieces.apply(depth)[12, 20] > depth[12, 20]  # visible while painting
    pieces.extend_stroke(points[3:])
    assert pieces.end_stroke()
    assert np.array_equal(whole.apply(depth), pieces.apply(depth))
    pieces.undo()
    assert np.array_equal(pieces.apply(depth), depth)


def test_bad_brush_input_is_refused_in_words():
    depth = ramp()
    with pytest.raises(ValueError, match="unknown brush tool"):
        DepthEdits(depth.shape).stroke(depth, "wobble", [(1, 1)], 3, 1)
    with pytest.raises(ValueError, match="strength"):
        DepthEdits(depth.shape).stroke(depth, "nearer", [(1, 1)], 3, 2)
    with pytest.raises(ValueError, match="radius"):
        brush_weight((5, 5), [(1, 1)], 0)
    with pytest.raises(ValueError, match="flatten needs"):
        paint(depth, np.ones_like(depth), "flatten", 1)


def disc_scene(h=120, w=160):
    """A textured grey background with a red disc at the same depth as the background (the kite at sky depth)."""
    rng = np.random.default_rng(2)
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.full((h, w, 3), 120, np.int16) + rng.integers(-12, 12, (h, w, 3))
    disc = np.hypot(x - 70, y - 60) < 25
    rgb[disc] = np.array([200, 40, 40]) + rng.integers(-12, 12, (int(disc.sum()), 3))
    depth = (0.3 + 0.05 * y / h).astype(np.float32)
    return rgb.clip(0, 255).astype(np.uint8), depth, disc, np.hypot(x - 70, y - 60)


def test_pop_out_grows_over_the_object_and_stops_at_its_edge():
    rgb, depth, disc, r = disc_scene()
    matte = pop_out_matte(depth, rgb, (70, 60))
    assert (matte[r < 21] > 0.9).all(), "the region did not cover the object"
    assert (matte[r > 29] < 0.1).all(), "the region leaked past the object's edge"
    e = DepthEdits(depth.shape)
    assert e.pop_out(depth, rgb, (70, 60), amount=0.3)
    out = e.apply(depth)
    lifted = out - depth
    np.testing.assert_allclose(lifted[r < 21], 0.3, atol=0.03)  # one piece: the same lift everywhere inside
    assert np.abs(lifted[r > 29]).max() < 0.03
    e.undo()
    assert np.array_equal(e.apply(depth), depth)


def test_pop_out_uses_depth_too():
    # a grey photo (no colour edge at all) whose depth has a near square: the tap selects the square
    depth = np.full((100, 100), 0.2, np.float32)
    depth[30:70, 30:70] = 0.8
    rgb = np.full((100, 100, 3), 128, np.uint8)
    matte = pop_out_matte(depth, rgb, (50, 50))
    assert matte[35:65, 35:65].min() > 0.9 and matte[:20].max() < 0.1
    with pytest.raises(ValueError, match="outside"):
        pop_out_matte(depth, rgb, (120, 5))


def png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG")
    return buf.getvalue()


def studio_with_photo(options=None) -> Studio:
    rgb, depth, _, _ = disc_scene()
    studio = Studio()
    studio.open_photo(png(rgb), 1)
    studio.use_depth_map(png((ramp(120, 160) * 255).astype(np.uint8)))
    studio.commit(options)
    return studio


BRUSH = {"brush_tool": "nearer", "brush_size": 10, "brush_strength": 1.0}


def test_an_edited_depth_survives_a_contrast_change_and_reaches_every_output():
    studio = studio_with_photo()
    raw = studio.require_raw_depth().copy()
    studio.paint(np.array([40, 60, 120, 60], np.float32), BRUSH, {}, False)
    preview = studio.paint(np.array([], np.float32), BRUSH, {}, True)
    assert preview[0].shape == (120, 160, 4)  # the final piece answers at full resolution
    edited_raw = studio.require_raw_depth()
    assert edited_raw[60, 80] > raw[60, 80] + 0.2 and np.array_equal(edited_raw[:30], raw[:30])
    for contrast in (3.0, 1.0):
        texels, _, _ = studio.adjust({"contrast": contrast})
        assert not np.array_equal(texels, depth_texels(postprocess_depth(raw, contrast=contrast))[0])
        expected = depth_texels(postprocess_depth(edited_raw, contrast=contrast))[0]
        assert np.array_equal(texels, expected), "the edit was lost by an option change"
    back, layers, _, _ = studio.layers()
    assert layers.shape == (120, 160, 4)
    found, _ = find_embedded_depth(studio.gdepth_jpeg().tobytes())
    assert found.depth[60, 80] > found.depth[60, 10] + 0.1  # the 3D JPEG carries the edit
    assert studio.edit_state() == (True, False)
    texels, _, _ = studio.undo({"contrast": 1.0})
    assert np.array_equal(studio.require_raw_depth(), raw) and studio.edit_state() == (False, True)
    studio.redo({})
    assert np.array_equal(studio.require_raw_depth(), edited_raw)
    studio.reset_edits({})
    assert np.array_equal(studio.require_raw_depth(), raw)


def test_undo_through_the_studio_takes_back_the_last_edit_only():
    studio = studio_with_photo()
    raw = studio.require_raw_depth().copy()
    studio.paint(np.array([40, 30], np.float32), BRUSH, {}, True)
    first, first_display = studio.require_raw_depth().copy(), studio.display_depth.copy()
    studio.paint(np.array([120, 90], np.float32), BRUSH, {}, True)
    assert not np.array_equal(studio.require_raw_depth(), first)
    texels, _, _ = studio.undo({})
    assert np.array_equal(studio.require_raw_depth(), first), "undo took back more (or less) than the last stroke"
    assert np.array_equal(texels, depth_texels(first_display)[0]) and studio.edit_state() == (True, True)
    studio.undo({})
    assert np.array_equal(studio.require_raw_depth(), raw) and studio.edit_state() == (False, True)


def test_painting_answers_a_reduced_preview_and_a_new_photo_starts_without_edits():
    studio = studio_with_photo()
    big = np.zeros((1200, 1600, 3), np.uint8)
    studio.open_photo(png(big), 2)
    studio.use_depth_map(png((ramp(120, 160) * 255).astype(np.uint8)))
    studio.commit({})
    preview, _, _ = studio.paint(np.array([100, 100, 300, 300], np.float32), BRUSH, {}, False)
    assert max(preview.shape[:2]) <= 512
    for k in range(5):  # pieces update the preview block by block: as if it were made from the whole offset
        preview, _, _ = studio.paint(np.array([301 + 97 * k, 300 + 61 * k], np.float32), BRUSH, {}, False)
    preview = studio._preview
    np.testing.assert_allclose(preview.offset, block_mean(studio.edits.offset, preview.factor), atol=1e-6)
    studio.paint(np.array([], np.float32), BRUSH, {}, True)
    assert studio.edit_state() == (True, False)
    studio.open_photo(png(big), 3)
    studio.use_depth_map(png((ramp(120, 160) * 255).astype(np.uint8)))
    studio.commit({})
    assert studio.edit_state() == (False, False)


def test_painting_nearer_with_black_is_near_still_brings_depth_nearer():
    studio = studio_with_photo({"invert": True})
    before = studio.display_depth.copy()
    studio.paint(np.array([80, 60], np.float32), BRUSH, {"invert": True}, True)
    assert studio.display_depth[60, 80] > before[60, 80] + 0.1


def test_a_bad_brush_is_refused_in_words_through_the_studio():
    studio = studio_with_photo()
    with pytest.raises(DioramaError, match="This brush can't paint: unknown brush tool 'wobble'"):
        studio.paint(np.array([10, 10], np.float32), {"brush_tool": "wobble"}, {}, True)
    with pytest.raises(DioramaError, match="Tap on the photo"):
        studio.pop_out(500, 10, {}, {})


def test_pop_out_through_the_studio():
    studio = studio_with_photo()
    before = studio.require_raw_depth().copy()
    studio.pop_out(70, 60, {"brush_strength": 1.0}, {})
    assert studio.require_raw_depth()[60, 70] == pytest.approx(before[60, 70] + STEP, abs=0.02)
    assert studio.require_raw_depth()[5, 150] == pytest.approx(before[5, 150], abs=0.01)


def test_a_studio_given_the_recorded_edits_has_the_same_depth_and_undo_history():
    """A new worker gets the shown photo with the page's record of its edit requests (Studio.commit's edits)."""
    live = studio_with_photo()
    recorded = []

    def request(op, **args):  # as the page sends an edit request and records it (web/photo-flow.js)
        recorded.append({"op": op, "args": args})
        method = {
            "stroke": lambda a: live.paint(a["points"], a["brush"], a["options"], a["final"]),
            "popOut": lambda a: live.pop_out(a["x"], a["y"], a["brush"], a["options"]),
            "undo": lambda a: live.undo(a["options"]),
            "redo": lambda a: live.redo(a["options"]),
            "resetEdits": lambda a: live.reset_edits(a["options"]),
        }[op]
        try:
            method(args)
        except DioramaError:
            pass

    smooth = {**BRUSH, "brush_tool": "smooth"}
    request("stroke", points=np.array([20, 30, 60, 30], np.float32), brush=BRUSH, options={}, final=False)
    request("stroke", points=np.array([100, 40], np.float32), brush=BRUSH, options={}, final=True)
    request(
        "stroke", points=np.array([10, 100, 150, 90], np.float32), brush=smooth, options={"invert": True}, final=True
    )
    request("popOut", x=500, y=10, brush={}, options={})  # refused: replayed as refused
    request("popOut", x=70, y=60, brush={"brush_strength": 0.5}, options={"contrast": 2.0})
    request("resetEdits", options={})
    request("undo", options={})
    request("undo", options={})
    live.adjust({"contrast": 2.0})

    restored = Studio()
    rgb, _, _, _ = disc_scene()
    restored.open_photo(png(rgb), 1)
    restored.use_depth_map(png((ramp(120, 160) * 255).astype(np.uint8)))
    texels, _, _ = restored.commit({"contrast": 2.0}, recorded)
    assert np.array_equal(texels, depth_texels(live.display_depth)[0])
    assert np.array_equal(restored.require_raw_depth(), live.require_raw_depth())
    assert restored.edit_state() == live.edit_state() == (True, True)
    for step in ("redo", "undo", "undo", "undo", "redo"):  # the same history, step by step
        assert np.array_equal(getattr(restored, step)({})[0], getattr(live, step)({})[0]), step
        assert restored.edit_state() == live.edit_state()
