"""The Export form and the exporters hold to the one declaration of the export kinds (EXPORT_KINDS in options.js,
py/diorama/export_kinds.py): the form shows every form field of every kind, whatever is set in the form reaches
the kind's exporter, and the depth map PNGs are the CLI's grey PNGs."""

from __future__ import annotations

import base64
import io

import numpy as np
from diorama.cli import main
from diorama.depthmap import depth_to_uint8
from diorama.export_kinds import EXPORT_KINDS
from PIL import Image

from .support import open_files, photo_with_depth

# Each exporter replaced by one that records the options it is given (and makes no file): what the form sends,
# through the export API's checks, is what an exporter would use.
RECORD = """async () => {
  const { EXPORTERS } = await import(new URL('export/index.js', location.href).href);
  window.received = [];
  for (const kind of Object.keys(EXPORTERS)) {
    EXPORTERS[kind] = async (context, options) => { window.received.push({ kind, options }); return []; };
  }
}"""

# The form as a person sees it, for the chosen kind: the kinds offered and the shown fields with their controls.
FORM = """() => {
  const shown = [...document.querySelectorAll('#export label[data-kinds]')].filter((label) => !label.hidden);
  return {
    kinds: [...document.getElementById('export-kind').options].map((o) => [o.value, o.textContent]),
    fields: shown.map((label) => {
      const c = label.querySelector('[name]');
      return { name: c.name, label: label.textContent.trim(), tag: c.tagName.toLowerCase(), type: c.type,
               min: c.min, max: c.max, value: c.value, options: c.options ? [...c.options].map((o) => o.value) : null };
    }),
  };
}"""


def form_fields(kind):
    return [f for f in kind.fields if f.in_form]


def test_the_export_form_offers_every_kind_and_every_form_field_as_declared(app):
    exporters = app.evaluate("""async () => Object.keys((await import(new URL('export/index.js', location.href).href))
        .EXPORTERS)""")
    assert sorted(exporters) == sorted(k.name for k in EXPORT_KINDS), "one exporter per declared kind"
    for kind in EXPORT_KINDS:
        app.select_option("#export-kind", kind.name)
        form = app.evaluate(FORM)
        assert form["kinds"] == [[k.name, k.label] for k in EXPORT_KINDS]
        assert [f["name"] for f in form["fields"]] == [f.name for f in form_fields(kind)], kind.name
        for field, shown in zip(form_fields(kind), form["fields"]):
            assert shown["label"].startswith(field.label), (kind.name, field.name)
            if field.choices or field.offered:
                values = [str(c.value) for c in field.choices] or [str(v) for v in field.offered]
                assert shown["tag"] == "select" and shown["options"] == values, (kind.name, field.name)
            else:
                assert shown["type"] == field.control, (kind.name, field.name)
                assert (float(shown["min"]), float(shown["max"])) == (field.minimum, field.maximum)
            assert (
                float(shown["value"]) == field.default
                if isinstance(field.default, float)
                else shown["value"] == str(field.default)
            ), (kind.name, field.name)


def test_every_declared_field_is_checked_before_its_exporter_runs(app):
    """window.diorama.export (and the form through it) refuses a bad value of any field, or a field the kind does not
    take, naming it; nothing is made."""
    app.evaluate(RECORD)
    for kind in EXPORT_KINDS:
        cases = [({"nonsense": 1}, f"{kind.name} takes no option nonsense")]
        for f in kind.fields:
            bad = "nonsense" if f.choices else f.maximum + 1
            cases.append(
                (
                    {f.name: bad},
                    f"{f.name} must be " + ("one of" if f.choices else f"a number from {f.minimum:g} to {f.maximum:g}"),
                )
            )
        for options, message in cases:
            error = app.evaluate(
                """async ([kind, options]) => {
                try { await window.diorama.export(kind, options); return null; } catch (err) { return err.message; }
            }""",
                [kind.name, options],
            )
            assert error and message in error, (kind.name, options, error)
    assert app.evaluate("() => window.received.length") == 0


def other_value(field) -> str:
    """A value of the field other than its default, as the form holds it."""
    values = [c.value for c in field.choices] or list(field.offered)
    if values:
        return str(next(v for v in values if v != field.default))
    return str(field.maximum if field.default != field.maximum else field.minimum)


def test_every_field_set_in_the_form_reaches_its_exporter(app):
    """Item 9 of issue 26: the form's options read as {} (or the page's motion controls left out) fails here."""
    app.evaluate(RECORD)
    # the loop of the motion kinds is the page's motion controls: a preset, its amplitude, the loop's length
    app.select_option("#preset", "zoom")
    app.evaluate("""() => { for (const [id, v] of [['amplitude', '0.5'], ['loop_seconds', '6']]) {
        const input = document.getElementById(id); input.value = v; input.dispatchEvent(new Event('input')); } }""")
    page_motion = {"preset": "zoom", "amplitude": 0.5, "seconds": 6}
    for kind in EXPORT_KINDS:
        app.select_option("#export-kind", kind.name)
        expected = {f.name: f.default for f in kind.fields}
        for field in form_fields(kind):
            value = other_value(field)
            app.locator(f"#export label:not([hidden]) [name={field.name}]").evaluate(
                "(c, v) => { c.value = v; c.dispatchEvent(new Event('change')); }", value
            )
            expected[field.name] = value if field.choices and isinstance(field.default, str) else float(value)
        expected.update({name: v for name, v in page_motion.items() if name in expected})
        count = app.evaluate("() => window.received.length")
        app.click("#export-run")
        app.wait_for_function("(n) => window.received.length > n", arg=count, timeout=10_000)
        received = app.evaluate("() => window.received.at(-1)")
        assert received["kind"] == kind.name
        assert received["options"] == expected, kind.name
    assert app.is_hidden("#alert")


def png_bytes(page, kind: str) -> list[tuple[str, bytes]]:
    files = page.evaluate(
        """async (kind) => {
        const made = [await window.diorama.export(kind)].flat();
        return Promise.all(made.map(async ({ name, blob }) => {
            const bytes = new Uint8Array(await blob.arrayBuffer());
            let s = '';
            for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
            return [name, btoa(s)];
        }));
    }""",
        kind,
    )
    return [(name, base64.b64decode(data)) for name, data in files]


def test_the_depth_pngs_are_the_clis_grey_pngs_of_the_display_depth(app, tmp_path):
    photo, depth = photo_with_depth(640, 480)
    assert open_files(app, [photo, depth]) == "shown"
    # the CLI's path: `diorama depth --display` on a folder of the same photo and depth map (at the defaults)
    for f in (photo, depth):
        (tmp_path / f["name"]).write_bytes(f["buffer"])
    assert main(["depth", str(tmp_path), "-o", str(tmp_path / "cli"), "--display", "-j", "1"]) == 0
    cli = np.asarray(Image.open(tmp_path / "cli" / "room_depth.png"))

    ((name, data),) = png_bytes(app, "depth")
    exported = Image.open(io.BytesIO(data))
    assert name == "photo_depth.png" and exported.mode == "I;16" and exported.size == (640, 480)
    assert np.array_equal(np.asarray(exported), cli)

    (photo_name, photo_data), (depth_name, depth_data) = png_bytes(app, "facebook")
    assert (photo_name, depth_name) == ("photo.jpg", "photo_depth.png")
    assert Image.open(io.BytesIO(photo_data)).format == "JPEG" and Image.open(io.BytesIO(photo_data)).size == (640, 480)
    pair_depth = Image.open(io.BytesIO(depth_data))
    assert pair_depth.mode == "L" and pair_depth.size == (640, 480)
    assert np.array_equal(np.asarray(pair_depth), depth_to_uint8(cli.astype(np.float32) / 65535))
