"""Reference frames of the renderer, so a refactor of web/render can prove it draws what it drew before.

A small card scene (tests/quality.py ``card_scene``, 192x144, card moved 8 px at view offset 1) is drawn in
headless Chromium (a bare viewer, canvas px = photo px) in each mode and view below; the frames are
``tests/web/data/render-<name>.png``. tests/web/test_render.py draws the same and compares.

``python -m tests.render_refs`` (after ``build.py build``) rewrites them; tests/web/data/README.md says
which commit's renderers drew the stored ones.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PIL import Image

from tests.quality import CHROMIUM_ARGS, capture, card_scene, mount, scene_layers, show

DATA = Path(__file__).resolve().parent / "web" / "data"

# name: (mode, with layers, view x, view y, focus (None: the plane's depth), zoom, magnify)
FRAMES = {
    "displacement-still": ("displacement", False, 0.0, 0.0, None, 0.0, 0.0),
    "displacement-moved": ("displacement", False, 0.8, -0.4, 0.5, 0.0, 0.0),
    "layered-still": ("layered", True, 0.0, 0.0, None, 0.0, 0.0),
    "layered-moved": ("layered", True, 0.8, -0.4, 0.5, 0.0, 0.0),
    "layered-plane": ("layered", True, 1.0, 0.0, None, 0.0, 0.0),
    "layered-zoom": ("layered", True, 0.3, 0.0, 0.5, 0.6, 0.1),
}


def scene():
    return card_scene(192, 144, shift_px=8)


def render(page, base_url: str, names=None) -> dict[str, np.ndarray]:
    """{name: (H, W, 4) uint8} for each frame of FRAMES (or `names`), drawn by the build at `base_url`."""
    from tests.quality import DEPTH_FAR

    sc = scene()
    layers = scene_layers(sc)
    h, w = sc.depth.shape
    out = {}
    for name in names or FRAMES:
        mode, layered, x, y, focus, zoom, magnify = FRAMES[name]
        mount(page, base_url, w, h, mode)
        show(page, sc, layers if layered else None)
        page.evaluate("([z, m]) => window.__viewer.setZoom(z, m)", [zoom, magnify])
        out[name] = capture(page, x, y, sc.strength, DEPTH_FAR if focus is None else focus)
    return out


def main() -> int:
    from playwright.sync_api import sync_playwright

    import build

    server = build.make_server(build.DIST, isolated=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    DATA.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        import os
        import shutil

        chromium = os.environ.get("DIORAMA_CHROMIUM") or shutil.which("chromium")
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 800, "height": 600})
        page.goto(base + "no-such-page.html")
        for name, frame in render(page, base).items():
            path = DATA / f"render-{name}.png"
            Image.fromarray(frame).save(path, optimize=True)
            print(path.relative_to(DATA.parents[2]), path.stat().st_size, "bytes")
        browser.close()
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
