"""HEIC and AVIF photos open in the browser: Pyodide's Pillow reads neither, so the worker decodes them (AVIF with
the browser's decoder, HEIC with libheif-js) and hands the pixels to Python (Studio.open_pixels)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .heif_fixtures import DATA, SIZE, UPRIGHT
from .support import file_payload, open_files

pytestmark = pytest.mark.browser

PUG = Path(__file__).resolve().parents[3] / "shared" / "phone-depth" / "embedded" / "pug.heic"


def _shown_photo(app) -> np.ndarray:
    photo = app.evaluate("""() => { const p = window.diorama.viewer.shown.photo;
        return {width: p.width, height: p.height, data: Array.from(p.rgba)}; }""")
    return np.asarray(photo["data"], np.int16).reshape(photo["height"], photo["width"], 4)


@pytest.mark.parametrize("name, mime", [("quadrants.avif", "image/avif"), ("quadrants.heic", "image/heic")])
def test_heic_and_avif_open_upright(app, name, mime):
    assert open_files(app, [file_payload(name, (DATA / name).read_bytes(), mime)]) == "shown"
    photo = _shown_photo(app)
    width, height = SIZE
    assert photo.shape == (height, width, 4)
    corners = {"top left": photo[height // 4, width // 4], "top right": photo[height // 4, 3 * width // 4],
               "bottom left": photo[3 * height // 4, width // 4], "bottom right": photo[3 * height // 4, 3 * width // 4]}
    for where, colour in UPRIGHT.items():
        assert np.abs(corners[where][:3] - colour).max() < 40, (where, corners[where])
    assert app.evaluate("() => window.diorama.depth().then((d) => [d.width, d.height])") == [width, height]


def test_a_damaged_heic_is_refused_in_plain_words(app):
    data = (DATA / "quadrants.heic").read_bytes()
    assert open_files(app, [file_payload("cut.heic", data[:len(data) // 2], "image/heic")]) == "error"
    message = app.locator("[role=alert]").inner_text()
    assert "HEIC" in message and "Traceback" not in message, message


@pytest.mark.skipif(not PUG.exists(), reason=f"{PUG} is not here (../shared/phone-depth)")
def test_a_real_iphone_heic_opens_at_the_working_size(app):
    assert open_files(app, [file_payload("pug.heic", PUG.read_bytes(), "image/heic")]) == "shown"
    photo = _shown_photo(app)
    assert max(photo.shape[:2]) == 2048 and photo.shape[:2] in ((1536, 2048), (2048, 1536)), photo.shape
