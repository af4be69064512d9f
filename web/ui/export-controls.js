// The Export section (#export): a kind (#export-kind), the fields that kind takes, one Export button (#export-run),
// and while an export runs its progress (#export-progress) and a Cancel button (#export-cancel). The kinds and their
// fields are built from their one declaration (EXPORT_KINDS in options.js, py/diorama/export_kinds.py): a field
// that several kinds declare alike is one control, its label naming those kinds in data-kinds; the chosen kind's
// fields show, the others are hidden and not read. It makes the kind through the one export API (export/index.js),
// which checks the values, and hands the files to the browser as downloads, then offers them to the Share sheet
// where the browser can share them ("Share…", #export-share: ui/share-out.js); a failure goes to onError and the
// app stays as it was (a success goes to onDone); a cancel is no failure.
import { EXPORT_KINDS } from '../options.js';
import { download } from './export.js';
import { attachShareButton } from './share-out.js';

/** The control of one declared field, showing its default. */
function fieldControl(field) {
  const control = document.createElement(field.choices || field.control === 'select' ? 'select' : 'input');
  control.name = field.name;
  if (control.tagName === 'SELECT') {
    const values = field.choices ?? field.offered.map((value) => ({ value, label: String(value) }));
    for (const { value, label } of values) control.add(new Option(label, value, false, value === field.default));
  } else {
    Object.assign(control, { type: field.control, min: field.min, max: field.max, step: field.step });
    control.value = field.default;
  }
  return control;
}

/**
 * A label per distinct form field of the kinds (data-kinds: the kinds that take it), in an order that shows each
 * kind's fields in its declaration's order.
 */
function buildFields() {
  const labels = new Map(); // the field's declaration as JSON -> its label
  const order = [];
  for (const kind of Object.values(EXPORT_KINDS)) {
    const keys = Object.values(kind.fields).filter((f) => f.inForm).map((field) => [JSON.stringify(field), field]);
    let previous = null;
    keys.forEach(([key, field], i) => {
      if (!labels.has(key)) {
        const label = document.createElement('label');
        label.title = field.hint;
        label.dataset.kinds = '';
        label.append(`${field.label} `, fieldControl(field));
        labels.set(key, label);
        // after the kind's field before it, else before its next field already placed, else last
        const next = keys.slice(i + 1).map(([k]) => labels.get(k)).find(Boolean);
        const at = previous ? order.indexOf(previous) + 1 : next ? order.indexOf(next) : order.length;
        order.splice(at, 0, label);
      }
      previous = labels.get(key);
      previous.dataset.kinds = `${previous.dataset.kinds} ${kind.name}`.trim();
    });
  }
  return order;
}

/**
 * @param {{exportPhoto: (kind: string, options: object, control: {signal, onProgress}) => Promise<object>,
 *          onError: (message: string) => void, onDone: () => void}} parts
 */
export function attachExportControls({ exportPhoto, onError, onDone }) {
  const $ = (id) => document.getElementById(id);
  const kind = $('export-kind');
  const run = $('export-run');
  const progress = $('export-progress');
  const cancel = $('export-cancel');
  for (const { name, label } of Object.values(EXPORT_KINDS)) kind.add(new Option(label, name));
  const fields = buildFields();
  run.before(...fields);
  const share = attachShareButton($('export-share'), { onError });
  let controller = null;

  const showFields = () => {
    for (const label of fields) label.hidden = !label.dataset.kinds.split(' ').includes(kind.value);
  };

  // the shown fields' values by name: the export API checks and converts them (export/kinds.js)
  const readOptions = () => Object.fromEntries(fields.filter((label) => !label.hidden)
    .map((label) => label.querySelector('[name]')).map((input) => [input.name, input.value]));

  function running(on) {
    run.disabled = kind.disabled = on;
    run.textContent = on ? 'Exporting…' : 'Export';
    progress.hidden = cancel.hidden = !on;
    progress.value = 0;
  }

  async function save() {
    if (controller) return;
    controller = new AbortController();
    share.withdraw();
    running(true);
    try {
      const made = await exportPhoto(kind.value, readOptions(),
        { signal: controller.signal, onProgress: (fraction) => { progress.value = fraction; } });
      for (const { name, blob } of [made].flat()) download(blob, name);
      share.offer([made].flat());
      onDone();
    } catch (err) {
      if (err.name !== 'AbortError') {
        console.warn('diorama: export failed:', err);
        onError(`Export failed: ${err.message}`);
      }
    } finally {
      controller = null;
      running(false);
    }
  }

  kind.addEventListener('change', showFields);
  run.addEventListener('click', save);
  cancel.addEventListener('click', () => controller?.abort());
  showFields();
}
