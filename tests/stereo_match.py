"""How well stereo matching (py/diorama/stereo_match.py) measures depth: ``python -m tests.stereo_match``.

Writes docs/stereo-matching.md and small previews docs/stereo-mpo-*.png:

- per Middlebury pair of ``../shared/stereo`` (read by :func:`tests.stereo.load_pairs`): working size,
  disparity range searched, CPython seconds; the matcher's own disparity in pixels, scaled to the ground
  truth's size (AbsRel, bad-2: share of pixels off by more than 2 px; no fitting: stereo measures
  disparity); the app's depth (``disparity_from_views``) fitted to the ground truth by least-squares
  scale and shift, as tests/stereo.py fits the model's depth (AbsRel, delta1, bad-2); and whether the
  pair given right first is recognised as swapped;
- seconds for a 12 MP pair (Adirondack enlarged to 4000 x 2762) and for the app's 2048 px photo size;
- the three MPO files of ``../shared/phone-depth/embedded``: range, order found, seconds, a preview.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from diorama import stereo_match
from diorama.embedded import stereo_views
from diorama.filters import resize_bilinear
from diorama.stereo_match import disparity_from_views, match_views
from PIL import Image

from tests.stereo import SHARED_STEREO, StereoPair, depth_scores, fit_disparity, load_pairs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MPO_DIR = SHARED_STEREO.parent / "phone-depth" / "embedded"
MPO_FILES = ("sugarshack.mpo", "frozenpond.mpo", "Panasonic-DMC-GX8.mpo", "vision-pro.HEIC")
MODEL = {"absrel": 0.233, "delta1": 0.659}  # docs/quality.md: app default depth, mean over these scenes


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def raw_scores(match, pair: StereoPair) -> tuple[float, float]:
    """AbsRel and bad-2 of the matcher's disparity in pixels, scaled to the ground truth's size, unfitted."""
    shape = pair.disparity.shape
    disparity = match.disparity / match.scale
    if disparity.shape != shape:
        disparity = resize_bilinear(disparity, shape)
    gt, got = pair.disparity[pair.valid], np.maximum(disparity[pair.valid], 1e-3)
    return float(np.mean(np.abs(got - gt) / gt)), float(np.mean(np.abs(got - gt) > 2))


def measure_pair(pair: StereoPair) -> dict:
    match, _ = timed(match_views, pair.left, pair.right)
    depth, seconds = timed(disparity_from_views, pair.left, pair.right)
    a, b = fit_disparity(depth, pair.disparity, pair.valid)
    absrel, delta1 = depth_scores(depth, pair, a, b)
    bad2 = float(np.mean(np.abs(a * depth + b - pair.disparity)[pair.valid] > 2))
    raw_absrel, raw_bad2 = raw_scores(match, pair)
    return {
        "name": pair.name,
        "shape": pair.left.shape[:2],
        "working": match.disparity.shape,
        "search": match.search,
        "scale": match.scale,
        "seconds": seconds,
        "absrel": absrel,
        "delta1": delta1,
        "bad2": bad2,
        "raw_absrel": raw_absrel,
        "raw_bad2": raw_bad2,
        "valid": float(match.valid.mean()),
        "swap_found": match_views(pair.right, pair.left).swapped,
    }


def big_pair_timings(pair: StereoPair) -> list[tuple[str, float, float]]:
    """(size, seconds of match_views, seconds of disparity_from_views) for the pair enlarged."""
    rows = []
    for long_side in (4000, 2048):
        h, w = pair.left.shape[:2]
        size = (long_side, round(h * long_side / w))
        left, right = (
            np.asarray(Image.fromarray(v).resize(size, Image.Resampling.BICUBIC)) for v in (pair.left, pair.right)
        )
        _, match_s = timed(match_views, left, right)
        _, full_s = timed(disparity_from_views, left, right)
        rows.append((f"{size[0]} x {size[1]} ({size[0] * size[1] / 1e6:.1f} MP)", match_s, full_s))
    return rows


def stereo_file_views(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The two views of an MPO (Pillow) or an Apple spatial HEIC (pillow-heif, as the CLI reads it), or None."""
    if path.suffix.lower() == ".heic":
        views = stereo_views(path.read_bytes())
        return None if views is None else tuple(np.asarray(view.convert("RGB")) for view in views)
    with Image.open(path) as image:
        first = np.asarray(image.convert("RGB"))
        image.seek(1)
        second = np.asarray(image.convert("RGB"))
    return first, second


def preview(photo: np.ndarray, depth: np.ndarray, path: Path, height: int = 200) -> None:
    """photo | depth (white = near), `height` px high, as PNG."""
    grey = np.repeat((depth * 255 + 0.5).astype(np.uint8)[..., None], 3, axis=2)
    row = np.concatenate([photo, grey], axis=1)
    Image.fromarray(row).resize((round(row.shape[1] * height / row.shape[0]), height), Image.Resampling.BOX).save(
        path, optimize=True
    )


def measure_stereo_file(path: Path) -> dict | None:
    views = stereo_file_views(path)
    if views is None:
        return None
    first, second = views
    # measured below the app's threshold too: a pair the app refuses still shows its consistency and depth here
    threshold, stereo_match.MIN_CONSISTENT = stereo_match.MIN_CONSISTENT, 0.0
    try:
        match, _ = timed(match_views, first, second)
        depth, seconds = timed(disparity_from_views, first, second)
        exchanged = match_views(second, first).swapped
    finally:
        stereo_match.MIN_CONSISTENT = threshold
    out = DOCS / f"stereo-mpo-{path.stem}.png"
    preview(first, depth, out)
    return {
        "name": path.name,
        "shape": first.shape[:2],
        "working": match.disparity.shape,
        "search": match.search,
        "swapped": match.swapped,
        "swapped_if_exchanged": exchanged,
        "valid": float(match.valid.mean()),
        "seconds": seconds,
        "preview": out.name,
    }


def report(pairs: list[dict], big: list, mpos: list[dict], total: float) -> str:
    lines = [
        "# Stereo matching: depth from two views",
        "",
        "`py/diorama/stereo_match.py`: census 7x7 cost, semi-global matching over 8 directions, subpixel "
        "winner, left-right check, occlusions filled from the far side, upsampled with a guided filter "
        "(module docstring). Written by `python -m tests.stereo_match` in CPython "
        f"(NumPy {np.__version__}); Pyodide runs NumPy single-threaded at about half the speed, so expect "
        "about twice these seconds in the browser.",
        "",
    ]
    if pairs:
        lines += [
            "## Middlebury pairs (`../shared/stereo`)",
            "",
            "*matcher*: its disparity in pixels at the ground truth's size, not fitted. *app depth*: "
            "`disparity_from_views` (the [0, 1] depth the app would use), fitted to the ground truth by "
            "least-squares scale and shift as tests/stereo.py fits the model's depth. bad-2: share of "
            "known pixels off by more than 2 px. *order*: the pair given right first is found swapped.",
            "",
            "| scene | size | working | search (px) | consistent | s (CPython) | matcher AbsRel | matcher bad-2 "
            "| app AbsRel | app delta1 | app bad-2 | order |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in pairs:
            lines.append(
                f"| {r['name']} | {r['shape'][1]}x{r['shape'][0]} | {r['working'][1]}x{r['working'][0]} "
                f"| {r['search'][0]}..{r['search'][1]} | {r['valid']:.2f} | {r['seconds']:.2f} "
                f"| {r['raw_absrel']:.3f} | {r['raw_bad2']:.3f} | {r['absrel']:.3f} | {r['delta1']:.3f} "
                f"| {r['bad2']:.3f} | {'found' if r['swap_found'] else 'MISSED'} |"
            )
        mean = {k: float(np.mean([r[k] for r in pairs])) for k in ("absrel", "delta1", "bad2", "raw_bad2")}
        lines += [
            "",
            f"Mean: app AbsRel {mean['absrel']:.3f}, delta1 {mean['delta1']:.3f}, bad-2 {mean['bad2']:.3f} "
            f"(matcher bad-2 {mean['raw_bad2']:.3f}). The depth model on the same scenes, same fit "
            f"(docs/quality.md, app default, mean): AbsRel {MODEL['absrel']:.3f}, delta1 {MODEL['delta1']:.3f}.",
            "",
            "*order*: the occlusion cue and the sign of the range agree on every pair given right first "
            "(match_views, Notes); a pair whose disparities centre on zero is not recognised when swapped "
            "(the Panasonic file below, exchanged).",
            "",
        ]
    else:
        lines += [f"`{SHARED_STEREO}` is absent: no Middlebury numbers.", ""]
    if big:
        lines += [
            "## Time at photo sizes",
            "",
            "Adirondack enlarged (bicubic). *matching*: `match_views` (decode excluded; grey + shrink to the "
            "working size, coarse pass both ways, SGM at long side 512). *with upsampling*: "
            "`disparity_from_views`, the depth guided-filtered at the full size.",
            "",
            "| pair | matching, s | with upsampling, s | expected in Pyodide, s |",
            "|---|---|---|---|",
        ]
        lines += [f"| {name} | {m:.2f} | {f:.2f} | ~{2 * f:.1f} |" for name, m, f in big]
        lines.append("")
    if mpos:
        lines += [
            "## Stereo photos (`../shared/phone-depth/embedded`: MPO, and the Apple spatial HEIC read with "
            "pillow-heif)",
            "",
            "First frame given as the left view. *swapped*: the order found as given; *exchanged*: the "
            "order found with the frames exchanged (a consistent decision says `true` there). *app*: "
            f"what the app does with the pair: below {stereo_match.MIN_CONSISTENT:.0%} consistent pixels "
            "it refuses the pair with a note and uses the model (measured here below that threshold too).",
            "",
            "| file | size | working | search (px) | consistent | app | swapped | exchanged | s (CPython) | preview |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in mpos:
            lines.append(
                f"| {r['name']} | {r['shape'][1]}x{r['shape'][0]} | {r['working'][1]}x{r['working'][0]} "
                f"| {r['search'][0]}..{r['search'][1]} | {r['valid']:.2f} "
                f"| {'stereo depth' if r['valid'] >= stereo_match.MIN_CONSISTENT else 'refused: model'} "
                f"| {str(r['swapped']).lower()} "
                f"| {str(r['swapped_if_exchanged']).lower()} | {r['seconds']:.2f} "
                f"| [{r['preview']}]({r['preview']}) |"
            )
        lines += [
            "",
            "What the previews show (looked at on 2026-12-02): **Panasonic-DMC-GX8**: right; the "
            "cotton-grass heads in front are white, the meadow grey and brightening towards the camera, "
            "the mountain and sky dark, so the file's first frame is the left view. **sugarshack, "
            "frozenpond** (Nintendo 3DS, 640 x 480, from Pillow's test images): no usable depth. Their "
            "frames are offset by ~100 px horizontally and 2 rows vertically (phase correlation), the "
            "scene's own parallax is a few pixels inside that offset, and the views are small and heavily "
            "compressed: the depth is a grey field with speckle, and a bright streaked band along the right "
            "border (the ~100 px that only the first frame shows); the app refuses them (consistency). "
            "**vision-pro** (Apple Vision Pro spatial photo, 2048 x 2048 per view): a bedroom of striped "
            "bedsheets, blinds and plain walls; stripes repeat and walls carry no texture, so many pixels "
            "disagree both ways and the app refuses the pair (iPhone spatial photos of textured scenes are "
            "expected to match; no such file is here).",
            "",
        ]
        lines += [f"![{r['name']}: photo | depth, white = near]({r['preview']})" for r in mpos]
        lines.append("")
    lines.append(f"Measured in {total:.0f} s.")
    return "\n".join(lines) + "\n"


def main() -> None:
    start = time.perf_counter()
    loaded = load_pairs()
    pairs = [measure_pair(pair) for pair in loaded]
    for r in pairs:
        print(
            f"{r['name']}: app AbsRel {r['absrel']:.3f} delta1 {r['delta1']:.3f} bad-2 {r['bad2']:.3f}, "
            f"matcher bad-2 {r['raw_bad2']:.3f}, {r['seconds']:.2f} s",
            flush=True,
        )
    adirondack = [p for p in loaded if p.name == "Adirondack"]
    big = big_pair_timings(adirondack[0]) if adirondack else []
    mpos = [m for name in MPO_FILES if (MPO_DIR / name).is_file() and (m := measure_stereo_file(MPO_DIR / name))]
    text = report(pairs, big, mpos, time.perf_counter() - start)
    (DOCS / "stereo-matching.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
