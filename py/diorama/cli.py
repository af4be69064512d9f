"""Command line: ``diorama depth PHOTO... [-o OUTDIR] [--format png|npy] [--display] [--model-only]`` and
``diorama extract PHOTO... [-o OUTDIR]`` and ``diorama mesh PHOTO... [-o OUTDIR]``.

``depth`` writes ``<stem>_depth.png`` (16-bit grey, white = near) or ``<stem>_depth.npy`` ((H, W) float32
in [0, 1], 1 = near) per photo, at the photo's working size, using the same decoding and
model pre/post-processing as the browser and the packaged ONNX model: the depth the photo carries
(iPhone portrait, Lens Blur, ...: :mod:`diorama.embedded`) when it has some, unless ``--model-only``,
else the model's raw depth; with ``--display`` the display depth the app shows at its defaults
(``postprocess_depth``). Each written file is printed with where its depth came from.
``extract`` writes only the depth photos carry, as 16-bit PNGs at the size they store it, and says so
(one line, exit status 1) for a photo that carries none.
``mesh`` writes ``<stem>_3d.glb`` per photo: the app's layered scene at its default settings as a textured
binary glTF (:func:`diorama.mesh.layered_glb`), with the depth ``depth`` would use.

Output names: ``<name>_depth.<format>`` (``<name>_3d.glb``); photos of one run that would share a name keep their
extension in it (``hopper.webp_depth.png``), and a number after that if they still would
(``photo.jpg-2_depth.png``, for ``a/photo.jpg`` and ``b/photo.jpg``). An existing file is never
overwritten unless ``--force`` is given. Every failure is one line ``path: message`` on stderr;
the exit status is 1 when any photo failed, 0 otherwise; a bad ``-o`` or ``--model`` stops the run
with one line before any photo is read.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from .depthmap import depth_png, postprocess_depth
from .embedded import find_embedded_depth, fit_to_photo
from .errors import DioramaError
from .layers import renderer_layers
from .mesh import layered_glb
from .model_io import estimate_depth
from .photo import load_photo


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="diorama", description="3D photos from one picture.")
    commands = parser.add_subparsers(dest="command", required=True)
    depth = commands.add_parser("depth", help="estimate a depth map for each photo",
                                description="Estimate a depth map (white = near) for each photo.")
    depth.add_argument("photos", nargs="+", type=Path, metavar="PHOTO")
    depth.add_argument("-o", "--outdir", type=Path, default=Path("."),
                       help="folder for the depth maps (default: the current folder)")
    depth.add_argument("--format", choices=("png", "npy"), default="png",
                       help="16-bit PNG (default) or float32 NumPy array in [0, 1]")
    depth.add_argument("--model", type=Path, default=None,
                       help="another ONNX model with the same input/output contract")
    depth.add_argument("--force", action="store_true", help="overwrite depth maps that already exist")
    depth.add_argument("--display", action="store_true",
                       help="write the display depth the app shows at its defaults (normalised, soft "
                            "contrast, smoothed) instead of the raw depth")
    depth.add_argument("--model-only", action="store_true",
                       help="estimate depth with the model even for photos that carry their own")
    extract = commands.add_parser("extract", help="write the depth map a photo carries (iPhone portrait, ...)",
                                  description="Write the depth map each photo carries, 16-bit PNG, white = near.")
    extract.add_argument("photos", nargs="+", type=Path, metavar="PHOTO")
    extract.add_argument("-o", "--outdir", type=Path, default=Path("."),
                         help="folder for the depth maps (default: the current folder)")
    extract.add_argument("--force", action="store_true", help="overwrite depth maps that already exist")
    mesh = commands.add_parser("mesh", help="write a 3D mesh (.glb) of each photo's layered scene",
                               description="Write each photo as a textured 3D mesh of its two layers (binary glTF: "
                                           "Blender, three.js, <model-viewer>), at the app's default settings.")
    mesh.add_argument("photos", nargs="+", type=Path, metavar="PHOTO")
    mesh.add_argument("-o", "--outdir", type=Path, default=Path("."),
                      help="folder for the meshes (default: the current folder)")
    mesh.add_argument("--model", type=Path, default=None,
                      help="another ONNX model with the same input/output contract")
    mesh.add_argument("--force", action="store_true", help="overwrite meshes that already exist")
    mesh.add_argument("--model-only", action="store_true",
                      help="estimate depth with the model even for photos that carry their own")
    return parser


def write_depth(depth: np.ndarray, path: Path) -> None:
    """Save (H, W) float32 depth in [0, 1] as a 16-bit PNG or a .npy, by the path's suffix."""
    if path.suffix == ".npy":
        np.save(path, depth.astype(np.float32))
    else:
        path.write_bytes(depth_png(depth))


def output_names(photos: list[Path], fmt: str, suffix: str = "_depth") -> list[str]:
    """One distinct output file name per photo, in order (see the module docstring).

    Examples
    --------
    >>> output_names([Path("a/hopper.jpg"), Path("hopper.webp"), Path("cat.png")], "png")
    ['hopper.jpg_depth.png', 'hopper.webp_depth.png', 'cat_depth.png']
    >>> output_names([Path("a/photo.jpg"), Path("b/photo.jpg")], "npy")
    ['photo.jpg_depth.npy', 'photo.jpg-2_depth.npy']
    """
    stems = Counter(p.stem for p in photos)
    bases = [p.stem if stems[p.stem] == 1 else p.name for p in photos]
    seen: Counter = Counter()
    names = []
    for base in bases:
        seen[base] += 1
        names.append(f"{base}{'' if seen[base] == 1 else f'-{seen[base]}'}{suffix}.{fmt}")
    return names


@contextlib.contextmanager
def _native_stderr_silenced():
    """Silence what C libraries (libtiff, libjpeg) print on stderr themselves; Python's own errors still
    reach the caller as exceptions, and are reported in one line each."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _read_error(path: Path, err: OSError) -> str:
    if isinstance(err, FileNotFoundError):
        return "no such file"
    if isinstance(err, IsADirectoryError) or path.is_dir():
        return "is a folder, not a photo"
    if isinstance(err, PermissionError):
        return "not allowed to read it"
    return f"could not read it ({err.strerror or err})"


def _check_outdir(outdir: Path) -> str | None:
    """Why depth maps can't be written into `outdir`, or None when they can (it is created if missing)."""
    if outdir.exists() and not outdir.is_dir():
        return f"-o {outdir}: is a file, not a folder"
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return f"-o {outdir}: could not create the folder ({err.strerror or err})"
    if not os.access(outdir, os.W_OK | os.X_OK):
        return f"-o {outdir}: not allowed to write there"
    return None


def _check_model(model: Path | None) -> str | None:
    """Why `model` can't be used, or None when it can (or is None: the packaged model)."""
    if model is None:
        return None
    if not model.is_file():
        return f"--model {model}: no such file"
    from .model_io import _session, require_onnxruntime

    try:
        onnxruntime = require_onnxruntime()
    except DioramaError as err:
        return str(err)
    try:
        session = _session(str(model), onnxruntime)
    except Exception as err:  # onnxruntime raises its own types for files that are not models  # noqa: BLE001
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return f"--model {model}: not an ONNX model onnxruntime can load ({first[:200]})"
    names = ([i.name for i in session.get_inputs()], [o.name for o in session.get_outputs()])
    if names[0] != ["image"] or "disparity" not in names[1]:
        return (f"--model {model}: expected an input 'image' and an output 'disparity', got inputs "
                f"{names[0]} and outputs {names[1]}")
    return None


def _each_photo(photos: list[Path], targets: list[Path], force: bool, work) -> int:
    """Run ``work(photo, data, target) -> words`` for each photo; print the target and the words, or one line
    ``path: message`` for a failure, and carry on. Returns the exit status (1 when any photo failed)."""
    failed = 0
    for photo, target in zip(photos, targets):
        try:
            if target.exists() and not force:
                raise DioramaError(f"{target} already exists; use --force to overwrite it")
            try:
                data = photo.read_bytes()
            except OSError as err:
                raise DioramaError(_read_error(photo, err)) from err
            with _native_stderr_silenced():
                words = work(photo, data, target)
        except (OSError, DioramaError) as err:
            message = str(err) if isinstance(err, DioramaError) else f"could not write {target} ({err.strerror or err})"
            print(f"{photo}: {message}", file=sys.stderr)
            failed += 1
            continue
        print(f"{target} ({words})")
    return 1 if failed else 0


def _refused(problem: str | None) -> bool:
    """Say `problem` (a command's unusable arguments) on stderr; whether there was one."""
    if problem:
        print(f"diorama: {problem}", file=sys.stderr)
    return bool(problem)


def depth_command(photos: list[Path], outdir: Path, fmt: str, model: Path | None, display: bool = False,
                  force: bool = False, model_only: bool = False) -> int:
    """Write a depth map per photo: the one it carries (unless `model_only`), else the model's."""
    if _refused(_check_outdir(outdir) or _check_model(model)):
        return 1

    def work(photo: Path, data: bytes, target: Path) -> str:
        rgb = load_photo(data)
        depth, words = _photo_depth(data, rgb, model, model_only)
        write_depth(postprocess_depth(depth) if display else depth, target)
        return words

    return _each_photo(photos, [outdir / name for name in output_names(photos, fmt)], force, work)


def _photo_depth(data: bytes, rgb: np.ndarray, model: Path | None, model_only: bool) -> tuple[np.ndarray, str]:
    """A photo's raw depth, the one it carries (unless `model_only`) else the model's, and words saying which."""
    found, note = (None, None) if model_only else find_embedded_depth(data)
    if found:
        return fit_to_photo(found.depth, rgb.shape[:2]), f"depth from the photo: {found.label}"
    return estimate_depth(rgb, model), "depth estimated by the model" + (f"; {note}" if note else "")


def mesh_command(photos: list[Path], outdir: Path, model: Path | None, force: bool = False,
                 model_only: bool = False) -> int:
    """Write a 3D mesh (.glb) of each photo's layered scene, with the depth `depth_command` would write."""
    if _refused(_check_outdir(outdir) or _check_model(model)):
        return 1

    def work(photo: Path, data: bytes, target: Path) -> str:
        rgb = load_photo(data)
        depth, words = _photo_depth(data, rgb, model, model_only)
        front_depth, layers = renderer_layers(rgb, postprocess_depth(depth))
        target.write_bytes(layered_glb(rgb, front_depth, layers.background_rgb, layers.background_depth))
        return words

    return _each_photo(photos, [outdir / name for name in output_names(photos, "glb", "_3d")], force, work)


def extract_command(photos: list[Path], outdir: Path, force: bool = False) -> int:
    """Write the depth map each photo carries, at the size it stores it; a photo without one is a failure."""
    problem = _check_outdir(outdir)
    if problem:
        print(f"diorama: {problem}", file=sys.stderr)
        return 1

    def work(photo: Path, data: bytes, target: Path) -> str:
        found, note = find_embedded_depth(data)
        if found is None:
            load_photo(data)  # a file that is no photo at all says so
            raise DioramaError(note or "this photo carries no depth map (iPhone portrait, Lens Blur, Pixel "
                                       "portrait, Samsung Live Focus or XDM); `diorama depth` estimates one")
        write_depth(found.depth, target)
        return f"{found.label}, {found.depth.shape[1]} x {found.depth.shape[0]}"

    return _each_photo(photos, [outdir / name for name in output_names(photos, "png")], force, work)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "extract":
        return extract_command(args.photos, args.outdir, args.force)
    if args.command == "mesh":
        return mesh_command(args.photos, args.outdir, args.model, args.force, args.model_only)
    return depth_command(args.photos, args.outdir, args.format, args.model, args.display, args.force,
                         args.model_only)


if __name__ == "__main__":
    sys.exit(main())
