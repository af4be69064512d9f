"""Benchmarks of the built app in headless Chromium; writes BENCHMARKS.md.

Run through ``python3 build.py bench [--runs N]``, which builds dist/ first. Every figure is
the median of N cold runs (a new browser context each time: empty HTTP cache, new worker,
new Pyodide). Photos are generated here, so no data outside the repo is needed.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import platform
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
from PIL import Image
from playwright.sync_api import sync_playwright

import build
from tests.web.support import CHROMIUM_ARGS



def twelve_megapixel_pair() -> tuple[bytes, bytes]:
    """A 4000x3000 JPEG (the bundled sample upscaled, plus grain so it compresses like a photo) and its depth map."""
    photo = Image.open(build.WEB / "sample" / "coffee.jpg").convert("RGB").resize((4000, 3000), Image.BICUBIC)
    grain = np.random.default_rng(0).integers(-12, 13, (3000, 4000, 3))
    photo = Image.fromarray((np.asarray(photo, dtype=np.int16) + grain).clip(0, 255).astype(np.uint8))
    depth = Image.open(build.WEB / "sample" / "coffee_depth.png").resize((4000, 3000), Image.BICUBIC)
    out = []
    for image, fmt in ((photo, "JPEG"), (depth, "PNG")):
        buf = io.BytesIO()
        image.save(buf, fmt, quality=92)
        out.append(buf.getvalue())
    return out[0], out[1]


def measure_cold_run(browser, url: str, photo: bytes, depth: bytes) -> dict:
    # bypass_csp: Playwright's evaluate needs eval, which the app's CSP forbids
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    paths: list[str] = []
    context.on("requestfinished", lambda r: paths.append(urlparse(r.url).path))
    page.goto(url)
    page.wait_for_function("() => document.body.dataset.state === 'shown'", timeout=120_000)
    boot = page.evaluate("() => window.diorama.ready.then(() => window.diorama.timings.boot)")
    page.evaluate(
        """async ([photo, depth]) => {
            const file = (b64, name) => new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], name);
            await window.diorama.open([file(photo, 'big.jpg'), file(depth, 'big_depth.png')]);
        }""",
        [_b64(photo), _b64(depth)],
    )
    big = page.evaluate("() => window.diorama.timings")
    context.close()
    return {"boot": boot, "open12mp": big["firstFrame"], "decode12mp": big["decode"], "depth12mp": big["depth"],
            "paths": paths}


def _b64(data: bytes) -> str:
    import base64
    return base64.b64encode(data).decode()


def first_load_bytes(paths: list[str]) -> tuple[int, int]:
    """Raw and gzip-compressed size of the files a first visit fetched."""
    raw = gz = 0
    for path in sorted(set(paths)):
        file = build.DIST / (path.lstrip("/") or "index.html")
        if file.is_dir():
            file = file / "index.html"
        if file.is_file():
            data = file.read_bytes()
            raw += len(data)
            gz += len(gzip.compress(data, 6))
    return raw, gz


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    photo, depth = twelve_megapixel_pair()
    server = build.make_server(build.DIST)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ["DIORAMA_CHROMIUM"], args=CHROMIUM_ARGS)
        version = browser.version
        for i in range(args.runs):
            runs.append(measure_cold_run(browser, url, photo, depth))
            print(f"run {i + 1}: boot {runs[-1]['boot']:.0f} ms, 12 MP open {runs[-1]['open12mp']:.0f} ms", flush=True)
        browser.close()
    server.shutdown()
    med = {k: statistics.median(r[k] for r in runs) for k in ("boot", "open12mp", "decode12mp", "depth12mp")}
    raw, gz = first_load_bytes(runs[0]["paths"])
    report = f"""# Benchmarks

Measured {time.strftime('%Y-%m-%d')} by `python3 build.py bench --runs {args.runs}` on this machine
({os.cpu_count()} cores, {platform.machine()}, no GPU; Chromium {version} headless, WebGL via SwiftShader).
Each figure is the median of {args.runs} cold runs: a fresh browser context per run (empty HTTP cache,
new worker, Pyodide booted from scratch), dist/ served from localhost with COOP/COEP.

| what | target | median | runs (ms) |
|---|---|---|---|
| cold load to the sample's first 3D frame (navigation start -> first frame) | ≤ 3000 ms | {med['boot']:.0f} ms | {', '.join(f"{r['boot']:.0f}" for r in runs)} |
| 12 MP JPEG + depth map dropped -> its first 3D frame | ≤ 1500 ms | {med['open12mp']:.0f} ms | {', '.join(f"{r['open12mp']:.0f}" for r in runs)} |
| … of which decode + downscale to 2048 px (worker, Python) | | {med['decode12mp']:.0f} ms | |
| … of which depth map load + post-processing (worker, Python) | | {med['depth12mp']:.0f} ms | |

The 12 MP photo is the bundled sample upscaled to 4000x3000 with grain (JPEG q92,
{len(photo) / 1e6:.1f} MB) and its depth map upscaled to the same size (PNG).

## Bytes on first load

Files fetched by a first visit (cold cache), summed from the built files; gzip level 6 per file.

| raw | gzip | target |
|---|---|---|
| {raw / 1e6:.1f} MB | {gz / 1e6:.1f} MB | ≤ 20 MB gzip |
"""
    Path(build.ROOT / "BENCHMARKS.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
