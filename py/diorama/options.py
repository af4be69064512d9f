"""Every option a person can set, declared once, and the renderer's two fixed constants.

The page builds its controls from :data:`OPTIONS` (label, range, default), the worker passes the
values to Python by name, and Python's functions take them under these names with these defaults
(``tests/py/test_options.py`` checks it). ``build.py`` writes this declaration into
``dist/options.js`` (:func:`to_javascript`), the one module the page, the worker and the renderer
import it from.

An option's ``stage`` says who acts on it:

- ``"depth"``: the post-processing of depth (:func:`diorama.depthmap.postprocess_depth`), in Python;
  a change re-runs it in the worker;
- ``"view"``: the renderer, on the page;
- ``"motion"``: idle motion and the motion presets, on the page;
- ``"brush"``: the depth brush (web/ui/depth-brush.js), whose strokes go to Python
  (:meth:`diorama.bridge.Studio.paint`) with these values by name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

__all__ = [
    "CLIFF",
    "MAX_SHIFT",
    "OPTIONS",
    "WORKING_LONG_SIDE",
    "Choice",
    "Option",
    "defaults",
    "option",
    "to_javascript",
]

MAX_SHIFT = 0.04
"""Parallax between depth 0 and 1 at strength 1 and a full view offset, as a fraction of the photo's width."""

WORKING_LONG_SIDE = 2048
"""Photos are worked at this many pixels on their long side at most (:func:`diorama.photo.load_photo`, the worker's
decoders, the depth photos carry): every option's pixel sizes are set for it."""

CLIFF = 0.1
"""A depth jump (depth in [0, 1]) larger than this is an edge between two surfaces, not a slope: the
renderer's march, the layer split and the depth refinement all cut there."""


@dataclass(frozen=True)
class Choice:
    """One value of a choice option; `sets` are other options' values that go with it (a "look")."""

    value: str
    label: str
    sets: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Option:
    """One setting: its keyword `name`, the control's `label`, its `default` and its range.

    A bool default makes a switch; a number default a slider over [minimum, maximum] in `step`s;
    `choices` a list to pick from. `hint` is the short help shown under the control, for someone new to
    depth maps (one sentence, no jargon).
    """

    name: str
    label: str
    default: bool | float | str
    stage: str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[Choice, ...] = ()
    hint: str = ""


OPTIONS: tuple[Option, ...] = (
    Option("invert", "Black = near", False, "depth", hint="Tick it when your depth map draws near things dark."),
    Option(
        "curve",
        "Depth look",
        "soft",
        "depth",
        choices=(
            Choice("soft", "Natural (continuous)", {"contrast": 1.5}),
            Choice("linear", "Seed blog (×5 contrast)", {"contrast": 5.0}),
        ),
        hint="Natural keeps depth continuous; the seed blog's look flattens a photo into a few planes.",
    ),
    Option("contrast", "Depth contrast", 1.5, "depth", 0.0, 5.0, 0.1, hint="How far apart near and far things look."),
    Option(
        "smoothing",
        "Depth smoothing",
        1.0,
        "depth",
        0.0,
        4.0,
        0.25,
        hint="Softens the depth: fewer ripples, rounder edges.",
    ),
    Option("strength", "Strength", 0.5, "view", 0.0, 1.0, 0.05, hint="How much the view moves as you look around."),
    Option(
        "renderer",
        "Renderer",
        "layered",
        "view",
        choices=(
            Choice("layered", "Layered (clean edges)"),
            Choice("displacement", "Displacement"),
            Choice("classic", "Classic (seed blog)"),
        ),
        hint="Layered fills in behind near things; the others stretch the photo.",
    ),
    Option("idle_motion", "Idle motion", True, "motion", hint="The photo sways by itself when you leave it alone."),
    Option(
        "preset",
        "Preset",
        "",
        "motion",
        choices=(
            Choice("", "None"),
            Choice("circle", "Circle"),
            Choice("horizontal swing", "Horizontal swing"),
            Choice("vertical swing", "Vertical swing"),
            Choice("zoom", "Zoom"),
            Choice("dolly zoom", "Dolly zoom"),
        ),
        hint="A camera move that loops; Export video records it.",
    ),
    Option("amplitude", "Amplitude", 0.8, "motion", 0.1, 1.0, 0.05, hint="How wide the preset's camera move is."),
    Option("loop_seconds", "Loop (s)", 4.0, "motion", 2.0, 8.0, 2.0, hint="How long one loop of the preset takes."),
    Option(
        "show_depth",
        "Show depth map",
        False,
        "view",
        hint="Lays the depth over the photo: dark violet = far, yellow = near.",
    ),
    Option(
        "depth_split",
        "Depth map covers",
        0.5,
        "view",
        0.0,
        1.0,
        0.05,
        hint="How much of the photo the depth map covers.",
    ),
    Option(
        "brush_tool",
        "Tool",
        "nearer",
        "brush",
        choices=(
            Choice("nearer", "Nearer"),
            Choice("farther", "Farther"),
            Choice("smooth", "Smooth"),
            Choice("flatten", "Flatten (to the depth where you start)"),
            Choice("pop out", "Pop out (tap a subject)"),
        ),
        hint="What a stroke does to the depth under the brush.",
    ),
    Option(
        "brush_size",
        "Brush size",
        8.0,
        "brush",
        1.0,
        30.0,
        1.0,
        hint="The brush's width, in percent of the photo's long side.",
    ),
    Option(
        "brush_strength", "Brush strength", 0.5, "brush", 0.05, 1.0, 0.05, hint="How much one stroke changes the depth."
    ),
)


def option(name: str) -> Option:
    """The declaration of the option called `name`."""
    for o in OPTIONS:
        if o.name == name:
            return o
    raise KeyError(f"no option called {name!r}; the options are {[o.name for o in OPTIONS]}")


def defaults(stage: str | None = None) -> dict:
    """The default value of every option (of one `stage`), by name.

    Examples
    --------
    >>> defaults("depth")
    {'invert': False, 'curve': 'soft', 'contrast': 1.5, 'smoothing': 1.0}
    """
    return {o.name: o.default for o in OPTIONS if stage is None or o.stage == stage}


def _declaration(option: Option) -> dict:
    out = {
        "name": option.name,
        "label": option.label,
        "default": option.default,
        "stage": option.stage,
        "hint": option.hint,
    }
    if option.choices:
        out["choices"] = [{"value": c.value, "label": c.label, "sets": c.sets} for c in option.choices]
    elif not isinstance(option.default, bool):
        out.update(min=option.minimum, max=option.maximum, step=option.step)
    return out


def to_javascript() -> str:
    """The ES module ``dist/options.js``: ``OPTIONS`` (by name, in display order) and ``RENDER``."""
    options = {o.name: _declaration(o) for o in OPTIONS}
    render = {"maxShift": MAX_SHIFT, "cliff": CLIFF}
    return (
        "// Generated by build.py from py/diorama/options.py: edit that file, not this one.\n"
        f"export const OPTIONS = Object.freeze({json.dumps(options, ensure_ascii=False, indent=1)});\n"
        f"export const RENDER = Object.freeze({json.dumps(render)});\n"
    )
