"""`diorama depth`: one depth map per photo, 16-bit PNG or .npy, named after the photo."""

from __future__ import annotations

import numpy as np
from PIL import Image

from diorama.cli import main
from diorama.depthmap import postprocess_depth


def write_photo(path, size=(96, 64)):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    pixels[size[1] // 2:] //= 3  # a darker lower half: some structure for the model
    Image.fromarray(pixels).save(path)


def test_depth_writes_a_16_bit_png_per_photo(tmp_path, capsys):
    write_photo(tmp_path / "a.jpg")
    write_photo(tmp_path / "b.png", (50, 70))
    assert main(["depth", str(tmp_path / "a.jpg"), str(tmp_path / "b.png"), "-o", str(tmp_path / "out")]) == 0
    for name, size in [("a", (96, 64)), ("b", (50, 70))]:
        with Image.open(tmp_path / "out" / f"{name}_depth.png") as depth:
            assert depth.size == size
            assert depth.mode.startswith("I")  # 16-bit grey
            values = np.asarray(depth)
        assert values.max() <= 65535 and values.std() > 0
    assert "a_depth.png" in capsys.readouterr().out


def test_depth_npy_format(tmp_path):
    write_photo(tmp_path / "c.jpg")
    assert main(["depth", str(tmp_path / "c.jpg"), "-o", str(tmp_path), "--format", "npy"]) == 0
    depth = np.load(tmp_path / "c_depth.npy")
    assert depth.shape == (64, 96) and depth.dtype == np.float32
    assert 0.0 <= depth.min() and depth.max() <= 1.0


def test_display_writes_what_the_app_shows_at_its_defaults(tmp_path):
    write_photo(tmp_path / "d.png")
    assert main(["depth", str(tmp_path / "d.png"), "-o", str(tmp_path / "raw"), "--format", "npy"]) == 0
    assert main(["depth", str(tmp_path / "d.png"), "-o", str(tmp_path / "shown"), "--format", "npy", "--display"]) == 0
    raw, shown = np.load(tmp_path / "raw" / "d_depth.npy"), np.load(tmp_path / "shown" / "d_depth.npy")
    np.testing.assert_array_equal(shown, postprocess_depth(raw))
    assert shown.min() == 0 and shown.max() == 1 and not np.array_equal(shown, raw)


def test_bad_files_are_reported_and_the_rest_processed(tmp_path, capsys):
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    write_photo(tmp_path / "good.jpg")
    status = main(["depth", str(tmp_path / "broken.jpg"), str(tmp_path / "missing.jpg"),
                   str(tmp_path / "good.jpg"), "-o", str(tmp_path)])
    assert status == 1
    assert (tmp_path / "good_depth.png").is_file()
    err = capsys.readouterr().err
    assert "broken.jpg" in err and "missing.jpg" in err
