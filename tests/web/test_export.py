"""The exports (web/export/), end to end in Chromium through window.diorama.export(kind, options): videos decoded
back with mediabunny, GIFs read by Pillow and parsed byte by byte, stereo pairs and stills checked against frames
the viewer renders itself at the same poses."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from .support import open_files, photo_with_depth, wait_for_state

# Page-side helpers: a frame as small RGB bytes (base64) so Python can compare it, and a fresh render of a pose.
HELPERS = """
window.exportTest = {
  async module(path) { return import(new URL(path, location.href).href); },
  // RGB bytes (base64) of a drawable at w x h
  small(draw, w, h) {
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    draw(ctx, w, h);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    let s = '';
    for (let i = 0; i < rgba.length; i += 4) s += String.fromCharCode(rgba[i], rgba[i + 1], rgba[i + 2]);
    return btoa(s);
  },
  // a pose rendered by the viewer at (width, height), then scaled to w x h
  async rendered(pose, width, height, w, h) {
    const { renderPose } = await this.module('export/frames.js');
    const pixels = await renderPose(window.diorama.viewer, pose, { width, height });
    const full = new OffscreenCanvas(width, height);
    full.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(pixels), width, height), 0, 0);
    return this.small((ctx) => ctx.drawImage(full, 0, 0, w, h), w, h);
  },
  async blob(kind, options) {
    const out = await window.diorama.export(kind, options);
    const list = [out].flat();
    return Promise.all(list.map(async ({ name, blob }) => {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { name, type: blob.type, data: btoa(s) };
    }));
  },
};
"""

SMALL = 160   # compared frames are scaled to this width


def rgb(b64: str, width: int) -> np.ndarray:
    flat = np.frombuffer(base64.b64decode(b64), np.uint8).astype(np.int16)
    return flat.reshape(-1, width, 3)


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture
def studio(app):
    """The app with the sample shown, its layers ready and idle motion off, plus the helpers above."""
    app.wait_for_function("() => document.getElementById('renderer').dataset.layers === 'ready'", timeout=90_000)
    app.evaluate("() => { const auto = document.getElementById('idle_motion'); if (auto.checked) auto.click(); }")
    app.evaluate(HELPERS)
    return app


def exported(page, kind: str, options: dict | None = None) -> list[dict]:
    files = page.evaluate("([kind, options]) => window.exportTest.blob(kind, options)", [kind, options or {}])
    for f in files:
        f["bytes"] = base64.b64decode(f.pop("data"))
    return files


DECODE = """async ([kind, options, small]) => {
  const t = window.exportTest;
  const mb = await t.module('vendor/mediabunny.mjs');
  const { blob } = await window.diorama.export(kind, options);
  const input = new mb.Input({ source: new mb.BlobSource(blob), formats: mb.ALL_FORMATS });
  const track = await input.getPrimaryVideoTrack();
  const stats = await track.computePacketStats();
  const width = track.displayWidth, height = track.displayHeight, h = Math.round(small * height / width);
  const sink = new mb.VideoSampleSink(track);
  const frames = [];
  let count = 0, last = null;
  for await (const sample of sink.samples()) {
    if (count === 0) frames.push(t.small((ctx, w, hh) => sample.draw(ctx, 0, 0, w, hh), small, h));
    last?.close();
    last = sample;
    count++;
  }
  frames.push(t.small((ctx, w, hh) => last.draw(ctx, 0, 0, w, hh), small, h));
  last.close();
  return { type: blob.type, codec: track.codec, width, height, decoded: count, packets: stats.packetCount,
           duration: await track.computeDuration(), frames, small: [small, h],
           head: Array.from(new Uint8Array(await blob.slice(0, 12).arrayBuffer())) };
}"""


def decode_video(page, kind: str, options: dict) -> dict:
    return page.evaluate(DECODE, [kind, options, SMALL])


@pytest.mark.parametrize("kind", ["webm", "mp4"])
def test_a_video_holds_exactly_loop_x_fps_frames_at_the_photos_size_and_loops_seamlessly(studio, kind):
    photo = studio.evaluate("() => { const p = window.diorama.viewer.shown.photo; return [p.width, p.height]; }")
    h264 = studio.evaluate("""async () => typeof VideoEncoder !== 'undefined' && (await VideoEncoder.isConfigSupported(
        { codec: 'avc1.640028', width: 1280, height: 720, bitrate: 4e6 })).supported""")
    options = {"seconds": 2, "fps": 12, "preset": "circle", "amplitude": 1}
    if kind == "mp4" and not h264:
        with pytest.raises(Exception, match="cannot encode MP4 .H.264.*WebM"):
            decode_video(studio, kind, options)
        return
    video = decode_video(studio, kind, options)
    assert video["type"] == f"video/{kind}"
    assert video["codec"] == ("avc" if kind == "mp4" else "vp9")
    assert video["packets"] == video["decoded"] == 24                              # 2 s x 12 fps, no more, no less
    assert video["duration"] == pytest.approx(2.0, abs=1e-3)
    # the sample is under the 1080p cap: the photo's own size, in even pixels
    assert (video["width"], video["height"]) == (photo[0] // 2 * 2, photo[1] // 2 * 2)
    first, last = (rgb(f, SMALL) for f in video["frames"])
    # frame 0 is the view at phase 0, drawn the right way up (not the window's frame, not flipped)
    w, h = video["small"]
    reference = rgb(studio.evaluate("""([w, h, sw, sh]) => window.exportTest.rendered({x: 1, y: 0, zoom: 0, magnify: 0},
        w, h, sw, sh)""", [video["width"], video["height"], w, h]), SMALL)
    assert diff(first, reference) < 4, "the first frame is not the preset's pose at phase 0"
    assert diff(first, reference[::-1]) > 3 * diff(first, reference)
    # the last frame is one step before the first: the loop joins (a frame from the middle differs far more)
    opposite = rgb(studio.evaluate("""([w, h, sw, sh]) => window.exportTest.rendered({x: -1, y: 0, zoom: 0, magnify: 0},
        w, h, sw, sh)""", [video["width"], video["height"], w, h]), SMALL)
    assert diff(first, last) < 0.5 * diff(first, opposite)
