// The export buttons (#export-video, #export-depth, #export-facebook, #export-gdepth): each makes its kind through
// the one export API (export/index.js) and hands the files to the browser as downloads. A button says "Exporting…"
// and is disabled while its export runs; a failure goes to onError, and the app stays as it was; a success to onDone.
import { download } from './export.js';

/**
 * @param {{exportPhoto: (kind: string, options?: object) => Promise<object>, presets: object,
 *          onError: (message: string) => void, onDone: () => void}} parts
 */
export function attachExportControls({ exportPhoto, presets, onError, onDone }) {
  const $ = (id) => document.getElementById(id);

  async function busy(button, work) {
    if (!button || button.disabled) return;
    const label = button.textContent;
    button.disabled = true;
    button.textContent = 'Exporting…';
    try {
      await work();
      onDone();
    } catch (err) {
      console.warn('diorama: export failed:', err);
      onError(`Export failed: ${err.message}`);
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  async function save(kind) {
    const playing = presets.current;
    presets.stop(); // a motion export drives the view itself
    try {
      for (const { name, blob } of [await exportPhoto(kind)].flat()) download(blob, name);
    } finally {
      if (playing) presets.play(playing.name, playing);
    }
  }

  const kinds = { 'export-video': 'webm', 'export-depth': 'depth', 'export-facebook': 'facebook', 'export-gdepth': 'gdepth' };
  for (const [id, kind] of Object.entries(kinds)) $(id)?.addEventListener('click', () => busy($(id), () => save(kind)));
}
