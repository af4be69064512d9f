"""Benchmarks of the built app in headless Chromium; writes BENCHMARKS.md.

Run through ``python3 build.py bench [--runs N]``, which builds dist/ first. Every figure is
the median of N cold runs (a new browser context each time: empty HTTP cache, new worker,
new Pyodide). Photos are generated here, so no data outside the repo is needed.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
from PIL import Image
from playwright.sync_api import sync_playwright

import build
from tests.web.support import CHROMIUM_ARGS, encode

ORT_VERSION = json.loads((build.ROOT / "node_modules/onnxruntime-web/package.json").read_text())["version"]


def twelve_megapixel_pair() -> tuple[bytes, bytes]:
    """A 4000x3000 JPEG (the bundled sample upscaled, plus grain so it compresses like a photo) and its depth map."""
    photo = Image.open(build.WEB / "sample" / "coffee.jpg").convert("RGB").resize((4000, 3000), Image.BICUBIC)
    grain = np.random.default_rng(0).integers(-12, 13, (3000, 4000, 3))
    photo = Image.fromarray((np.asarray(photo, dtype=np.int16) + grain).clip(0, 255).astype(np.uint8))
    depth = Image.open(build.WEB / "sample" / "coffee_depth.png").resize((4000, 3000), Image.BICUBIC)
    return encode(photo, "JPEG", quality=92), encode(depth, "PNG")


def twelve_megapixel_portrait(photo: bytes) -> bytes:
    """The 12 MP JPEG as an iPhone portrait stores it: an MPF index and a 768x576 disparity image after it
    (written as tests/py/test_embedded.py writes Apple files), so the app takes the depth the photo carries."""
    from tests.py.test_embedded import apple_aux, mpf_file

    disparity = (
        np.asarray(
            Image.open(build.WEB / "sample" / "coffee_depth.png").convert("L").resize((768, 576)), dtype=np.float32
        )
        / 255
    )
    return mpf_file([photo, apple_aux(disparity)], [0x030000, 0x000000])


OPEN_FILES = """async (files) => {
    const file = ([b64, name]) => new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], name);
    await window.diorama.open(files.map(file));
    return window.diorama.timings;
}"""
# The open's trace once its clean-edge (layered) view is on screen.
LAYERS_READY = """async () => {
    while (document.body.dataset.layers !== 'ready') await new Promise((resolve) => setTimeout(resolve, 10));
    return window.diorama.timings;
}"""
# A drop of the 12 MP JPEG as a person makes it (the file already in the page): ms from the drop event to
# data-state 'working' and to the next frame (the progress painted), then to the first 3D frame.
DROP = """async ([b64, name]) => {
    const file = new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], name, {type: 'image/jpeg'});
    const drop = new DataTransfer();
    drop.items.add(file);
    const opened = window.diorama.settledOpens;
    const t0 = performance.now();
    let working = null;
    const observer = new MutationObserver(() => {
        if (working === null && document.body.dataset.state === 'working') working = performance.now() - t0;
    });
    observer.observe(document.body, {attributes: true, attributeFilter: ['data-state']});
    document.dispatchEvent(new DragEvent('drop', {dataTransfer: drop, bubbles: true, cancelable: true}));
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));
    const painted = performance.now() - t0;
    while (window.diorama.settledOpens === opened) await new Promise((resolve) => setTimeout(resolve, 10));
    observer.disconnect();
    return {working, painted, shown: performance.now() - t0};
}"""
# Where an open's time went (window.diorama.timings), in the order it is spent.
TRACE = (
    "read",
    "queued",
    "decode",
    "source",
    "model",
    "postprocess",
    "show",
    "frame",
    "firstFrame",
    "layersWorker",
    "layers",
)


# Main-thread tasks over 50 ms (Long Tasks API) while a person moves the view over the layered photo with the
# pointer for 3 s (a move every 16 ms), then while a depth setting is changed until its clean-edge view is back.
INTERACTION = """async () => {
    const stage = document.getElementById('stage').getBoundingClientRect();
    const watch = async (work) => {
        const tasks = [];
        const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries().map((e) => e.duration)));
        observer.observe({type: 'longtask'});
        await work();
        await new Promise((resolve) => setTimeout(resolve, 100));
        observer.disconnect();
        return {count: tasks.length, max: Math.max(0, ...tasks)};
    };
    const pointer = await watch(async () => {
        const t0 = performance.now();
        while (performance.now() - t0 < 3000) {
            const phase = (performance.now() - t0) / 1000 * Math.PI;
            const [x, y] = [stage.left + stage.width * (0.5 + 0.4 * Math.sin(phase)), stage.top + stage.height * (0.5 + 0.3 * Math.cos(phase))];
            document.getElementById('stage').dispatchEvent(new PointerEvent('pointermove', {clientX: x, clientY: y, bubbles: true, pointerType: 'mouse'}));
            await new Promise((resolve) => setTimeout(resolve, 16));
        }
    });
    const setting = await watch(async () => {
        const contrast = document.getElementById('contrast');
        contrast.value = String(Number(contrast.value) + 0.5);
        contrast.dispatchEvent(new Event('change'));
        await new Promise((resolve) => setTimeout(resolve, 50));
        while (document.body.dataset.layers !== 'ready') await new Promise((resolve) => setTimeout(resolve, 10));
    });
    return {pointer, setting};
}"""
# A return visit: the site already in the offline cache (service worker) and the browser's caches, a new page.
RETURN_VISIT = (
    "() => window.diorama.ready.then(() => ({ready: performance.now(), steps: window.diorama.timings.bootSteps}))"
)


def trace(timings: dict) -> str:
    return ", ".join(f"{k} {timings[k]:.0f}" for k in TRACE if timings.get(k) is not None)


def measure_cold_run(browser, url: str, photo: bytes, depth: bytes) -> dict:
    """One cold visit: boot to the sample's first frame, then the 12 MP photo with and without its depth map."""
    # Service workers blocked: the offline precache (after the first photo) would download the
    # whole site in the middle of the timed 12 MP runs.
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    paths: list[str] = []
    context.on("requestfinished", lambda r: paths.append(urlparse(r.url).path))
    page.goto(url)
    page.wait_for_function("() => document.body.dataset.state === 'shown'", timeout=120_000)
    first_frame_paths = list(paths)
    boot = page.evaluate("() => window.diorama.ready.then(() => window.diorama.timings)")
    # Ready: the worker has Python, NumPy, Pillow and diorama and has taken over the sample.
    ready = page.evaluate("() => performance.now()")
    ready_paths = list(paths)
    with_map = page.evaluate(OPEN_FILES, [[_b64(photo), "big.jpg"], [_b64(depth), "big_depth.png"]])
    alone = page.evaluate(OPEN_FILES, [[_b64(photo), "alone.jpg"]])
    alone_again = page.evaluate(OPEN_FILES, [[_b64(photo), "again.jpg"]])
    layered = page.evaluate(LAYERS_READY)
    interaction = page.evaluate(INTERACTION)
    drop = page.evaluate(DROP, [_b64(photo), "dropped.jpg"])
    portrait = page.evaluate(OPEN_FILES, [[_b64(twelve_megapixel_portrait(photo)), "portrait.jpg"]])
    context.close()
    for name, timings in (
        ("12 MP + depth map", with_map),
        ("12 MP alone, model loads", alone),
        ("12 MP alone, model loaded", layered),
        ("12 MP portrait", portrait),
    ):
        print(f"  {name}: {trace(timings)}", flush=True)
    print(
        f"  drop: working after {drop['working']:.1f} ms, painted {drop['painted']:.0f} ms, "
        f"first 3D frame {drop['shown']:.0f} ms",
        flush=True,
    )
    return {
        "boot": boot["boot"],
        "ready": ready,
        "steps": boot["bootSteps"],
        "portrait12mp": portrait["firstFrame"],
        "portraitdecode12mp": portrait["decode"],
        "portraitdepth12mp": portrait["depth"],
        "open12mp": with_map["firstFrame"],
        "decode12mp": with_map["decode"],
        "depth12mp": with_map["depth"],
        "model12mp": alone["firstFrame"],
        "modeldepth12mp": alone["depth"],
        "model12mp_warm": alone_again["firstFrame"],
        "layers12mp_warm": layered["layers"],
        "queued12mp_warm": alone_again["queued"],
        "postprocess12mp_warm": alone_again["postprocess"],
        "model_only12mp_warm": alone_again["model"],
        "decode12mp_warm": alone_again["decode"],
        "show12mp_warm": alone_again["show"],
        "frame12mp_warm": alone_again["frame"],
        "layersworker12mp_warm": layered["layersWorker"],
        "longtasks_pointer": interaction["pointer"]["count"],
        "longtask_pointer_max": interaction["pointer"]["max"],
        "longtasks_setting": interaction["setting"]["count"],
        "longtask_setting_max": interaction["setting"]["max"],
        "drop_working": drop["working"],
        "drop_painted": drop["painted"],
        "first_frame_paths": first_frame_paths,
        "ready_paths": ready_paths,
    }


def measure_return_visits(browser, url: str, runs: int) -> list[dict]:
    """A first visit that lets the service worker cache the whole site, then `runs` return visits in the same
    browser profile (its HTTP cache, compiled-code cache and offline cache kept), each a new page timed until
    Python has taken over."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(
        """() => document.documentElement.dataset.offline === 'ready'
        && navigator.serviceWorker.controller !== null""",
        timeout=180_000,
    )
    page.close()
    visits = []
    for _ in range(runs):
        page = context.new_page()
        network: list[str] = []
        page.on("response", lambda r, network=network: None if r.from_service_worker else network.append(r.url))
        page.goto(url)
        visits.append({**page.evaluate(RETURN_VISIT), "network": len(network)})
        page.close()
    context.close()
    return visits


def model_latency(browser, url: str, runs: int) -> dict:
    """The depth model alone at 384x288 in onnxruntime-web (wasm), median of `runs` after a warm-up."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => document.body.dataset.state === 'shown'", timeout=120_000)
    result = page.evaluate("(runs) => window.diorama.timeModel(288, 384, runs)", runs)
    context.close()
    return result


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def files_size(paths) -> tuple[int, int]:
    """Raw and gzip-compressed (level 6, per file) size of dist/ files."""
    raw = gz = 0
    for file in paths:
        data = file.read_bytes()
        raw += len(data)
        gz += len(gzip.compress(data, 6))
    return raw, gz


def dist_files(paths) -> set[Path]:
    """The dist/ files behind the URL paths a page requested."""
    return {f for f in (build.DIST / (p.lstrip("/") or "index.html") for p in set(paths)) if f.is_file()}


def dist_size(paths) -> tuple[int, int]:
    """Raw and gzip size of the dist/ files behind the URL paths a page requested."""
    return files_size(dist_files(paths))


def largest_files(paths, count: int = 6) -> str:
    """The `count` largest (gzip) dist/ files behind the URL paths a page requested, as 'name size' words."""
    sizes = sorted(((files_size([f])[1], f.name) for f in dist_files(paths)), reverse=True)[:count]
    return ", ".join(f"{name} {size / 1e6:.2f}" for size, name in sizes)


def sibling_report(module: str, out: Path, *, rerun: bool) -> str:
    """Another measurement script's Markdown (tests.stamina, tests.quality), a heading level down.

    rerun: run the script first; otherwise take the report it last wrote.
    """
    if rerun:
        subprocess.run([sys.executable, "-m", module, "--out", str(out)], cwd=build.ROOT, check=True)
    text = re.sub(r"\]\((?!https?:|#|/)", f"]({out.parent.name}/", out.read_text())  # links relative to the root
    return "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())


def ms(values) -> str:
    return ", ".join(f"{v:.0f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--reuse-siblings",
        action="store_true",
        help="take docs/stamina.md, docs/quality.md and docs/phone.md as last written instead of re-running them",
    )
    args = parser.parse_args()
    photo, depth = twelve_megapixel_pair()
    isolated, plain = build.make_server(build.DIST), build.make_server(build.DIST, isolated=False)
    for server in (isolated, plain):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{isolated.server_address[1]}/"
    plain_url = f"http://127.0.0.1:{plain.server_address[1]}/"
    runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ["DIORAMA_CHROMIUM"], args=CHROMIUM_ARGS)
        version = browser.version
        for i in range(args.runs):
            runs.append(measure_cold_run(browser, url, photo, depth))
            print(f"run {i + 1}: boot {runs[-1]['boot']:.0f} ms, 12 MP open {runs[-1]['open12mp']:.0f} ms", flush=True)
        returns = measure_return_visits(browser, url, args.runs)
        print("return visits: " + ", ".join(f"{v['ready']:.0f} ms ({v['steps']})" for v in returns), flush=True)
        threaded = model_latency(browser, url, 10)
        single = model_latency(browser, plain_url, 10)
        browser.close()
    for server in (isolated, plain):
        server.shutdown()
    keys = (
        "boot",
        "ready",
        "open12mp",
        "decode12mp",
        "depth12mp",
        "model12mp",
        "modeldepth12mp",
        "model12mp_warm",
        "portrait12mp",
        "portraitdecode12mp",
        "portraitdepth12mp",
        "layers12mp_warm",
        "queued12mp_warm",
        "postprocess12mp_warm",
        "model_only12mp_warm",
        "decode12mp_warm",
        "layersworker12mp_warm",
        "drop_working",
        "drop_painted",
        "show12mp_warm",
        "frame12mp_warm",
        "longtasks_pointer",
        "longtask_pointer_max",
        "longtasks_setting",
        "longtask_setting_max",
    )
    med = {k: statistics.median(r[k] for r in runs) for k in keys}
    steps = {k: statistics.median(r["steps"][k] for r in runs) for k in runs[0]["steps"]}
    return_ready = statistics.median(v["ready"] for v in returns)
    return_steps = {k: statistics.median(v["steps"][k] for v in returns) for k in returns[0]["steps"]}
    first_raw, first_gz = dist_size(runs[0]["first_frame_paths"])
    ready_raw, ready_gz = dist_size(runs[0]["ready_paths"])
    precache = json.loads((build.DIST / "precache.json").read_text())
    all_raw, all_gz = files_size(build.DIST / f["url"] for f in precache["files"])
    report = f"""# Benchmarks

Measured {time.strftime("%Y-%m-%d")} by `python3 build.py bench --runs {args.runs}` on this machine
({os.cpu_count()} cores, {platform.machine()}, no GPU; Chromium {version} headless, WebGL via SwiftShader).
Each figure is the median of {args.runs} cold runs: a fresh browser context per run (empty HTTP cache,
new worker, Pyodide booted from scratch, service workers blocked so the offline precache does not
download the site during the timed runs), dist/ served from localhost with COOP/COEP.

| what | target | median | runs (ms) |
|---|---|---|---|
| cold load to the sample's first 3D frame (navigation start -> first frame) | ≤ 3000 ms | {med["boot"]:.0f} ms | {ms(r["boot"] for r in runs)} |
| cold load until Python has taken over the sample (sliders, layers, drops served at once) | | {med["ready"]:.0f} ms | {ms(r["ready"] for r in runs)} |
| … worker boot steps: Python runtime / numpy+Pillow+diorama / import | | {steps.get("runtime", 0):.0f} / {steps.get("packages", 0):.0f} / {steps.get("import", 0):.0f} ms | |
| return visit (site in the service worker's offline cache, same browser profile) -> Python has taken over | ≤ 3000 ms | {return_ready:.0f} ms | {ms(v["ready"] for v in returns)} |
| … worker boot steps: Python runtime / numpy+Pillow+diorama / import; requests that reached the network | | {return_steps.get("runtime", 0):.0f} / {return_steps.get("packages", 0):.0f} / {return_steps.get("import", 0):.0f} ms; {max(v["network"] for v in returns)} | |
| 12 MP JPEG + depth map dropped -> its first 3D frame | ≤ 1500 ms | {med["open12mp"]:.0f} ms | {ms(r["open12mp"] for r in runs)} |
| … of which decode + downscale to the working size (2000x1500: JPEG DCT-scaled 1/2; worker, Python) | | {med["decode12mp"]:.0f} ms | |
| … of which depth map load + post-processing (worker, Python) | | {med["depth12mp"]:.0f} ms | |
| 12 MP JPEG alone (depth by our model; first use loads it) -> first 3D frame | | {med["model12mp"]:.0f} ms | {ms(r["model12mp"] for r in runs)} |
| … of which depth (model download + session + inference + post-processing) | | {med["modeldepth12mp"]:.0f} ms | |
| 12 MP JPEG alone, model already loaded -> first 3D frame (opened while the previous photo's layers were being computed) | ≤ 1500 ms | {med["model12mp_warm"]:.0f} ms | {ms(r["model12mp_warm"] for r in runs)} |
| … trace: queued behind earlier work / decode / model / post-processing (worker); textures / frame (page) | | {med["queued12mp_warm"]:.0f} / {med["decode12mp_warm"]:.0f} / {med["model_only12mp_warm"]:.0f} / {med["postprocess12mp_warm"]:.0f}; {med["show12mp_warm"]:.0f} / {med["frame12mp_warm"]:.0f} ms | |
| 12 MP JPEG alone, model already loaded -> clean-edge (layered) view | ≤ 2500 ms | {med["layers12mp_warm"]:.0f} ms | {ms(r["layers12mp_warm"] for r in runs)} |
| … of which the layers themselves (worker, Python: refine + split + fill) | | {med["layersworker12mp_warm"]:.0f} ms | |
| main-thread tasks over 50 ms (Long Tasks API) while the pointer moves the layered 12 MP view for 3 s: count / longest | 0 | {med["longtasks_pointer"]:.0f} / {med["longtask_pointer_max"]:.0f} ms | {ms(r["longtasks_pointer"] for r in runs)} |
| … while a depth setting changes, until its clean-edge view is back: count / longest | 0 | {med["longtasks_setting"]:.0f} / {med["longtask_setting_max"]:.0f} ms | {ms(r["longtasks_setting"] for r in runs)} |
| a dropped 12 MP JPEG -> state `working` (drop event to attribute) / progress painted (next frame) | ≤ 100 ms | {med["drop_working"]:.1f} / {med["drop_painted"]:.0f} ms | {ms(r["drop_painted"] for r in runs)} |
| 12 MP iPhone-style portrait JPEG (its own 768x576 disparity in MPF) -> first 3D frame | | {med["portrait12mp"]:.0f} ms | {ms(r["portrait12mp"] for r in runs)} |
| … of which decode (worker, Python) | | {med["portraitdecode12mp"]:.0f} ms | |
| … of which depth: finding + decoding the embedded disparity, resampling, post-processing (target: extraction ≤ 200 ms over opening the photo) | | {med["portraitdepth12mp"]:.0f} ms | |

The sample's first frame comes from its photo and a depth map that `build.py` post-processed with the
same Python (the page shows it while Python is still starting); "taken over" is when `diorama.ready`
resolves: the worker has booted and opened the sample itself. The 12 MP photo is the bundled sample upscaled to 4000x3000 with grain (JPEG q92,
{len(photo) / 1e6:.1f} MB) and its depth map upscaled to the same size (PNG). "First 3D frame" is
measured in the page from the `open()` call to the frame after the viewer got the photo.

## Depth model latency in the browser (onnxruntime-web {ORT_VERSION}, wasm backend)

The model alone on a (1, 3, 288, 384) input, median of 10 runs after one warm-up, in the pipeline worker
(one run per photo; target ≤ 300 ms).

| page | threads | median |
|---|---|---|
| cross-origin isolated (COOP/COEP) | {threaded["threads"]} | {threaded["median"]:.0f} ms |
| not isolated (no SharedArrayBuffer) | {single["threads"]} | {single["median"]:.0f} ms |

## Bytes

Sizes of the built files, gzip level 6 per file.

| what | raw | gzip | target |
|---|---|---|---|
| first visit, up to the sample's first 3D frame ({len(set(runs[0]["first_frame_paths"]))} requests) | {first_raw / 1e6:.1f} MB | {first_gz / 1e6:.1f} MB | |
| first visit, until Python has taken over ({len(set(runs[0]["ready_paths"]))} requests) | {ready_raw / 1e6:.1f} MB | {ready_gz / 1e6:.1f} MB | ≤ 8 MB gzip |
| … the largest of them, MB gzip: {largest_files(runs[0]["ready_paths"])} | | | |
| everything the service worker then keeps for offline use ({len(precache["files"])} files, model included) | {all_raw / 1e6:.1f} MB | {all_gz / 1e6:.1f} MB | |
"""
    for module, doc in (
        ("tests.stamina", "stamina.md"),
        ("tests.quality", "quality.md"),
        ("tests.phone_bench", "phone.md"),
    ):
        report += "\n" + sibling_report(module, build.ROOT / "docs" / doc, rerun=not args.reuse_siblings) + "\n"
    # The export time, measured by tests/export_bench.py and kept with the exports it times.
    exports = (build.ROOT / "docs" / "exports.md").read_text()
    report += (
        "\n## Export time (from docs/exports.md, `python -m tests.export_bench`)\n"
        + exports[exports.index("## Time") + len("## Time") :]
    )
    # The WebXR view's frame cost, measured by tests/xr_bench.py (python -m tests.xr_bench).
    report += "\n" + sibling_report("", build.ROOT / "docs" / "xr.md", rerun=False) + "\n"
    # Figures measured by hand (install size, reproducible builds, layers in CPython), each with how.
    report += "\n" + sibling_report("", build.ROOT / "docs" / "speed.md", rerun=False) + "\n"
    # The CLI on a photo library (tests/batch_bench.py, minutes of its own): as last measured.
    report += "\n" + sibling_report("", build.ROOT / "docs" / "batch.md", rerun=False) + "\n"
    Path(build.ROOT / "BENCHMARKS.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
