"""The CLI on photo libraries: folders walked with depth maps paired and outputs mirrored, -j N processes (the
same bytes as -j 1), a killed worker, Ctrl-C then the same command again, the progress bar on a terminal, the
3D JPEG kind, every bad input of issue 28, and a LocalCluster (Dask) run writing what -j 2 writes."""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from diorama.cli import main
from diorama.embedded import read_embedded_depth
from PIL import Image

from tests.forged import png
from tests.py.test_cli import summary, write_photo

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args, capsys):
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too), by its path relative to it."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def library(root: Path, count: int = 6, size=(96, 64)) -> Path:
    """A folder of `count` photos in nested folders, two of them with one name."""
    for i in range(count):
        folder = root / ("2019/rome" if i % 3 == 0 else "2019/paris" if i % 3 == 1 else "")
        folder.mkdir(parents=True, exist_ok=True)
        write_photo(folder / f"{'same' if i < 2 else f'p{i}'}.jpg", size)
    return root


def test_folders_are_walked_depth_maps_paired_and_outputs_mirror_them(tmp_path, capsys):
    photos = tmp_path / "in"
    for name in (
        "2019/rome/a.jpg",
        "2019/paris/a.jpg",
        "2019/paris/a.png",
        "top.png",
        ".hidden/x.jpg",
        ".dot.jpg",
        "2019/rome/deeper/still/b.webp",
    ):
        (photos / name).parent.mkdir(parents=True, exist_ok=True)
        write_photo(photos / name)
    (photos / "notes.txt").write_text("not a photo, not taken")
    ramp = np.tile(np.linspace(0, 255, 96).astype(np.uint8), (64, 1))  # nearer to the right
    Image.fromarray(ramp).save(photos / "top_depth.png")
    Image.fromarray(ramp).save(photos / "2019" / "lonely-depth.png")  # no photo of that name: a photo itself
    single = tmp_path / "single.jpg"
    write_photo(single)
    status, out, err = run_cli(["depth", str(photos), str(single), "-o", str(tmp_path / "out"), "-j", "1"], capsys)
    assert status == 0 and err == summary(7, 0, 0) + "\n", err
    assert sorted(files_under(tmp_path / "out")) == [
        "2019/lonely-depth_depth.png",
        "2019/paris/a.jpg_depth.png",
        "2019/paris/a.png_depth.png",
        "2019/rome/a_depth.png",
        "2019/rome/deeper/still/b_depth.png",
        "single_depth.png",
        "top_depth.png",
    ]
    assert f"{tmp_path / 'out' / 'top_depth.png'} (depth from top_depth.png)" in out.splitlines()
    with Image.open(tmp_path / "out" / "top_depth.png") as depth:
        values = np.asarray(depth, dtype=np.float64)
    np.testing.assert_allclose(values / 65535, np.tile(np.linspace(0, 1, 96), (64, 1)), atol=1 / 255)


def test_a_paired_depth_map_drawn_black_near_is_read_that_way_as_the_page_reads_it(tmp_path, capsys):
    from diorama.model_io import estimate_depth  # the model's own depth of the photo: the map is made from it

    photos = tmp_path / "in"
    photos.mkdir()
    write_photo(photos / "white.png", (192, 128))
    write_photo(photos / "black.png", (192, 128))
    with Image.open(photos / "white.png") as image:
        model = estimate_depth(np.asarray(image.convert("RGB")))
    Image.fromarray(np.round(model * 255).astype(np.uint8)).save(photos / "white_depth.png")
    Image.fromarray(np.round((1 - model) * 255).astype(np.uint8)).save(photos / "black_depth.png")
    status, out, err = run_cli(["depth", str(photos), "-o", str(tmp_path / "out"), "-j", "1"], capsys)
    assert status == 0 and err == summary(2, 0, 0) + "\n", err
    assert "black_depth.png (depth from black_depth.png, drawn black = near" in out
    assert "white_depth.png (depth from white_depth.png)\n" in out
    for name in ("white", "black"):  # both read as the model's depth: white = near
        with Image.open(tmp_path / "out" / f"{name}_depth.png") as depth:
            np.testing.assert_allclose(np.asarray(depth, dtype=np.float64) / 65535, model, atol=1 / 255 + 1e-6)


def test_the_output_folder_inside_a_folder_given_is_not_walked(tmp_path, capsys):
    write_photo(tmp_path / "a.jpg")
    status, out, err = run_cli(["jpeg", str(tmp_path), "-o", str(tmp_path / "3d"), "-j", "1"], capsys)
    assert status == 0 and (tmp_path / "3d" / "a_3d.jpg").is_file()
    status, out, err = run_cli(["jpeg", str(tmp_path), "-o", str(tmp_path / "3d"), "-j", "1"], capsys)
    assert status == 0 and err == summary(0, 1, 0) + "\n"  # a_3d.jpg was not taken as a photo


@pytest.mark.parametrize("kind", ["depth", "mesh", "jpeg"])
def test_two_processes_write_exactly_what_one_writes(tmp_path, capsys, kind):
    photos = library(tmp_path / "in")
    one = run_cli([kind, str(photos), "-o", str(tmp_path / "one"), "-j", "1"], capsys)
    two = run_cli([kind, str(photos), "-o", str(tmp_path / "two"), "-j", "2"], capsys)
    assert one[0] == two[0] == 0 and one[2] == two[2] == summary(6, 0, 0) + "\n"
    written = files_under(tmp_path / "one")
    assert len(written) == 6 and written == files_under(tmp_path / "two")
    assert sorted(one[1].splitlines()) == sorted(
        two[1].replace(str(tmp_path / "two"), str(tmp_path / "one")).splitlines()
    )


def test_a_killed_worker_fails_its_photo_and_the_pool_goes_on(tmp_path, capsys):
    photos = library(tmp_path / "in", count=8, size=(480, 360))
    killed = []

    def kill_the_first_worker():
        while not killed:  # waits for the state (a worker process exists), then kills it
            children = multiprocessing.active_children()
            if children:
                os.kill(children[0].pid, signal.SIGKILL)
                killed.append(children[0].pid)
            time.sleep(0.01)

    killer = threading.Thread(target=kill_the_first_worker, daemon=True)
    killer.start()
    status, out, err = run_cli(["depth", str(photos), "-o", str(tmp_path / "out"), "-j", "2"], capsys)
    killer.join()
    lines = err.strip().splitlines()
    assert status == 1 and len(lines) == 2 and lines[1] == summary(7, 0, 1), err
    assert lines[0].endswith(
        ": the process working on it stopped (killed by SIGKILL, perhaps for lack of memory); the run went on"
    )
    assert len(files_under(tmp_path / "out")) == 7  # no temporary file left either
    assert not multiprocessing.active_children()


def _cli(*args: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "py"))
    return subprocess.Popen(
        [sys.executable, "-m", "diorama.cli", *args],
        env=env,
        text=True,
        **{"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs},
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_leaves_no_partial_file_and_the_same_command_does_the_rest(tmp_path, jobs):
    photos = library(tmp_path / "in", count=16, size=(800, 600))
    out = tmp_path / "out"
    args = ("depth", str(photos), "-o", str(out), "-j", jobs)
    run = _cli(*args, start_new_session=True)  # its own process group, as a terminal's foreground job
    while not any(out.rglob("*_depth.png")) and run.poll() is None:
        time.sleep(0.02)  # waits for the state: a first photo done
    os.killpg(run.pid, signal.SIGINT)  # Ctrl-C: the whole group gets it
    stdout, stderr = run.communicate(timeout=60)
    done = files_under(out)
    assert run.returncode == 130, stderr
    assert stderr.splitlines()[-1].startswith("diorama: stopped after ") and "Traceback" not in stderr
    assert stderr.splitlines()[-1].endswith("; the same command again does the rest")
    assert 0 < len(done) < 16 and all(name.endswith("_depth.png") for name in done)  # no .part file
    for name in done:
        with Image.open(out / name) as depth:
            depth.load()  # whole
    again = _cli(*args)
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0 and stderr.splitlines()[-1] == summary(16 - len(done), len(done), 0)
    assert len(files_under(out)) == 16


def test_on_a_terminal_a_progress_bar_with_failures_above_it(tmp_path):
    import fcntl
    import pty
    import struct
    import termios

    library(tmp_path / "in", count=3)
    (tmp_path / "in" / "broken.jpg").write_bytes(b"\xff\xd8 not a photo")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    run = _cli("depth", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-j", "1", stderr=follower)
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the program ended: its side of the terminal is closed
            break
        if not chunk:
            break
        screen += chunk
    stdout, _ = run.communicate(timeout=60)
    os.close(leader)
    text = screen.decode()
    assert run.returncode == 1 and stdout == ""  # the bar replaces the per-photo lines
    assert f"{tmp_path / 'in' / 'broken.jpg'}: " in text
    assert "4/4" in text and re.search(r"photo/s|s/photo", text)  # done/total and the rate
    bars = [line for line in re.split(r"[\r\n]+", text) if "%|" in line]
    assert bars and all(len(bar) == 100 for bar in bars)  # the bar spans the terminal
    assert text.rstrip().splitlines()[-1] == summary(3, 0, 1)


def test_the_3d_jpeg_carries_the_depth_the_depth_command_writes(tmp_path, capsys):
    buf = io.BytesIO()
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)).save(buf, "JPEG", quality=90)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "photo.jpg").write_bytes(buf.getvalue())
    write_photo(tmp_path / "in" / "drawing.png")
    assert run_cli(["jpeg", str(tmp_path / "in"), "-o", str(tmp_path / "3d"), "-j", "1"], capsys)[0] == 0
    assert run_cli(["depth", str(tmp_path / "in"), "-o", str(tmp_path / "d"), "-j", "1"], capsys)[0] == 0
    for name in ("photo", "drawing"):
        data = (tmp_path / "3d" / f"{name}_3d.jpg").read_bytes()
        found = read_embedded_depth(data)
        assert found is not None and found.format == "gdepth"
        with Image.open(tmp_path / "d" / f"{name}_depth.png") as depth:
            expected = np.asarray(depth, dtype=np.float64) / 65535
        np.testing.assert_allclose(found.depth, expected, atol=1 / 255 + 1e-6)
    # a JPEG keeps its own compressed pixels: only its metadata changed
    with Image.open(tmp_path / "3d" / "photo_3d.jpg") as made, Image.open(io.BytesIO(buf.getvalue())) as original:
        np.testing.assert_array_equal(np.asarray(made), np.asarray(original))


def test_help_says_which_kinds_stay_in_the_page(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "Videos, GIF loops, stills, stereo pairs and anaglyphs need the renderer's frames: make them in the "
        "page's Export section." in text
    )


def test_bad_inputs_each_get_one_line(tmp_path, capsys):
    photos = library(tmp_path / "in", count=2)
    (photos / "damaged.jpg").write_bytes((photos / "2019" / "rome" / "same.jpg").read_bytes()[:300])  # cut short
    (photos / "huge.png").write_bytes(png(12_000, 10_000))  # 120 megapixels, over the limit
    (photos / "loop").symlink_to(photos, target_is_directory=True)  # a link back up: never walked twice
    status, out, err = run_cli(["depth", str(photos), "-o", str(tmp_path / "out"), "-j", "1"], capsys)
    lines = err.strip().splitlines()
    assert status == 1 and len(lines) == 4 and lines[-1] == summary(2, 0, 2), err
    assert lines[0] == f"diorama: {photos / 'loop'}: a link back to a folder already searched; skipped"
    assert lines[1].startswith(f"{photos / 'damaged.jpg'}: ") and lines[2].startswith(f"{photos / 'huge.png'}: ")
    assert "Traceback" not in err


def test_a_folder_without_photos_says_so_with_status_1(tmp_path, capsys):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "notes.txt").write_text("x")
    status, out, err = run_cli(["depth", str(tmp_path / "empty"), "-o", str(tmp_path / "out")], capsys)
    assert status == 1 and err.count("\n") == 1
    assert err.startswith(f"diorama: no photos found in {tmp_path / 'empty'} (files ending in .jpg .jpeg")


def test_an_unreadable_sub_folder_is_skipped_with_one_line(tmp_path, capsys, monkeypatch):
    photos = library(tmp_path / "in", count=2)
    (photos / "locked").mkdir()
    scandir = os.scandir

    # root reads every folder, whatever its mode: the folder refuses as the system would refuse anyone else
    def refusing(folder):
        if Path(folder) == photos / "locked":
            raise PermissionError(13, "Permission denied", str(folder))
        return scandir(folder)

    monkeypatch.setattr(os, "scandir", refusing)
    status, out, err = run_cli(["depth", str(photos), "-o", str(tmp_path / "out"), "-j", "1"], capsys)
    assert status == 0 and err.splitlines()[0].startswith(f"diorama: {photos / 'locked'}: could not read this folder")
    assert len(list((tmp_path / "out").rglob("*_depth.png"))) == 2  # the readable photos are done all the same


def test_a_bad_dask_address_stops_with_one_line_and_status_2(tmp_path, capsys):
    pytest.importorskip("distributed")
    write_photo(tmp_path / "a.jpg")
    for address, says in (
        ("local:none", "say how many worker processes, as in local:4"),
        ("tcp://127.0.0.1:9", "could not reach a Dask scheduler there"),
    ):
        status, out, err = run_cli(["depth", str(tmp_path / "a.jpg"), "-o", str(tmp_path), "--dask", address], capsys)
        assert status == 2 and err.count("\n") == 1 and err.startswith(f"diorama: --dask {address}: {says}"), err
    assert not (tmp_path / "a_depth.png").exists()


def test_a_local_dask_cluster_writes_exactly_what_two_processes_write(tmp_path, capsys):
    pytest.importorskip("distributed")
    photos = library(tmp_path / "in")
    (photos / "broken.jpg").write_bytes(b"not a photo")
    two = run_cli(["mesh", str(photos), "-o", str(tmp_path / "two"), "-j", "2"], capsys)
    dask = run_cli(["mesh", str(photos), "-o", str(tmp_path / "dask"), "--dask", "local:2"], capsys)
    assert two[0] == dask[0] == 1 and two[2].splitlines()[-1] == dask[2].splitlines()[-1] == summary(6, 0, 1)
    written = files_under(tmp_path / "two")
    assert len(written) == 6 and written == files_under(tmp_path / "dask")


@pytest.mark.parametrize(
    "kind, export",
    [
        ("jpeg", lambda s: s.gdepth_jpeg()),
        ("mesh", lambda s: s.mesh_glb()),
        ("html", lambda s: s.photo_3d_html(0.5, 0.5)),
    ],
)
def test_each_kind_is_the_file_the_page_exports_for_the_same_photo_and_depth_map(tmp_path, capsys, kind, export):
    from diorama.bridge import Studio

    from tests.py.test_mesh import square_scene

    photo, depth, _ = square_scene(96, 128)
    Image.fromarray(photo).save(tmp_path / "square.png")
    Image.fromarray((depth * 255).astype(np.uint8)).save(tmp_path / "square_depth.png")
    status, out, err = run_cli([kind, str(tmp_path), "-o", str(tmp_path / "out"), "-j", "1"], capsys)
    assert status == 0 and out.strip().endswith("(depth from square_depth.png)"), err
    studio = Studio()  # the page's worker, at the default settings: the photo dropped with its depth map
    studio.open_photo((tmp_path / "square.png").read_bytes(), 1)
    studio.use_depth_map((tmp_path / "square_depth.png").read_bytes())
    studio.commit()
    name = {"jpeg": "square_3d.jpg", "mesh": "square_3d.glb", "html": "square.3d.html"}[kind]
    assert (tmp_path / "out" / name).read_bytes() == export(studio).tobytes()


def test_an_existing_dask_cluster_is_used_by_its_address(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    photos = library(tmp_path / "in", count=2)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        status, out, err = run_cli(
            ["jpeg", str(photos), "-o", str(tmp_path / "out"), "--dask", cluster.scheduler_address], capsys
        )
    assert status == 0 and err.splitlines()[-1] == summary(2, 0, 0), err
    assert sorted(files_under(tmp_path / "out")) == ["2019/paris/same_3d.jpg", "2019/rome/same_3d.jpg"]
