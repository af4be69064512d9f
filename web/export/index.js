// The one export API: every output is a kind here, made from the photo on screen with its current depth,
// settings and motion preset; the buttons and `window.diorama.export(kind, options)` both call exportPhoto.
//
//   const {name, blob} = await exportPhoto('depth', {}, context);
//
// Each exporter is `async (context, options) => {name, blob}` (or a list of them, e.g. the Facebook pair), where
// context = {viewer, flow, presets, pageOption, signal, onProgress}: viewer.shown holds the photo, its display
// depth texels and its layers; flow reaches the worker (e.g. flow.gdepthJpeg()); pageOption(name) is the page's
// option of that name (options.py: the motion controls); signal (AbortSignal) cancels; onProgress(fraction) reports
// progress. The options an exporter gets are checked and complete: every field its kind declares (kinds.js).
// The exporters' modules are imported on the first export of their kind: the video muxer alone (mediabunny) is
// 0.7 MB, which the page's first frame and Python's start must not wait for.
import { checkOptions, fileName } from './kinds.js';

const from = (module, name) => async (context, options) => (await module())[name](context, options);
const video = () => import('./video.js');
const stereo = () => import('./stereo.js');
const depthMaps = () => import('./depth.js');

// one exporter per kind of EXPORT_KINDS (options.js; tests/web/test_export_kinds.py holds the two lists equal)
export const EXPORTERS = {
  mp4: from(video, 'mp4'),
  webm: from(video, 'webm'),
  gif: from(() => import('./gif.js'), 'gif'),
  sbs: from(stereo, 'sbs'),
  anaglyph: from(stereo, 'anaglyph'),
  wiggle: from(stereo, 'wiggle'),
  png: from(() => import('./still.js'), 'png'),
  depth: from(depthMaps, 'depth'),
  facebook: from(depthMaps, 'facebook'),
  gdepth: async ({ flow }, options) => ({ name: fileName('gdepth', options), blob: await flow.gdepthJpeg() }),
  glb: from(() => import('./glb.js'), 'default'),
  html: from(() => import('./html.js'), 'default'),
};

/**
 * Make one export of the photo on screen.
 * @param {string} kind  a key of EXPORTERS
 * @param {object} options  the kind's fields by name (EXPORT_KINDS); refused with a TypeError that names a bad one
 * @param {object} context  {viewer, flow, presets, pageOption, signal?, onProgress?}
 * @returns {Promise<{name: string, blob: Blob} | {name: string, blob: Blob}[]>}
 */
export async function exportPhoto(kind, options, context) {
  const exporter = EXPORTERS[kind];
  if (!exporter) throw new TypeError(`Unknown export "${kind}": one of ${Object.keys(EXPORTERS).join(', ')}.`);
  const checked = checkOptions(kind, options || {}, context.pageOption);
  if (!context.viewer.shown?.depth) throw new Error('No photo is shown yet.');
  return exporter({ onProgress: () => {}, ...context }, checked);
}
