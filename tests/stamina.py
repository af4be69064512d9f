"""Stamina: open many photos in a row in one page and record memory after each; writes docs/stamina.md.

    .venv/bin/python -m tests.stamina [--photos 30] [--out docs/stamina.md]   (or tests/stamina.py)

Needs a built dist/ (``python3 build.py build``). One page, served with COOP/COEP like
``build.py serve``; photos are generated here (sizes from 1 to 24 MP, portrait and landscape, fresh
pixels each time so nothing is deduplicated), handed to ``window.diorama.open`` as Files. Each photo
goes in with its depth map, or alone when the build has a depth model (then the model runs, as for
most people). After each photo has been shown:

* wasm memory: the size of Pyodide's WebAssembly memory (``window.diorama.memory()``, the worker's
  ``memory`` op). It only grows (wasm memory never shrinks), so a flat line means Python's allocator
  reuses what it has. onnxruntime's own wasm memory is not included (it is not exposed).
* JS heap: ``performance.memory.usedJSHeapSize`` of the page after a forced garbage collection
  (Chromium with ``--enable-precise-memory-info --js-flags=--expose-gc``); the worker's JS heap is
  not visible from the page.

"Stops growing after warm-up" is judged from the last photos against the end of the warm-up.
"""

from __future__ import annotations

import argparse
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import build  # noqa: E402
from tests.web.support import CHROMIUM_ARGS, encode  # noqa: E402

WARM_UP = 5  # photos after which memory should stop growing
SIZES = [(4000, 3000), (3000, 4000), (2048, 1536), (6000, 4000), (1200, 1600), (5000, 5000)]


def photo_pair(index: int) -> tuple[bytes, bytes]:
    """A photo-like JPEG of one of SIZES (smooth gradients, shapes and grain) and its depth map."""
    width, height = SIZES[index % len(SIZES)]
    rng = np.random.default_rng(index)
    small = (height // 8, width // 8)
    y, x = np.mgrid[0 : small[0], 0 : small[1]].astype(np.float32)
    base = np.stack([x / small[1], y / small[0], 0.5 + 0.5 * np.sin((x + y) / (20 + index))], -1) * 200
    base += rng.normal(0, 8, base.shape)
    photo = Image.fromarray(base.clip(0, 255).astype(np.uint8)).resize((width, height), Image.BILINEAR)
    depth = Image.fromarray((255 * y / small[0]).astype(np.uint8)).resize((width // 4, height // 4))
    return encode(photo, "JPEG", quality=90), encode(depth, "PNG")


# The photos reach the page as fetched Blobs (files, as from the picker): passing megabytes through
# Playwright (evaluate arguments, set_input_files) leaves copies in the page's heap that are not the app's.
OPEN = """async (names) => {
    const files = await Promise.all(names.map(async (name) =>
        new File([await (await fetch('__stamina/' + name)).blob()], name)));
    try { await window.diorama.open(files); return null; } catch (err) { return String(err.message); }
}"""

MEASURE = """async () => {
    for (let i = 0; i < 3; i++) { gc(); await new Promise(r => setTimeout(r, 50)); }
    const { wasm } = await window.diorama.memory();
    return { wasm, jsHeap: performance.memory.usedJSHeapSize };
}"""


def run(count: int) -> tuple[list[dict], bool]:
    server = build.make_server(build.DIST, isolated=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    has_model = '"model": "models/' in (build.DIST / "build.json").read_text()
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=build.find_chromium(),
            args=CHROMIUM_ARGS + ["--enable-precise-memory-info", "--js-flags=--expose-gc"],
        )
        # Service workers blocked so that the route below sees the page's fetches of the photos.
        page = browser.new_page(service_workers="block")
        served: dict[str, bytes] = {}
        page.route("**/__stamina/*", lambda route: route.fulfill(body=served[route.request.url.rsplit("/", 1)[1]]))
        page.goto(url)
        page.wait_for_function("() => document.body.dataset.state === 'shown'", timeout=180_000)
        page.evaluate("() => window.diorama.ready")
        rows.append({"photo": 0, "size": "sample", "ms": None, **page.evaluate(MEASURE)})
        for i in range(1, count + 1):
            photo, depth = photo_pair(i)
            served.clear()
            served[f"photo{i}.jpg"] = photo
            names = [f"photo{i}.jpg"]
            if not has_model:
                served[f"photo{i}_depth.png"] = depth
                names.append(f"photo{i}_depth.png")
            error = page.evaluate(OPEN, names)
            if error:
                raise RuntimeError(f"photo {i}: {error}")
            ms = page.evaluate("() => window.diorama.timings.firstFrame")
            width, height = SIZES[i % len(SIZES)]
            rows.append({"photo": i, "size": f"{width}x{height}", "ms": ms, **page.evaluate(MEASURE)})
            print(f"[stamina] {rows[-1]}", flush=True)
        browser.close()
    server.shutdown()
    return rows, has_model


def report(rows: list[dict], has_model: bool) -> str:
    mib = lambda b: b / 2**20  # noqa: E731
    warm = rows[min(WARM_UP, len(rows) - 1)]
    last = rows[-1]
    # The page's heap holds the photo on screen, so compare photos of the same size: the last one and
    # the first of its size after warm-up.
    same = next((r for r in rows[WARM_UP:] if r["size"] == last["size"]), last)
    wasm_growth = mib(last["wasm"] - warm["wasm"])
    js_growth = mib(last["jsHeap"] - same["jsHeap"])
    flat = wasm_growth <= 0 and js_growth < 2
    lines = [
        "## Stamina",
        "",
        f"{len(rows) - 1} photos opened in a row in one page ({'each alone, depth from the model' if has_model else 'each with its depth map; the build had no model'}); "
        f"sizes cycling through {', '.join(f'{w}x{h}' for w, h in SIZES)} px. "
        f"Measured {time.strftime('%Y-%m-%d')} by `tests/stamina.py` on {platform.machine()} Linux, Chromium headless "
        f"(software WebGL), after a forced GC: wasm = Pyodide's WebAssembly memory, JS heap = the page's "
        "`performance.memory.usedJSHeapSize`. The photos are fetched in the page as Files and given to "
        "`window.diorama.open` (passing megabytes through Playwright instead leaves copies in the page's heap "
        "that look like a leak of about 2.5 MiB per photo).",
        "",
        f"- wasm memory after warm-up ({WARM_UP} photos) to the last: {mib(warm['wasm']):.0f} → {mib(last['wasm']):.0f} MiB "
        f"({wasm_growth:+.0f} MiB). It is a high-water mark (wasm memory never shrinks), set by the largest photo so far.",
        f"- Page JS heap, which holds the photo on screen (RGBA + depth), photo {same['photo']} → photo {last['photo']} "
        f"(both {last['size']}): {mib(same['jsHeap']):.1f} → {mib(last['jsHeap']):.1f} MiB ({js_growth:+.1f} MiB).",
        f"- Verdict: {'memory stops growing after warm-up.' if flat else 'memory still grows after warm-up — see the table.'}",
        "",
        "| photo | size | open → shown (ms) | wasm (MiB) | page JS heap (MiB) |",
        "|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        ms = "" if r["ms"] is None else f"{r['ms']:.0f}"
        lines.append(f"| {r['photo']} | {r['size']} | {ms} | {mib(r['wasm']):.0f} | {mib(r['jsHeap']):.1f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "stamina.md")
    args = parser.parse_args()
    if not (build.DIST / "index.html").exists():
        print("dist/ is not built: run `python3 build.py build` first", file=sys.stderr)
        return 1
    rows, has_model = run(args.photos)
    text = report(rows, has_model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
