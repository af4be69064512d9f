"""Export timing: a 4 s 1080p MP4 (WebM where this Chromium has no H.264) of a 12 MP photo, in headless Chromium.

Run ``python3 build.py build`` first, then ``python -m tests.export_bench [--runs N] [--kind mp4]``. It opens the
benchmarks' 12 MP photo with its depth map (tests/bench.py), waits for its layers, and times
``window.diorama.export(kind, {seconds: 4, fps: 30, size: '1080p'})`` from the call to the file, N times; it prints
one Markdown table row for docs/exports.md (and BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading

from playwright.sync_api import sync_playwright

import build
from tests.bench import OPEN_FILES, _b64, twelve_megapixel_pair
from tests.web.support import CHROMIUM_ARGS

EXPORT = """async (kind) => {
    const started = performance.now();
    const { blob } = await window.diorama.export(kind, { seconds: 4, fps: 30, size: '1080p', preset: 'circle' });
    const ms = performance.now() - started;
    const mb = await import(new URL('vendor/mediabunny.mjs', location.href).href);
    const input = new mb.Input({ source: new mb.BlobSource(blob), formats: mb.ALL_FORMATS });
    const track = await input.getPrimaryVideoTrack();
    const stats = await track.computePacketStats();
    return { ms, bytes: blob.size, frames: stats.packetCount, width: track.displayWidth, height: track.displayHeight };
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kind", default="mp4", choices=["mp4", "webm"])
    args = parser.parse_args()
    photo, depth = twelve_megapixel_pair()
    server = build.make_server(build.DIST)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    chromium = os.environ.get("DIORAMA_CHROMIUM") or build.find_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(service_workers="block").new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.evaluate("() => window.diorama.ready")
        page.evaluate(OPEN_FILES, [[_b64(photo), "big.jpg"], [_b64(depth), "big_depth.png"]])
        page.wait_for_function("() => document.getElementById('renderer').dataset.layers === 'ready'", timeout=120_000)
        runs = []
        for i in range(args.runs):
            runs.append(page.evaluate(EXPORT, args.kind))
            print(f"run {i + 1}: {runs[-1]}", flush=True)
        version = browser.version
        browser.close()
    server.shutdown()
    r = runs[0]
    seconds = [x["ms"] / 1000 for x in runs]
    print(
        f"\n| 4 s {r['height']}p {args.kind.upper()} ({r['width']}x{r['height']}, {r['frames']} frames, "
        f"{r['bytes'] / 1e6:.1f} MB) of a 12 MP photo, Chromium {version} | ≤ 20 s | "
        f"{statistics.median(seconds):.1f} s | {', '.join(f'{s:.1f}' for s in seconds)} |"
    )


if __name__ == "__main__":
    main()
