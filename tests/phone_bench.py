"""The first visit on a phone from a plain static host (issue 29), measured; writes docs/phone.md.

    python -m tests.phone_bench [--runs 3] [--out docs/phone.md]

A phone profile (412x915, touch, device pixel ratio 2.625, CPU slowed 4x through DevTools' Emulation domain)
loads dist/ from a server that sends no COOP/COEP headers and emulates a fast-4G link (tests/web/site.py Link:
9 Mbps shared by every connection, 60 ms before each response; DevTools' own throttling misses the workers'
fetches). Each cold run is a new browser context (empty caches): a 12 MP photo is dropped as soon as the sample is
on screen; then the service worker's precache completes, and a return visit in the same profile is timed.
Bytes are counted on the server as sent (compressed when the browser accepted a precompressed copy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from playwright.sync_api import sync_playwright

import build
from tests.bench import _b64, twelve_megapixel_pair
from tests.web.site import Link, Site
from tests.web.support import CHROMIUM_ARGS

PHONE = {"viewport": {"width": 412, "height": 915}, "device_scale_factor": 2.625, "is_mobile": True, "has_touch": True}
CPU_SLOWDOWN = 4
LINK = {"mbps": 9.0, "latency_s": 0.06}
NOTES = "## Notes"  # docs/phone.md from this heading on is written by hand and kept by a rerun
# The files a photo needs that must be fetched once only, by their path's start.
BIG_FILES = (
    "pyodide/pyodide.asm.wasm",
    "pyodide/numpy-",
    "vendor/ort/ort-wasm-simd-threaded.wasm",
    "models/depth.onnx",
)

# Page-side marks (ms since navigation start): Python taken over (the worker's 'Ready' on the progress line).
MARKS = """(() => {
    window.__marks = {};
    new MutationObserver(() => {
        const text = document.getElementById('status-text')?.textContent;
        if (text === 'Ready' && window.__marks.ready === undefined) window.__marks.ready = performance.now();
    }).observe(document, {subtree: true, childList: true, characterData: true});
})()"""
DROP = """async ([b64, name]) => {
    const file = new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], name, {type: 'image/jpeg'});
    await window.diorama.open([file]);
    return performance.now();
}"""


def sent_until(site: Site, moment: float) -> int:
    """Bytes the server had sent, in responses finished by `moment` (time.monotonic())."""
    return sum(r.sent for r in site.requests if r.done is not None and r.done <= moment)


def gzip_until(site: Site, moment: float) -> int:
    """What a host serving gzip only would have sent for the same responses: each one sent in brotli counted as
    its file's precompressed .gz copy (build.py write_precompressed), the others as they were sent."""
    total = 0
    for r in site.requests:
        if r.done is None or r.done > moment:
            continue
        gz = site.dist / f"{r.path.lstrip('/').split('?')[0]}.gz"
        total += gz.stat().st_size if r.encoding == "br" and gz.is_file() else r.sent
    return total


def cold_run(browser, site: Site, photo: bytes) -> dict:
    site.requests.clear()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.add_init_script(MARKS)
    page.goto(site.url)
    page.wait_for_function("() => document.body.dataset.state === 'shown'", timeout=120_000)
    sample_moves = page.evaluate("() => window.diorama.timings.boot")
    shown_at = page.evaluate(DROP, [_b64(photo), "phone.jpg"])
    photo_moment = time.monotonic()
    page.wait_for_function("() => window.__marks.ready !== undefined", timeout=300_000)
    ready = page.evaluate("() => window.__marks.ready")
    # the server's clock at Python's take-over: now, less the time since then on the page's clock
    ready_moment = time.monotonic() - (page.evaluate("() => performance.now()") - ready) / 1000
    page.wait_for_function(
        """() => document.documentElement.dataset.offline === 'ready'
        && navigator.serviceWorker.controller !== null""",
        timeout=600_000,
    )
    fetched = Counter(r.path.lstrip("/") for r in site.requests)
    twice = sorted(path for path, n in fetched.items() if n > 1 and path.startswith(BIG_FILES))
    encodings = Counter(r.encoding or "identity" for r in site.requests if r.sent > 100_000)
    whole_visit = sum(r.sent for r in site.requests)
    page.close()

    page = context.new_page()
    page.add_init_script(MARKS)
    page.goto(site.url)
    page.wait_for_function("() => window.__marks.ready !== undefined", timeout=300_000)
    return_ready = page.evaluate("() => window.__marks.ready")
    isolated = page.evaluate("() => self.crossOriginIsolated")
    context.close()
    run = {
        "sample": sample_moves,
        "ready": ready,
        "photo": shown_at,
        "bytes_ready": sent_until(site, ready_moment),
        "gzip_ready": gzip_until(site, ready_moment),
        "bytes_photo": sent_until(site, photo_moment),
        "bytes_visit": whole_visit,
        "twice": twice,
        "encodings": dict(encodings),
        "return_ready": return_ready,
        "isolated_second": isolated,
    }
    print(f"  {run}", flush=True)
    return run


def median(runs, key) -> float:
    return statistics.median(run[key] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=build.ROOT / "docs" / "phone.md")
    args = parser.parse_args()
    photo, _ = twelve_megapixel_pair()
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        site = Site.copy_of_dist(Path(tmp), isolated=False, link=Link(**LINK))
        browser = playwright.chromium.launch(executable_path=build.find_chromium(), args=CHROMIUM_ARGS)
        runs = [cold_run(browser, site, photo) for _ in range(args.runs)]
        browser.close()
        site.stop()

    def s(key):
        return f"{median(runs, key) / 1000:.1f} s ({', '.join(f'{r[key] / 1000:.1f}' for r in runs)})"

    def mb(key):
        return f"{median(runs, key) / 1e6:.1f} MB ({', '.join(f'{r[key] / 1e6:.1f}' for r in runs)})"

    noisy = (
        ": **the cores were shared with other work, so the times are a quiet machine's several times over**"
        if before > 0.5 * (os.cpu_count() or 1)
        else ", an otherwise idle machine"
    )
    twice = sorted({path for run in runs for path in run["twice"]}) or ["none"]
    encodings = Counter()
    for run in runs:
        encodings.update(run["encodings"])
    report = f"""# The first visit on a phone, from a plain static host (issue 29)

`python -m tests.phone_bench --runs {args.runs}` (tests/phone_bench.py), {time.strftime("%Y-%m-%d")}: medians of
{args.runs} cold runs (each run's figure in brackets). Phone profile: 412x915, touch, device pixel ratio 2.625, CPU
slowed {CPU_SLOWDOWN}x (DevTools `Emulation.setCPUThrottlingRate`). Served by `build.py`'s server without COOP/COEP, with
a fast-4G link emulated on the server ({LINK["mbps"]:.0f} Mbps shared by every connection, {LINK["latency_s"] * 1000:.0f} ms before
each response), so the workers' and the service worker's fetches pay too. The photo: a 12 MP JPEG (4000x3000)
without depth, dropped as soon as the sample is on screen. Bytes: as the server sent them (responses over
100 KB, counted by Content-Encoding: {dict(encodings)}). Load average {before:.1f} before the runs{noisy}.

| what | measured | target |
|---|---|---|
| the sample moves (first 3D frame, from navigation) | {s("sample")} | <= 3 s |
| bytes over the wire until Python has taken over | {mb("bytes_ready")} | <= 6.5 MB brotli |
| … the same responses from a host that serves gzip only | {mb("gzip_ready")} | <= 8 MB gzip |
| bytes over the wire until the first photo is in 3D | {mb("bytes_photo")} | every file once |
| … big files fetched more than once in the whole visit (precache included) | {", ".join(twice)} | none |
| bytes of the whole first visit, the precache of the rest included | {mb("bytes_visit")} | |
| Python has taken over | {s("ready")} | <= 10 s |
| the photo dropped as soon as the page is open is in 3D, from opening | {s("photo")} | <= 15 s |
| return visit (service worker, same profile), Python has taken over | {s("return_ready")} | <= 3.5 s |
| cross-origin isolated on the return visit (host without COOP/COEP) | {", ".join(str(r["isolated_second"]).lower() for r in runs)} | from the second load on |
"""
    # notes written by hand under NOTES stay through a rerun
    kept = args.out.read_text().partition(NOTES)[1:] if args.out.exists() else ("", "")
    report += "".join(("\n", *kept)) if kept[0] else ""
    args.out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
