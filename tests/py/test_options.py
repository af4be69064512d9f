"""The one options schema (diorama.options): Python's defaults are the schema's, and the page's
module is generated from it."""

from __future__ import annotations

import inspect
import json
import re

import pytest
from diorama import options
from diorama.depthmap import SEED_RECIPE, postprocess_depth


def python_defaults(function) -> dict:
    return {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def test_postprocessing_takes_every_depth_option_by_name_with_the_schemas_default():
    assert python_defaults(postprocess_depth) == options.defaults("depth")


def test_every_option_is_well_formed():
    names = [o.name for o in options.OPTIONS]
    assert len(names) == len(set(names))
    for o in options.OPTIONS:
        assert o.stage in ("depth", "view", "motion", "brush") and o.label
        assert o.hint and len(o.hint) <= 100, f"{o.name}: a short hint for the page, one sentence"
        if o.choices:
            assert o.default in [c.value for c in o.choices]
            for c in o.choices:
                assert set(c.sets) <= set(names) - {o.name}
        elif isinstance(o.default, bool):
            assert o.minimum is None and o.maximum is None
        else:
            assert o.minimum <= o.default <= o.maximum and o.step > 0
            # the default lies on the slider's grid, so the control can show it exactly
            assert (o.default - o.minimum) / o.step == pytest.approx(round((o.default - o.minimum) / o.step))


def test_the_brush_options_name_the_edit_tools():
    from diorama.edits import TOOLS

    assert tuple(c.value for c in options.option("brush_tool").choices) == TOOLS


def test_a_look_sets_the_contrast_it_was_made_with():
    curve = options.option("curve")
    soft = next(c for c in curve.choices if c.value == "soft")
    assert soft.sets == {"contrast": options.option("contrast").default}  # the default look is the defaults
    assert SEED_RECIPE == {"curve": "linear", "contrast": 5.0}


def test_the_javascript_module_declares_the_same_options():
    source = options.to_javascript()
    declared = json.loads(re.search(r"export const OPTIONS = Object.freeze\((.*?)\);\n", source, re.S).group(1))
    assert list(declared) == [o.name for o in options.OPTIONS]
    assert {k: v["default"] for k, v in declared.items()} == options.defaults()
    assert {k: v["hint"] for k, v in declared.items()} == {o.name: o.hint for o in options.OPTIONS}
    assert declared["contrast"]["min"] == 0 and declared["contrast"]["max"] == 5
    render = json.loads(re.search(r"export const RENDER = Object.freeze\((.*?)\);", source).group(1))
    assert render == {"maxShift": options.MAX_SHIFT, "cliff": options.CLIFF}


def test_an_unknown_option_name_is_a_clear_error():
    with pytest.raises(KeyError, match="no option called"):
        options.option("bogus")
