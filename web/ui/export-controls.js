// The export buttons (#export-video, #export-depth, #export-facebook, #export-gdepth): downloads made in the
// page (ui/export.js) or by the worker (gdepthJpeg: the photo as one JPEG carrying its depth). A button says
// "Exporting…" and is disabled while its export runs; a failure goes to onError, and the app stays as it was.
import { depthPng, download, facebookPair, recordLoop } from './export.js';

/**
 * @param {{viewer: object, presets: ReturnType<import('./preset-player.js').createPresetPlayer>,
 *          readPreset: () => {name: string, amplitude: number, seconds: number}, gdepthJpeg: () => Promise<Blob>,
 *          onError: (message: string) => void}} parts
 */
export function attachExportControls({ viewer, presets, readPreset, gdepthJpeg, onError }) {
  const $ = (id) => document.getElementById(id);

  async function busy(button, work) {
    if (!button || button.disabled) return;
    const label = button.textContent;
    button.disabled = true;
    button.textContent = 'Exporting…';
    try {
      await work();
    } catch (err) {
      console.warn('diorama: export failed:', err);
      onError(`Export failed: ${err.message}`);
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  const exports = {
    'export-video': async () => {
      if (!viewer.shown) return;
      const { name, amplitude, seconds } = readPreset();
      const playing = presets.current;
      presets.stop(); // the recording drives the view itself
      try {
        download(await recordLoop(viewer, { preset: name || 'circle', amplitude, seconds }), 'diorama.webm');
      } finally {
        if (playing) presets.play(playing.name, playing);
      }
    },
    'export-depth': async () => {
      if (viewer.shown?.depth) download(await depthPng(viewer.shown.depth), 'photo_depth.png');
    },
    'export-facebook': async () => {
      if (!viewer.shown?.depth) return;
      const pair = await facebookPair(viewer.shown);
      download(pair.photo, 'photo.jpg');
      download(pair.depth, 'photo_depth.png');
    },
    'export-gdepth': async () => {
      if (viewer.shown?.depth) download(await gdepthJpeg(), 'photo_3d.jpg');
    },
  };
  for (const [id, work] of Object.entries(exports)) $(id)?.addEventListener('click', () => busy($(id), work));
}
