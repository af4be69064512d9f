"""The memory budget (photo.MEMORY_BUDGET): files that are small on disk but huge once decoded are refused
from their header, quickly and at bounded memory, as photos and as depth maps; nothing but DioramaError
escapes when memory does run out (errors.refuse_when_out_of_memory)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from diorama.depthmap import load_depth_map
from diorama.errors import DioramaError
from diorama.photo import MEMORY_BUDGET, load_photo, peak_bytes

from tests.forged import float_tiff_header, png


@pytest.mark.parametrize(
    "data",
    [png(1, 100_000_000), png(100_000_000, 1), float_tiff_header(10_000, 10_000)],
    ids=["1 x 100M grey", "100M x 1 grey", "10k x 10k float"],
)
def test_huge_decodes_are_refused_from_the_header_as_photos_and_depth_maps(data):
    for read in (load_photo, lambda d: load_depth_map(d, (480, 640))):
        with pytest.raises(DioramaError, match=r"too large to process here \(.* MB; Diorama allows itself 768 MB"):
            read(data)


def test_the_budget_covers_every_mode_of_both_readers():
    for draft in ("RGB", "L"):
        for mode in ("1", "L", "P", "LA", "RGB", "RGBA", "CMYK", "YCbCr", "I;16", "I;16B", "I", "F"):
            assert peak_bytes(mode, (1000, 1000), draft) >= 1_000_000  # at least a byte a pixel
    assert peak_bytes("F", (1000, 1000), "RGB") > peak_bytes("RGB", (1000, 1000), "RGB")
    # a 12 MP photo and a 12 MP 16-bit depth map fit; 48 MP photos are JPEGs, decoded at 1/4 scale
    assert peak_bytes("RGB", (4000, 3000)) < MEMORY_BUDGET and peak_bytes("I;16", (4000, 3000), "L") < MEMORY_BUDGET


PROBE = """
import json, sys
from diorama.depthmap import load_depth_map
from diorama.errors import DioramaError
from diorama.photo import load_photo

def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS")
outcomes = []
for read in (load_photo, lambda d: load_depth_map(d, (480, 640))):
    try:
        outcomes.append(list(read(data).shape))
    except DioramaError as err:
        outcomes.append(str(err)[:40])
print(json.dumps({"outcomes": outcomes, "peak_growth_mib": (status("VmHWM") - before) / 1024}))
"""


@pytest.mark.parametrize(
    "data", [png(1, 100_000_000), png(100_000_000, 1), float_tiff_header(10_000, 10_000)], ids=["tall", "wide", "float"]
)
def test_small_files_that_decode_huge_stay_far_under_a_gigabyte(tmp_path, data):
    path = tmp_path / "file"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    out = json.loads(done.stdout)
    print(out)
    assert out["peak_growth_mib"] < 400
