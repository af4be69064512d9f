"""`diorama depth|extract|mesh` on photos given one by one: outputs named after the photo, one line each, failures
in one line (folders, -j, Dask, Ctrl-C: test_cli_batch.py)."""

from __future__ import annotations

import io

import numpy as np
from diorama.cli import main
from diorama.depthmap import postprocess_depth
from PIL import Image


def write_photo(path, size=(96, 64)):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    pixels[size[1] // 2 :] //= 3  # a darker lower half: some structure for the model
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
    status = main(
        [
            "depth",
            str(tmp_path / "broken.jpg"),
            str(tmp_path / "missing.jpg"),
            str(tmp_path / "good.jpg"),
            "-o",
            str(tmp_path),
        ]
    )
    assert status == 1
    assert (tmp_path / "good_depth.png").is_file()
    err = capsys.readouterr().err
    assert "broken.jpg" in err and "missing.jpg" in err


def run_cli(args, capsys):
    status = main([*args, "-j", "1"])
    out, err = capsys.readouterr()
    return status, out, err


def summary(written, kept, failed):
    return f"diorama: {written} written, {kept} kept (already there), {failed} failed"


def test_photos_that_would_share_a_name_keep_their_extension_and_nothing_is_overwritten(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for path in ("hopper.jpg", "hopper.webp", "hopper.tif", "a/photo.jpg", "b/photo.jpg", "b/photo.png"):
        write_photo(tmp_path / path)
    photos = [
        str(tmp_path / p)
        for p in ("hopper.jpg", "hopper.webp", "hopper.tif", "a/photo.jpg", "b/photo.jpg", "b/photo.png")
    ]
    status, out, err = run_cli(["depth", *photos, "-o", str(tmp_path / "out")], capsys)
    assert status == 0 and err == summary(6, 0, 0) + "\n"
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "hopper.jpg_depth.png",
        "hopper.tif_depth.png",
        "hopper.webp_depth.png",
        "photo.jpg-2_depth.png",
        "photo.jpg_depth.png",
        "photo.png_depth.png",
    ]
    # again: every name exists now, so nothing is written (kept, not a failure) and each photo says so in one line
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    write_photo(tmp_path / "hopper.jpg", (40, 30))  # a different photo under the same name
    status, out, err = run_cli(["depth", *photos, "-o", str(tmp_path / "out")], capsys)
    lines = out.strip().splitlines()
    assert status == 0 and err == summary(0, 6, 0) + "\n" and len(lines) == 6
    target = tmp_path / "out" / "hopper.jpg_depth.png"
    assert lines[0] == f"{target} (kept: already there; --force overwrites it)"
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    status, out, err = run_cli(["depth", *photos, "-o", str(tmp_path / "out"), "--force"], capsys)
    assert status == 0 and err == summary(6, 0, 0) + "\n"
    with Image.open(tmp_path / "out" / "hopper.jpg_depth.png") as depth:
        assert depth.size == (40, 30)  # overwritten with the new photo's depth


def test_every_failure_is_one_plain_line_and_the_rest_is_processed(tmp_path, capsys):
    write_photo(tmp_path / "good.jpg")
    (tmp_path / "notes.jpg").write_text("not a photo")
    args = [str(tmp_path / n) for n in ("missing.jpg", "notes.jpg", "good.jpg")]
    status, out, err = run_cli(["depth", *args, "-o", str(tmp_path / "out")], capsys)
    lines = err.strip().splitlines()
    assert status == 1 and len(lines) == 3 and lines[2] == summary(1, 0, 2), err
    assert lines[0] == f"{args[0]}: no such file"
    assert lines[1].startswith(f"{args[1]}: ") and "Errno" not in err and "Traceback" not in err
    assert out.strip() == f"{tmp_path / 'out' / 'good_depth.png'} (depth estimated by the model)"


def test_depth_a_photo_carries_is_used_unless_model_only_and_extract_writes_it(tmp_path, capsys):
    from diorama.embedded import write_gdepth

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 150)).save(buf, "JPEG")
    ramp = np.tile(np.linspace(0, 1, 32, dtype=np.float32), (24, 1))  # nearer to the right, half the size
    (tmp_path / "lens.jpg").write_bytes(write_gdepth(buf.getvalue(), ramp))
    write_photo(tmp_path / "plain.jpg")
    photos = [str(tmp_path / "lens.jpg"), str(tmp_path / "plain.jpg")]
    status, out, err = run_cli(["depth", photos[0], "-o", str(tmp_path / "a")], capsys)
    assert status == 0 and out.strip().endswith("(depth from the photo: Google Lens Blur)"), out
    with Image.open(tmp_path / "a" / "lens_depth.png") as depth:
        values = np.asarray(depth, dtype=np.float64)
        assert depth.size == (64, 48) and values[:, -4:].mean() > values[:, :4].mean() + 50000
    status, out, err = run_cli(["depth", photos[0], "-o", str(tmp_path / "b"), "--model-only"], capsys)
    assert status == 0 and out.strip().endswith("(depth estimated by the model)")
    status, out, err = run_cli(["extract", *photos, "-o", str(tmp_path / "c")], capsys)
    assert status == 1 and out.strip() == f"{tmp_path / 'c' / 'lens_depth.png'} (Google Lens Blur, 32 x 24)"
    assert (
        err.strip().splitlines()[0] == f"{photos[1]}: this photo carries no depth map (iPhone portrait, Lens Blur, "
        "Pixel portrait, Samsung Live Focus or XDM); `diorama depth` estimates one"
    )
    with Image.open(tmp_path / "c" / "lens_depth.png") as depth:
        assert depth.mode.startswith("I") and depth.size == (32, 24)


def test_a_bad_outdir_or_model_stops_with_one_line_and_status_2(tmp_path, capsys):
    write_photo(tmp_path / "p.jpg")
    (tmp_path / "file.txt").write_text("x")
    status, out, err = run_cli(["depth", str(tmp_path / "p.jpg"), "-o", str(tmp_path / "file.txt")], capsys)
    assert status == 2 and err == f"diorama: -o {tmp_path / 'file.txt'}: is a file, not a folder\n"
    (tmp_path / "fake.onnx").write_bytes(b"this is not a model")
    status, out, err = run_cli(
        ["depth", str(tmp_path / "p.jpg"), "--model", str(tmp_path / "fake.onnx"), "-o", str(tmp_path)], capsys
    )
    assert status == 2 and err.count("\n") == 1
    assert err.startswith(f"diorama: --model {tmp_path / 'fake.onnx'}: not an ONNX model") and "Traceback" not in err
    status, out, err = run_cli(["depth", str(tmp_path / "p.jpg"), "--model", str(tmp_path / "none.onnx")], capsys)
    assert status == 2 and err == f"diorama: --model {tmp_path / 'none.onnx'}: no such file\n"


def test_what_native_libraries_print_while_decoding_is_silenced(capfd):
    import os

    from diorama.batch import _native_stderr_silenced

    with _native_stderr_silenced():
        os.write(2, b"TIFFFillStrip: Read error on strip 0\n")  # as libtiff writes it, below Python
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_mesh_writes_a_valid_glb_per_photo_with_the_depth_it_carries(tmp_path, capsys):
    from diorama.embedded import write_gdepth

    from tests.py.test_mesh import layer_arrays, square_scene, validate_glb

    photo, depth, _ = square_scene(96, 128)
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, "JPEG", quality=95)
    (tmp_path / "square.jpg").write_bytes(write_gdepth(buf.getvalue(), depth))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not a photo")
    status, out, err = run_cli(
        ["mesh", str(tmp_path / "square.jpg"), str(tmp_path / "broken.jpg"), "-o", str(tmp_path / "out")], capsys
    )
    assert status == 1 and len(err.strip().splitlines()) == 2 and err.startswith(f"{tmp_path / 'broken.jpg'}: ")
    assert out.strip() == f"{tmp_path / 'out' / 'square_3d.glb'} (depth from the photo: Google Lens Blur)"
    document, binary = validate_glb((tmp_path / "out" / "square_3d.glb").read_bytes())
    _, front_triangles = layer_arrays(document, binary, "front")
    _, back_triangles = layer_arrays(document, binary, "back")
    assert 0 < len(front_triangles) < len(back_triangles)  # cut around the square
