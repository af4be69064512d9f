// The Export section (#export): a kind (#export-kind), the fields that kind takes (each field's label names its
// kinds in data-kinds; the others are hidden and not read), one Export button (#export-run), and while an export
// runs its progress (#export-progress) and a Cancel button (#export-cancel). It makes the kind through the one
// export API (export/index.js) and hands the files to the browser as downloads, then offers them to the Share sheet
// where the browser can share them ("Share…", #export-share: ui/share-out.js); a failure goes to onError and the
// app stays as it was (a success goes to onDone); a cancel is no failure.
import { download } from './export.js';
import { attachShareButton } from './share-out.js';

/**
 * @param {{exportPhoto: (kind: string, options: object, control: {signal, onProgress}) => Promise<object>,
 *          onError: (message: string) => void, onDone: () => void}} parts
 */
export function attachExportControls({ exportPhoto, onError, onDone }) {
  const $ = (id) => document.getElementById(id);
  const section = $('export');
  const kind = $('export-kind');
  const run = $('export-run');
  const progress = $('export-progress');
  const cancel = $('export-cancel');
  const fields = [...section.querySelectorAll('[data-kinds]')];
  const share = attachShareButton($('export-share'), { onError });
  let controller = null;

  const showFields = () => {
    for (const label of fields) label.hidden = !label.dataset.kinds.split(' ').includes(kind.value);
  };

  // the shown fields' values by name: the exporter checks and converts them (export/frames.js choice, number)
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
