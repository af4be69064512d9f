"""Helpers for driving the app in end-to-end tests: generated photos, opening files, reading the view."""

from __future__ import annotations

import base64
import io
import time
from urllib.parse import urlparse

import numpy as np
from PIL import Image

LOCAL_HOSTS = {"127.0.0.1", "localhost"}

# Debian's Chromium, headless, talking to nobody: without the network flags and the resolver rule it
# still calls Google's hosts; SwiftShader gives WebGL without a GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


def assert_all_local(urls: list[str]) -> None:
    foreign = [
        u for u in urls if urlparse(u).scheme not in ("data", "blob") and urlparse(u).hostname not in LOCAL_HOSTS
    ]
    assert not foreign, f"requests left the machine: {foreign}"


def wait_for_state(page, state: str, timeout: float = 90_000) -> None:
    page.wait_for_function("s => document.body.dataset.state === s", arg=state, timeout=timeout)


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


def scene(width: int = 640, height: int = 480) -> tuple[Image.Image, Image.Image]:
    """A textured photo with a near square in the middle, and its depth map (white = near)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([(x * 255 // width), (y * 255 // height), ((x // 16 + y // 16) % 2) * 200], -1)
    rgb = (rgb + rng.integers(0, 40, rgb.shape)).clip(0, 255).astype(np.uint8)
    near = (abs(x - width / 2) < width / 5) & (abs(y - height / 2) < height / 5)
    rgb[near] = [230, 60, 40]
    depth = np.where(near, 255, 40).astype(np.uint8)
    return Image.fromarray(rgb), Image.fromarray(depth)


def file_payload(name: str, data: bytes, mime: str = "application/octet-stream") -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def photo_with_depth(width=640, height=480, name="room") -> list[dict]:
    photo, depth = scene(width, height)
    return [
        file_payload(f"{name}.jpg", encode(photo, "JPEG", quality=90), "image/jpeg"),
        file_payload(f"{name}_depth.png", encode(depth, "PNG"), "image/png"),
    ]


def open_files(page, files: list[dict]) -> str:
    """Give files to the file picker; returns the state once the app has dealt with them."""
    return after_opening(page, lambda: page.locator("#file").set_input_files(files))


def after_opening(page, action) -> str:
    """Run an action that opens files; wait until the app has finished with them; return its state."""
    count = page.evaluate("() => window.diorama.settledOpens")
    action()
    page.wait_for_function("n => window.diorama.settledOpens > n", arg=count, timeout=90_000)
    state = page.evaluate("() => document.body.dataset.state")
    if state == "error":  # the message belongs in a failing test's output
        print("alert:", page.locator("#alert").text_content())
    return state


def change_contrast(page, value: str) -> None:
    """Move the depth contrast slider; wait until the view has the new depth or the alert says something new."""
    page.evaluate(
        """(value) => { window.depthBefore = window.diorama.viewer.shown.depth;
        window.alertBefore = document.getElementById('alert').textContent;
        const contrast = document.getElementById('contrast');
        contrast.value = value;
        contrast.dispatchEvent(new Event('change')); }""",
        value,
    )
    page.wait_for_function(
        "() => window.diorama.viewer.shown.depth !== window.depthBefore"
        " || document.getElementById('alert').textContent !== window.alertBefore",
        timeout=90_000,
    )


_TYPED_ARRAYS = {
    "Uint8Array": np.uint8,
    "Uint8ClampedArray": np.uint8,
    "Uint16Array": np.uint16,
    "Int16Array": np.int16,
    "Int32Array": np.int32,
    "Float32Array": np.float32,
    "Float64Array": np.float64,
}


def typed_array(page, function: str, arg=None) -> tuple[np.ndarray, dict]:
    """A typed array from the page, as a flat NumPy array of its type, and the other fields given with it.

    `function` is JavaScript source of a (possibly async) function of `arg` returning ``{data: TypedArray, ...}``.
    The array crosses as base64 (a 12 MP photo's pixels as a JSON list took Playwright 90 s; this, well under one).
    """
    out = page.evaluate(
        f"""async (arg) => {{
        const {{data, ...fields}} = await ({function})(arg);
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        let text = '';
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return {{type: data.constructor.name, base64: btoa(text), fields}};
    }}""",
        arg,
    )
    return np.frombuffer(base64.b64decode(out["base64"]), dtype=_TYPED_ARRAYS[out["type"]]), out["fields"]


def stage_pixels(page) -> np.ndarray:
    """The 3D view's current frame (no overlays), as an (H, W, 4) int16 array."""
    data, size = typed_array(
        page, "() => { const f = window.diorama.viewer.snapshot(256); return {data: f.data, w: f.width, h: f.height}; }"
    )
    return data.astype(np.int16).reshape(size["h"], size["w"], 4)


def settle(page) -> np.ndarray:
    """Stop idle motion, let the view come to rest (the viewer's loop stops), return its pixels."""
    page.evaluate("""async () => { const auto = document.getElementById('idle_motion');
        if (auto.checked) auto.click(); window.diorama.look(0, 0);
        while (!window.diorama.viewer.idle) await new Promise(r => setTimeout(r, 100));
    }""")
    return stage_pixels(page)


def changed(before: np.ndarray, after: np.ndarray) -> float:
    """Mean absolute pixel difference; a different frame size counts as a full change."""
    if before.shape != after.shape:
        return 255.0
    return float(np.abs(before - after).mean())


def wait_for_view_change(page, before: np.ndarray, least: float = 1.0, timeout: float = 15_000) -> np.ndarray:
    """Wait until the 3D view's frame differs from `before` by more than `least` (:func:`changed`), checking each
    frame; returns that frame. Fails with the last difference seen when it does not within `timeout` ms."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        after = stage_pixels(page)
        difference = changed(before, after)
        if difference > least:
            return after
        if time.monotonic() > deadline:
            raise AssertionError(f"the view did not change (mean difference {difference:.2f} <= {least})")
        page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => resolve()))")


def dispatch_files(page, kind: str, files: list[dict]) -> str:
    """Hand files to the page in a synthetic 'drop' (on the body) or 'paste' (on the document) event.

    Returns the app's state once it has dealt with them.
    """
    return after_opening(
        page,
        lambda: page.evaluate(
            """async ([files, kind]) => {
            const transfer = new DataTransfer();
            for (const f of files) transfer.items.add(new File([new Uint8Array(f.bytes)], f.name, {type: f.type}));
            if (kind === 'drop') document.body.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
            else document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true, cancelable: true}));
        }""",
            [[{"name": f["name"], "type": f["mimeType"], "bytes": list(f["buffer"])} for f in files], kind],
        ),
    )
