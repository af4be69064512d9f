"""The exports (web/export/), end to end in Chromium through window.diorama.export(kind, options): videos decoded
back with mediabunny, GIFs read by Pillow and parsed byte by byte, stereo pairs and stills checked against frames
the viewer renders itself at the same poses."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

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
  // a pose rendered by the viewer at (width, height) as a PNG (base64): exact pixels for Python
  async renderedPng(pose, width, height) {
    const { renderPose } = await this.module('export/frames.js');
    const { imageBlob } = await this.module('export/still.js');
    const blob = await imageBlob(await renderPose(window.diorama.viewer, pose, { width, height }), { width, height }, 'png');
    return this.base64(new Uint8Array(await blob.arrayBuffer()));
  },
  base64(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  },
  async blob(kind, options) {
    const out = await window.diorama.export(kind, options);
    const list = [out].flat();
    return Promise.all(list.map(async ({ name, blob }) => {
      return { name, type: blob.type, data: this.base64(new Uint8Array(await blob.arrayBuffer())) };
    }));
  },
};
"""

SMALL = 160  # compared frames are scaled to this width


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
    assert video["packets"] == video["decoded"] == 24  # 2 s x 12 fps, no more, no less
    assert video["duration"] == pytest.approx(2.0, abs=1e-3)
    # the sample is under the 1080p cap: the photo's own size, in even pixels
    assert (video["width"], video["height"]) == (photo[0] // 2 * 2, photo[1] // 2 * 2)
    first, last = (rgb(f, SMALL) for f in video["frames"])
    # frame 0 is the view at phase 0, drawn the right way up (not the window's frame, not flipped)
    w, h = video["small"]
    reference = rgb(
        studio.evaluate(
            """([w, h, sw, sh]) => window.exportTest.rendered({x: 1, y: 0, zoom: 0, magnify: 0},
        w, h, sw, sh)""",
            [video["width"], video["height"], w, h],
        ),
        SMALL,
    )
    assert diff(first, reference) < 4, "the first frame is not the preset's pose at phase 0"
    assert diff(first, reference[::-1]) > 3 * diff(first, reference)
    # the last frame is one step before the first: the loop joins (a frame from the middle differs far more)
    opposite = rgb(
        studio.evaluate(
            """([w, h, sw, sh]) => window.exportTest.rendered({x: -1, y: 0, zoom: 0, magnify: 0},
        w, h, sw, sh)""",
            [video["width"], video["height"], w, h],
        ),
        SMALL,
    )
    assert diff(first, last) < 0.5 * diff(first, opposite)


def pose(x: float, y: float = 0.0) -> dict:
    return {"x": x, "y": y, "zoom": 0, "magnify": 0}


def rendered(page, at: dict, width: int, height: int) -> np.ndarray:
    """The viewer's own render of a pose at (width, height): (H, W, 3) uint8."""
    png = page.evaluate("([p, w, h]) => window.exportTest.renderedPng(p, w, h)", [at, width, height])
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(png))).convert("RGB"))


def shown_size(page) -> tuple[int, int]:
    return tuple(page.evaluate("() => { const p = window.diorama.viewer.shown.photo; return [p.width, p.height]; }"))


def gif_blocks(data: bytes) -> dict:
    """Walk a GIF's blocks: the global colour table, the NETSCAPE2.0 loop count, each frame's local table flag."""
    assert data[:6] == b"GIF89a"
    packed = data[10]
    pos = 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
    out = {"global_table": bool(packed & 0x80), "loop": None, "local_tables": [], "delays": []}

    def skip_sub_blocks(p):
        while data[p]:
            p += data[p] + 1
        return p + 1

    while data[pos] != 0x3B:
        if data[pos] == 0x21:  # extension
            label = data[pos + 1]
            if label == 0xFF and data[pos + 3 : pos + 14] == b"NETSCAPE2.0":
                out["loop"] = int.from_bytes(data[pos + 16 : pos + 18], "little")
            if label == 0xF9:
                out["delays"].append(int.from_bytes(data[pos + 4 : pos + 6], "little"))
            pos = skip_sub_blocks(pos + 2)
        elif data[pos] == 0x2C:  # image descriptor
            flags = data[pos + 9]
            out["local_tables"].append(bool(flags & 0x80))
            pos += 10 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
            pos = skip_sub_blocks(pos + 1)  # LZW minimum code size, then the data
        else:
            raise AssertionError(f"unexpected GIF block {data[pos]:#x} at {pos}")
    return out


def blur(image: np.ndarray, k: int = 4) -> np.ndarray:
    """Block means over k x k: what the eye sees of a dithered picture."""
    h, w = image.shape[0] // k * k, image.shape[1] // k * k
    return image[:h, :w].reshape(h // k, k, w // k, k, -1).astype(np.float32).mean((1, 3))


def test_a_gif_loops_forever_on_one_shared_palette_and_looks_like_the_rendered_frames(studio):
    (made,) = exported(studio, "gif", {"seconds": 2, "fps": 10, "size": 320, "preset": "circle", "amplitude": 1})
    assert made["name"] == "diorama.gif" and made["type"] == "image/gif"
    blocks = gif_blocks(made["bytes"])
    assert blocks["global_table"] and blocks["loop"] == 0  # NETSCAPE2.0, 0 = forever
    assert len(blocks["local_tables"]) == 20 and not any(blocks["local_tables"])  # 2 s x 10 fps, one palette
    assert blocks["delays"] == [10] * 20  # hundredths of a second
    image = Image.open(io.BytesIO(made["bytes"]))
    assert image.n_frames == 20 and image.info["loop"] == 0
    width, height = image.size
    assert max(width, height) == 320 and width % 2 == 0 and height % 2 == 0
    first = np.asarray(image.convert("RGB"))
    reference = rendered(studio, pose(1), width, height)
    # dithered, so compare what the eye sees: small everywhere (no bands), and the pixels themselves close too
    seen = np.abs(blur(first) - blur(reference))
    assert seen.mean() < 3 and np.percentile(seen, 99) < 12, (seen.mean(), np.percentile(seen, 99))
    assert diff(first, reference) < 12
    image.seek(10)  # half way round: the far side
    assert diff(np.asarray(image.convert("RGB")), reference) > 2 * diff(first, reference)


def test_stereo_pairs_and_stills_are_the_viewers_own_views_at_the_photos_size(studio):
    w, h = shown_size(studio)
    left, right = rendered(studio, pose(-0.6), w, h), rendered(studio, pose(0.6), w, h)
    assert diff(left, right) > 1, "a baseline of 1.2 should move the near things"

    def image(kind, options):
        (made,) = exported(studio, kind, options)
        return made, Image.open(io.BytesIO(made["bytes"]))

    made, full = image("sbs", {"baseline": 1.2})
    assert made["name"] == "diorama_sbs_full_parallel.png" and full.size == (2 * w, h)
    pair = np.asarray(full.convert("RGB"))
    assert diff(pair[:, :w], left) < 0.5 and diff(pair[:, w:], right) < 0.5
    made, cross = image("sbs", {"baseline": 1.2, "order": "cross", "layout": "half", "format": "jpeg"})
    assert made["bytes"][:3] == b"\xff\xd8\xff" and cross.size == ((w + 1) // 2 * 2, h)
    half = np.asarray(cross.convert("RGB"))

    def squeezed(view):
        return np.asarray(Image.fromarray(view).resize((half.shape[1] // 2, h), Image.BILINEAR))

    # cross-eyed: the right eye's view on the left; each squeezed to half width
    assert diff(half[:, : half.shape[1] // 2], squeezed(right)) < diff(half[:, : half.shape[1] // 2], squeezed(left))

    made, ana = image("anaglyph", {"baseline": 1.2})
    assert ana.size == (w, h)
    # Dubois' red-cyan least-squares matrices, in linear light
    L = np.array([[0.437, 0.449, 0.164], [-0.062, -0.062, -0.024], [-0.048, -0.050, -0.017]])
    R = np.array([[-0.011, -0.032, -0.007], [0.377, 0.761, 0.009], [-0.026, -0.093, 1.234]])

    def lin(v):
        return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)

    def enc(v):
        return np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.clip(v, 0, 1) ** (1 / 2.4) - 0.055)

    mixed = lin(left / 255) @ L.T + lin(right / 255) @ R.T
    expected = np.round(255 * enc(np.clip(mixed, 0, 1)))
    got = np.asarray(ana.convert("RGB"))
    assert np.abs(got - expected).max() <= 2
    assert diff(got, expected) < 0.1 * diff(
        got, np.round(255 * enc(np.clip(lin(right / 255) @ L.T + lin(left / 255) @ R.T, 0, 1)))
    )

    studio.evaluate("() => window.diorama.viewer.lookNow(0.3, -0.2)")  # the view on screen
    made, still = image("png", {})
    assert made["name"] == "diorama.png" and still.size == (w, h) and made["bytes"][:4] == b"\x89PNG"
    assert diff(np.asarray(still.convert("RGB")), rendered(studio, pose(0.3, -0.2), w, h)) < 0.5
    assert diff(np.asarray(still.convert("RGB")), rendered(studio, pose(0), w, h)) > 1
    made, jpeg = image("png", {"format": "jpeg"})
    assert made["name"] == "diorama.jpg" and jpeg.format == "JPEG" and jpeg.size == (w, h)


def test_a_wiggle_shows_the_views_back_and_forth(studio):
    (made,) = exported(studio, "wiggle", {"baseline": 1.5, "views": 3, "size": 240})
    blocks = gif_blocks(made["bytes"])
    assert made["name"] == "diorama_wiggle.gif" and blocks["loop"] == 0
    assert blocks["delays"] == [15] * 4  # left, centre, right, centre
    image = Image.open(io.BytesIO(made["bytes"]))
    frames = []
    for i in range(4):
        image.seek(i)
        frames.append(np.asarray(image.convert("RGB")))
    assert diff(frames[1], frames[3]) < 1 < diff(frames[0], frames[2])
    (two,) = exported(studio, "wiggle", {"views": 2, "size": 240})
    assert len(gif_blocks(two["bytes"])["delays"]) == 2
    video = decode_video(studio, "wiggle", {"views": 2, "format": "webm", "hold": 0.1})
    assert video["type"] == "video/webm" and video["decoded"] == 90  # 3 s at 30 fps: L R L R ... 3 frames each
    assert video["duration"] == pytest.approx(3.0, abs=1e-3)


def test_bad_options_say_what_is_wrong_and_the_export_section_shows_progress_and_cancels(studio):
    for kind, options, message in [
        ("gif", {"size": "huge"}, "size must be a number from 64 to 1080"),
        ("mp4", {"size": "8k"}, "size must be one of 1080p, 4k"),
        ("sbs", {"layout": "diagonal"}, "layout must be one of full, half"),
        ("anaglyph", {"baseline": 5}, "baseline must be a number from 0.2 to 2"),
        ("gif", {"layout": "half"}, "gif takes no option layout"),
        ("webm", {"preset": "spin"}, "preset must be one of"),
        ("obj", {}, 'Unknown export "obj"'),
    ]:
        error = studio.evaluate(
            """async ([kind, options]) => {
            try { await window.diorama.export(kind, options); return null; } catch (err) { return err.message; }
        }""",
            [kind, options],
        )
        assert error and message in error, (kind, error)
    # a browser without H.264 encoding (as some Linux builds of Chromium): MP4 says so and offers WebM
    error = studio.evaluate("""async () => {
        const supported = VideoEncoder.isConfigSupported.bind(VideoEncoder);
        VideoEncoder.isConfigSupported = async (config) =>
            (config.codec.startsWith('avc') ? { supported: false, config } : supported(config));
        try { await window.diorama.export('mp4', { seconds: 1, fps: 2 }); return null; }
        catch (err) { return err.message; }
        finally { VideoEncoder.isConfigSupported = supported; }
    }""")
    assert error and "cannot encode MP4 (H.264)" in error and "Export WebM instead" in error, error
    # the UI: a long video shows its progress and stops at Cancel, with no download and no alert
    downloads = []
    studio.on("download", lambda d: downloads.append(d.suggested_filename))
    studio.select_option("#export-kind", "webm")
    assert studio.is_visible("select[name=size]") and not studio.is_visible("input[name=baseline]")
    studio.click("#export-run")
    studio.wait_for_function("() => document.getElementById('export-progress').value > 0", timeout=60_000)
    assert studio.is_visible("#export-cancel") and studio.is_disabled("#export-run")
    studio.click("#export-cancel")
    studio.wait_for_function("() => !document.getElementById('export-run').disabled", timeout=30_000)
    assert studio.is_hidden("#export-progress") and studio.is_hidden("#alert") and downloads == []
    # and the app still exports
    studio.select_option("#export-kind", "png")
    with studio.expect_download() as still:
        studio.click("#export-run")
    assert still.value.suggested_filename == "diorama.png"
