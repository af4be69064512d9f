"""Phone limits: a 48-megapixel photo, as today's phone cameras save them, loads at bounded memory.

A 48 MP JPEG fully decoded is 144 MB of RGB (in Pyodide, inside a wasm heap a phone's tab may not be
allowed to grow that far). load_photo asks libjpeg for a reduced decode (draft mode: 1/4 scale here)
so the peak stays well below a full decode. The peak is the growth of the resident set size of a fresh
interpreter (Linux's VmHWM, reset just before loading), because Pillow's buffers are invisible to
tracemalloc and getrusage's maximum is inherited from the parent process.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

FORTY_EIGHT_MP = (8000, 6000)
PROBE = """
import json, sys
from diorama.photo import load_photo

def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
before = status("VmRSS")
rgb = load_photo(data)
print(json.dumps({"shape": rgb.shape, "peak_growth_kib": status("VmHWM") - before, "corner": rgb[0, 0].tolist()}))
"""


def phone_jpeg(size: tuple[int, int], orientation: int) -> bytes:
    """A sharp-edged JPEG of `size` stored sideways with an EXIF orientation, as phones write them."""
    image = Image.new("RGB", size, (40, 90, 160))
    pen = ImageDraw.Draw(image)
    w, h = size
    pen.rectangle((0, 0, w // 4, h // 4), fill=(250, 30, 30))  # stored top-left corner is red
    for x in range(0, w, 97):
        pen.line((x, 0, x, h), fill=(230, 230, 230), width=3)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85, exif=exif)
    return buf.getvalue()


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="measures memory with Linux's /proc")
def test_48_megapixel_jpeg_loads_at_bounded_memory(tmp_path: Path):
    path = tmp_path / "phone.jpg"
    path.write_bytes(phone_jpeg(FORTY_EIGHT_MP, orientation=6))  # 6: turn 90 degrees clockwise to view
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2] / "py",
    )
    result = json.loads(out.stdout)
    # Decoded at 1/4 scale (2000 px: within 10 % of the 2048 px working size), then turned upright.
    assert result["shape"] == [2000, 1500, 3], "upright (portrait), about 2048 px on the long side"
    # Stored top-left (red) ends up top-right once turned; the upright top-left is the blue background.
    assert result["corner"][2] > result["corner"][0]
    full_decode_mib = FORTY_EIGHT_MP[0] * FORTY_EIGHT_MP[1] * 3 / 2**20  # 137 MiB
    peak_mib = result["peak_growth_kib"] / 1024
    # libjpeg decodes at 1/4 scale here: 9 MiB of pixels, plus the upright copy.
    assert peak_mib < 0.75 * full_decode_mib, (
        f"loading took {peak_mib:.0f} MiB at peak; a full decode is {full_decode_mib:.0f}"
    )
