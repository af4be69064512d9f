"""Every export kind, declared once: its name, label, files and the fields it takes.

The page's Export form is built from :data:`EXPORT_KINDS` (web/ui/export-controls.js), every export's options are
checked against it before its exporter runs (web/export/kinds.js: the form's and ``window.diorama.export``'s
refusals alike), and the table of docs/exports.md is :func:`markdown_table` (``tests/py/test_export_kinds.py``
holds it to that). ``build.py`` writes it into ``dist/options.js`` after the options (:func:`to_javascript`).

A field is either a choice (``choices``: the only values taken) or a number in [``minimum``, ``maximum``]; a number
shows in the form as a slider (``control="range"``), a number box, or a list of the values in ``offered`` (the
rest of the range stays open to code). ``page``: the field defaults to the page's option of that name (the motion
controls), then to ``default``. ``in_form=False``: code only, not in the Export form.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .options import Choice, option

__all__ = ["EXPORT_KINDS", "VIDEO_SIZES", "ExportKind", "Field", "kind", "markdown_table", "to_javascript"]


@dataclass(frozen=True)
class Field:
    """One option of an export kind; see the module's docstring."""

    name: str
    label: str
    default: float | str
    hint: str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[Choice, ...] = ()
    offered: tuple[float, ...] = ()
    control: str = ""
    page: str = ""
    in_form: bool = True


@dataclass(frozen=True)
class ExportKind:
    """One output: `name` (the API's kind), the form's `label`, the `files` it makes (``{field}`` stands for the
    field's value, ``{ext}`` for the format's file extension), what it is `for`, and its `fields`."""

    name: str
    label: str
    files: tuple[str, ...]
    purpose: str
    fields: tuple[Field, ...] = ()


def _motion_fields() -> tuple[Field, ...]:
    """The motion preset of a loop: the page's motion controls unless given (options.py declares them)."""
    presets = tuple(c for c in option("preset").choices if c.value)
    return (
        Field(
            "preset",
            "Preset",
            presets[0].value,
            "The camera move; the page's preset, else the first.",
            choices=presets,
            page="preset",
            in_form=False,
        ),
        Field(
            "amplitude",
            "Amplitude",
            option("amplitude").default,
            "How wide the move is; the page's by default.",
            0.0,
            1.0,
            0.05,
            page="amplitude",
            in_form=False,
        ),
        Field(
            "seconds",
            "Loop (s)",
            option("loop_seconds").default,
            "One loop's length; the page's by default.",
            0.5,
            30.0,
            0.5,
            page="loop_seconds",
            in_form=False,
        ),
    )


# The video sizes: each choice's label and box, (long side, short side) in px, whichever way round the photo is
# (the page's frames.js takes the boxes from dist/options.js as VIDEO_BOXES).
VIDEO_SIZES = {"1080p": ("up to 1080p", (1920, 1080)), "4k": ("up to 4K", (3840, 2160))}
_VIDEO_SIZE = Field(
    "size",
    "Size",
    "1080p",
    "The photo's size, scaled down to fit the box either way round.",
    choices=tuple(Choice(name, label) for name, (label, _) in VIDEO_SIZES.items()),
)
_VIDEO_FPS = Field("fps", "Frames/s", 30, "Frames a second.", 1, 60, 1, offered=(24, 30, 60))
_GIF_SIZE = Field("size", "Long side (px)", 480, "The GIF's long side in pixels.", 64, 1080, 16, control="number")
_STILL_FORMAT = Field(
    "format", "Format", "png", "The image file's format.", choices=(Choice("png", "PNG"), Choice("jpeg", "JPEG"))
)
_QUALITY = Field("quality", "JPEG quality", 0.92, "JPEG quality, 0.1 to 1.", 0.1, 1.0, 0.01, in_form=False)
_BASELINE = Field(
    "baseline",
    "Baseline",
    1.0,
    "How far apart the two eyes' views are (1 = the parallax of a full view offset)",
    0.2,
    2.0,
    0.1,
    control="range",
)

EXPORT_KINDS: tuple[ExportKind, ...] = (
    ExportKind(
        "mp4",
        "Video loop (MP4)",
        ("diorama.mp4",),
        "sharing anywhere: phones, messengers, social sites (H.264)",
        (_VIDEO_SIZE, _VIDEO_FPS, *_motion_fields()),
    ),
    ExportKind(
        "webm",
        "Video loop (WebM)",
        ("diorama.webm",),
        "the web, Android, Firefox; smaller than MP4 (VP9, VP8 where VP9 can't be encoded)",
        (_VIDEO_SIZE, _VIDEO_FPS, *_motion_fields()),
    ),
    ExportKind(
        "gif",
        "GIF loop",
        ("diorama.gif",),
        "places that take no video (forums, chats, READMEs)",
        (
            _GIF_SIZE,
            Field(
                "fps",
                "Frames/s",
                20,
                "Frames a second; 10, 20, 25 and 50 time exactly.",
                1,
                50,
                1,
                offered=(10, 20, 25),
            ),
            *_motion_fields(),
        ),
    ),
    ExportKind(
        "png",
        "Still image",
        ("diorama.{ext}",),
        "a still of the current view at the photo's resolution",
        (_STILL_FORMAT, _QUALITY),
    ),
    ExportKind(
        "sbs",
        "Side-by-side stereo",
        ("diorama_sbs_{layout}_{order}.{ext}",),
        "VR headsets and viewers, 3D TVs, free viewing",
        (
            _STILL_FORMAT,
            _QUALITY,
            _BASELINE,
            Field(
                "layout",
                "Width",
                "full",
                "Full: each eye at the photo's size; half: each squeezed to half.",
                choices=(Choice("full", "full (twice as wide)"), Choice("half", "half (3D TVs, VR players)")),
            ),
            Field(
                "order",
                "Order",
                "parallel",
                "Which eye's view is on the left.",
                choices=(Choice("parallel", "left-right (parallel)"), Choice("cross", "right-left (cross-eyed)")),
            ),
        ),
    ),
    ExportKind(
        "anaglyph",
        "Red-cyan anaglyph",
        ("diorama_anaglyph.{ext}",),
        "red-cyan glasses",
        (_STILL_FORMAT, _QUALITY, _BASELINE),
    ),
    ExportKind(
        "wiggle",
        "Wiggle stereo",
        ("diorama_wiggle.{ext}",),
        "3D without glasses or a viewer",
        (
            Field(
                "format",
                "Format",
                "gif",
                "A GIF, or a video of at least 3 s (up to 1080p, 30 frames/s).",
                choices=(Choice("gif", "GIF"), Choice("mp4", "MP4"), Choice("webm", "WebM")),
            ),
            _BASELINE,
            Field(
                "views",
                "Views",
                3,
                "3: left, centre, right, centre; 2: left, right.",
                choices=(Choice(3, "3"), Choice(2, "2")),
            ),
            Field("hold", "Hold (s)", 0.15, "How long each view shows.", 0.04, 1.0, 0.01, in_form=False),
            Field("size", "Long side (px)", 480, "The GIF's long side in pixels.", 64, 1080, 16, in_form=False),
        ),
    ),
    ExportKind(
        "depth",
        "Depth map (PNG)",
        ("photo_depth.png",),
        "the depth map, 16-bit grey, white = near, the photo's size, for other tools",
    ),
    ExportKind(
        "facebook",
        "Facebook 3D photo pair",
        ("photo.jpg", "photo_depth.png"),
        "a Facebook 3D photo (the depth 8-bit grey)",
    ),
    ExportKind(
        "gdepth",
        "3D JPEG (depth inside)",
        ("photo_3d.jpg",),
        "one JPEG with its depth inside (Google's GDepth), which diorama and other 3D photo viewers read",
    ),
    ExportKind(
        "glb",
        "3D model (.glb: Blender, three.js, headsets)",
        ("photo_3d.glb",),
        "a 3D model of the layered scene: Blender, three.js, `<model-viewer>`, headsets",
    ),
    ExportKind(
        "html",
        "3D photo as one web page (.html)",
        ("photo.3d.html",),
        "the 3D photo as one self-contained web page, to send to anyone",
    ),
)


def kind(name: str) -> ExportKind:
    """The declaration of the export kind called `name`."""
    for k in EXPORT_KINDS:
        if k.name == name:
            return k
    raise KeyError(f"no export kind called {name!r}; the kinds are {[k.name for k in EXPORT_KINDS]}")


def _field(f: Field) -> dict:
    out = {"name": f.name, "label": f.label, "default": f.default, "hint": f.hint, "inForm": f.in_form}
    if f.choices:
        out["choices"] = [{"value": c.value, "label": c.label} for c in f.choices]
    else:
        out.update(
            min=f.minimum, max=f.maximum, step=f.step, control=f.control or ("select" if f.offered else "number")
        )
        if f.offered:
            out["offered"] = list(f.offered)
    if f.page:
        out["page"] = f.page
    return out


def to_javascript() -> str:
    """``EXPORT_KINDS`` for ``dist/options.js``: by name, in the form's order, each field by name; and
    ``VIDEO_BOXES``, the video sizes' boxes ``{long, short}`` by choice."""
    kinds = {
        k.name: {
            "name": k.name,
            "label": k.label,
            "files": list(k.files),
            "purpose": k.purpose,
            "fields": {f.name: _field(f) for f in k.fields},
        }
        for k in EXPORT_KINDS
    }
    boxes = {name: {"long": long, "short": short} for name, (_, (long, short)) in VIDEO_SIZES.items()}
    return (
        f"export const EXPORT_KINDS = Object.freeze({json.dumps(kinds, ensure_ascii=False, indent=1)});\n"
        f"export const VIDEO_BOXES = Object.freeze({json.dumps(boxes)});\n"
    )


def _describe(f: Field) -> str:
    """One field for the docs: `name` what it takes (default) and its hint."""
    if f.choices:
        takes = " / ".join(f"`{c.value!r}`" if isinstance(c.value, str) else f"`{c.value}`" for c in f.choices)
    else:
        takes = f"{f.minimum:g}..{f.maximum:g}" + (
            f", the form offers {', '.join(map(str, f.offered))}" if f.offered else ""
        )
    default = f"the page's `{f.page}`, else `{f.default!r}`" if f.page else f"`{f.default!r}`"
    where = "" if f.in_form else "; code only"
    return f"`{f.name}` {takes} (default {default}{where}): {f.hint.rstrip('.')}"


def markdown_table() -> str:
    """The docs' table of kinds (docs/exports.md), made from the declaration."""
    rows = ["| kind | files | for | options |", "|---|---|---|---|"]
    for k in EXPORT_KINDS:
        files = " + ".join(f"`{name}`" for name in k.files)
        rows.append(f"| `{k.name}` | {files} | {k.purpose} | {'<br>'.join(map(_describe, k.fields))} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
