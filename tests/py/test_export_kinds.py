"""The export kinds' one declaration (diorama.export_kinds): well formed, the motion fields are the page's motion
options, the page's module and the docs' table are made from it. tests/web/test_export_kinds.py holds the Export
form and the exporters to it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from diorama import export_kinds, options
from diorama.export_kinds import EXPORT_KINDS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "exports.md"


def test_every_kind_and_field_is_well_formed():
    names = [k.name for k in EXPORT_KINDS]
    assert len(names) == len(set(names))
    for kind in EXPORT_KINDS:
        assert kind.label and kind.files and kind.purpose
        fields = [f.name for f in kind.fields]
        assert len(fields) == len(set(fields)), kind.name
        for name in (n for file in kind.files for n in re.findall(r"\{(\w+)\}", file)):
            assert name == "ext" and "format" in fields or name in fields, (kind.name, name)
        for f in kind.fields:
            assert f.label and f.hint and len(f.hint) <= 100, (kind.name, f.name)
            if f.choices:
                assert f.default in [c.value for c in f.choices] and f.minimum is None and not f.offered
            else:
                assert f.minimum <= f.default <= f.maximum and f.step > 0, (kind.name, f.name)
                assert all(f.minimum <= v <= f.maximum for v in f.offered) and f.default in (f.offered or [f.default])
                assert f.control in ("", "range", "number"), (kind.name, f.name)
                # a form field is a slider, a number box or a list of offered values; code-only fields have none
                assert (bool(f.offered) != bool(f.control)) if f.in_form else not (f.offered or f.control)


def test_the_motion_fields_are_the_pages_motion_options():
    mp4 = {f.name: f for f in export_kinds.kind("mp4").fields}
    assert [c.value for c in mp4["preset"].choices] == [c.value for c in options.option("preset").choices if c.value]
    assert (mp4["amplitude"].default, mp4["seconds"].default) == (
        options.option("amplitude").default,
        options.option("loop_seconds").default,
    )
    for f in (mp4["preset"], mp4["amplitude"], mp4["seconds"]):
        assert options.option(f.page).stage == "motion"
        page = options.option(f.page)
        if not f.choices:  # every value the page's control can set is one the export takes
            assert f.minimum <= page.minimum and page.maximum <= f.maximum


def test_the_javascript_module_declares_the_same_kinds():
    source = export_kinds.to_javascript()
    declared = json.loads(re.search(r"export const EXPORT_KINDS = Object.freeze\((.*?)\);\n", source, re.S).group(1))
    assert list(declared) == [k.name for k in EXPORT_KINDS]
    for kind in EXPORT_KINDS:
        fields = declared[kind.name]["fields"]
        assert list(fields) == [f.name for f in kind.fields]
        assert {n: v["default"] for n, v in fields.items()} == {f.name: f.default for f in kind.fields}
        assert {n: v["inForm"] for n, v in fields.items()} == {f.name: f.in_form for f in kind.fields}
    # the video's size choices and the page's boxes for them (frames.js fits the frames in these)
    boxes = json.loads(re.search(r"export const VIDEO_BOXES = Object.freeze\((.*?)\);\n", source).group(1))
    sizes = [c["value"] for c in declared["mp4"]["fields"]["size"]["choices"]]
    assert list(boxes) == sizes == ["1080p", "4k"]
    assert boxes["4k"] == {"long": 3840, "short": 2160}


def test_the_docs_table_is_the_declaration():
    table = export_kinds.markdown_table()
    assert table in DOCS.read_text(encoding="utf-8"), (
        "docs/exports.md's table of kinds is not the declaration's: paste `python -m diorama.export_kinds` (from py/)"
    )
    for kind in EXPORT_KINDS:
        row = next(line for line in table.splitlines() if line.startswith(f"| `{kind.name}` |"))
        for f in kind.fields:
            assert f"`{f.name}`" in row, (kind.name, f.name)
