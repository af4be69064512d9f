// UI thread: wires the page, the pipeline worker and the viewer. Heavy work never runs here.
//
// A photo's data flows one way: the UI hands files to the photo flow (photo-flow.js), which asks the
// worker (worker/), whose Python (py/diorama) answers in parts; the flow hands each part to the viewer
// (render/). Option controls are built from the one schema (options.js, ui/option-controls.js); each
// other control is its own module talking to the viewer or the motion controller through their APIs.
import { PipelineClient } from './worker/client.js';
import { PipelineError, ERRORS, TEST_OPS } from './worker/protocol.js';
import { PhotoFlow, isAbort } from './photo-flow.js';
import { attachMotion, tiltOffered } from './motion.js';
import { buildOptionControls } from './ui/option-controls.js';
import { attachClickToFocus } from './ui/focus.js';
import { createPresetPlayer } from './ui/preset-player.js';
import { attachExportControls } from './ui/export-controls.js';
import { attachDepthBrush } from './ui/depth-brush.js';
import { attachDepthView } from './ui/depth-view.js';
import { attachHoldToCompare } from './ui/compare.js';
import { receiveFiles } from './ui/share-in.js';
import { exportPhoto } from './export/index.js';
import { depthValues } from './render/depth-texels.js';
import { photoShownOrIdle, registerServiceWorker } from './sw-register.js';
import { keepFetchedFiles } from './fetched-files.js';

keepFetchedFiles(); // a first visit's precache takes them instead of downloading them again
const $ = (id) => document.getElementById(id);
// The last open's trace (ms): read (the files' bytes), queued (waiting in the worker for earlier work),
// decode, depth = source + model + postprocess (worker), show (textures made and uploaded), frame (the next
// frame drawn), firstFrame (open() to that frame: the rest is messages and transfers), layers (open() or a
// depth setting to the clean-edge view on screen; layersWorker: the worker's part of it).
const timings = { boot: null, bootSteps: null, read: null, queued: null, decode: null, depth: null, source: null, model: null,
  postprocess: null, show: null, frame: null, firstFrame: null, layers: null, layersWorker: null };
let xr = null; // the WebXR view's state (xr/offer.js), once its module is in
let layersAsked = 0; // when the depth the layers are for was asked for (performance.now(); 0: the sample, at load)
let workerReady = false; // whether the image worker has started

// <body data-state> says what a person sees: 'error' (the error banner), 'working' (a photo they asked for being
// opened), 'shown' (a photo on screen), else 'ready' or 'booting' (whether the image worker has started). Derived
// from those facts each time one of them changes, never set on its own.
function showState() {
  document.body.dataset.state = !$('alert').hidden ? 'error' : flow?.opening ? 'working' : flow?.shown ? 'shown'
    : workerReady ? 'ready' : 'booting';
}

let alertAction = null; // what the alert's action button does, when it has one

// An error in plain words, until dismissed or the next action that works (a photo shown, an option applied, an
// export done). `action` ({label, run}) offers a way on, e.g. showing a lone depth map as a photo anyway.
function showError(message, action = null) {
  $('alert-text').textContent = message;
  $('alert-action').hidden = !action;
  $('alert-action').textContent = action?.label ?? '';
  alertAction = action?.run ?? null;
  $('alert').hidden = false;
  showState();
}

// The one way the page reports a failed request: nothing for one given up (a newer one replaced it); a
// PipelineError's message as it is (a sentence for people); anything else is a bug of the page, said so.
function reportError(err) {
  if (isAbort(err)) return;
  showError(err instanceof PipelineError ? err.message : `Something went wrong: ${err.message}`);
}

// Where the depth on screen came from, in words, with the note when the photo's own depth could not be used.
function showDepthSource({ source, label, note }) {
  const from = { file: `Depth from your depth map (${options.value('invert') ? 'black' : 'white'} = near)`,
    embedded: `Depth from the photo (${label})`,
    stereo: 'Depth measured from the stereo pair', model: 'Depth estimated from the photo' }[source];
  $('depth-source').textContent = note ? `${from}. ${note}` : from;
}

// Hidden, not emptied: its last words stay readable (tests compare them) until the next error replaces them.
function clearError() {
  $('alert').hidden = true;
  alertAction = null;
  showState();
}

$('alert-dismiss').addEventListener('click', () => { clearError(); $('stage').focus(); });
$('alert-action').addEventListener('click', () => { const run = alertAction; clearError(); run?.(); });
// The bottom sheet of controls on narrow screens (style.css); on wide ones the toggle is not shown.
$('sheet-toggle').addEventListener('click', () => {
  const expanded = $('panel').classList.toggle('open');
  $('sheet-toggle').setAttribute('aria-expanded', String(expanded));
});

function showProgress({ text, fraction }) {
  $('status-text').textContent = text;
  if (fraction == null) $('progress').removeAttribute('value');
  else $('progress').value = fraction;
}

// The layers' state on the renderer control, for people's tools and tests: data-layers = none |
// working | ready | failed, data-layers-ms = the worker's time for the last layers. <body data-layers> is the
// page's signal: 'pending' from a drop (or a depth setting) until that photo's clean-edge view is on screen,
// then 'ready' ('failed': shown without layers).
function markLayers(state, ms) {
  holdStill(state === 'working');
  const select = $('renderer');
  select.dataset.layers = state;
  document.body.dataset.layers = state === 'working' ? 'pending' : state;
  if (ms !== undefined) select.dataset.layersMs = String(Math.round(ms));
  if (state === 'ready') Object.assign(timings, { layers: performance.now() - layersAsked, layersWorker: ms });
}

// The view holds still (no idle motion) while the photo on screen is being prepared, from an open or a depth
// setting until its clean-edge view is on screen or has failed: the idle motion's frames would compete with the
// preparation for the device (with software WebGL they add 0.8 s to a 12 MP photo's clean-edge view, see
// BENCHMARKS.md), and a new photo appears still, its idle motion fading in after.
let releaseHold = null;
function holdStill(hold) {
  if (hold) {
    releaseHold ??= motion?.suspendIdle() ?? null;
  } else {
    releaseHold?.();
    releaseHold = null;
  }
}

const options = buildOptionControls($('controls'), $('export'),
  { brush: $('brush-options'), show_depth: $('depth-tools'), depth_split: $('depth-tools') });
let flow = null; // the photo flow, once the viewer exists
let exportShown = null; // (kind, options, {signal, onProgress}) => the export of the photo on screen (export/index.js)
const client = new PipelineClient({
  onProgress(progress) {
    if (progress.stage === 'failed') showError(`diorama could not start: ${progress.text}`);
    else showProgress(progress);
    if (progress.stage === 'ready') {
      timings.bootSteps = progress.bootSteps;
      workerReady = true;
      showState();
    }
  },
  onCrash(message) {
    showError(message);
    flow?.recover();
  },
  onReplaced() {
    flow?.recover(); // the new worker gets the photo on screen: nothing changes for the person
  },
});

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

let viewer;
let motion;
let depthView; // the depth map over the photo (ui/depth-view.js)
let brush; // the depth brush (ui/depth-brush.js)
let settledOpens = 0; // how many open() calls have finished: shown, failed or replaced by a newer one

// Opens files (a photo, optionally with its depth map). Resolves when shown; rejects on error after
// showing it, while the previous photo stays on screen (silently when a newer photo replaced it).
// A lone image that looks like a depth map is refused with an offer to show it as a photo (`asPhoto`).
async function open(files, { asPhoto = false } = {}) {
  const started = performance.now();
  layersAsked = started;
  Object.assign(timings, { layers: null, layersWorker: null }); // this photo's, once its clean-edge view is on screen
  const layersBefore = $('renderer').dataset.layers; // the shown photo's, should this open fail
  const opening = flow.open(files, { asPhoto });
  clearError(); // and the page says 'working' (flow.opening)
  markLayers('working');
  showProgress({ text: 'Reading the photo…', fraction: null });
  try {
    const shown = await opening;
    const framed = performance.now();
    await nextFrame();
    // A newer open may have started during that frame: the page is 'working' on it, or shows its error.
    if (flow.isLatest(shown.photoId)) {
      Object.assign(timings, shown.timings, { frame: performance.now() - framed, firstFrame: performance.now() - started });
      clearError();
      showDepthSource(shown);
    }
    return { width: shown.width, height: shown.height, depthSource: shown.source, format: shown.format };
  } catch (err) {
    if (err.code === ERRORS.depthMapAlone) {
      showError(err.message, { label: 'Show it as a photo anyway', run: () => open(files, { asPhoto: true }).catch(() => {}) });
    } else {
      reportError(err);
    }
    if (!isAbort(err)) keepShownLayers(layersBefore); // (an abort: a newer open is under way)
    throw err;
  } finally {
    settledOpens += 1;
    showState();
  }
}

// After a failed open the photo still on screen keeps its clean-edge view: the layers it had, or, when this open
// stopped them half way, its layers asked for again (the open's error stays on screen meanwhile).
function keepShownLayers(layersBefore) {
  if (layersBefore === 'working' && flow.shown) {
    layersAsked = performance.now();
    flow.adjust().catch(() => {}); // superseded, or failed: its layers part says so
  } else {
    markLayers(layersBefore ?? 'none');
  }
}

function adjustDepth() {
  layersAsked = performance.now();
  flow.adjust().then(clearError, reportError);
}

function wireInputs(presets) {
  const playPreset = () => presets.play(options.value('preset'),
    { amplitude: options.value('amplitude'), seconds: options.value('loop_seconds') });
  const onOption = {
    depth: adjustDepth,
    strength: (value) => viewer.setStrength(value),
    renderer: (value) => viewer.setRenderer(value),
    idle_motion: (value) => motion.setAutoMotion(value),
    preset: playPreset,
    amplitude: () => presets.current && playPreset(),
    loop_seconds: () => presets.current && playPreset(),
    show_depth: () => depthView.set(options.value('show_depth'), options.value('depth_split')),
    depth_split: () => depthView.set(options.value('show_depth'), options.value('depth_split')),
    brush: () => {}, // read by the brush at each stroke
  };
  options.onChange((name, value, stage) => {
    (onOption[name] ?? onOption[stage])(value);
    if (stage !== 'depth') clearError(); // a depth option clears it once applied (adjustDepth)
  });
  attachHoldToCompare({ button: $('compare'), viewer, strength: () => options.value('strength') });

  $('file').addEventListener('change', (event) => {
    const files = [...event.target.files];
    event.target.value = '';
    if (files.length) open(files).catch(() => {});
  });
  document.addEventListener('dragover', (event) => { event.preventDefault(); document.body.classList.add('dragging'); });
  document.addEventListener('dragleave', (event) => { if (!event.relatedTarget) document.body.classList.remove('dragging'); });
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    document.body.classList.remove('dragging');
    const files = [...(event.dataTransfer?.files || [])];
    if (files.length) open(files).catch(() => {});
  });
  document.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files || [])];
    if (files.length) { event.preventDefault(); open(files).catch(() => {}); }
  });
  $('tilt').hidden = !tiltOffered();
  $('tilt').addEventListener('click', () => motion.enableTilt()); // its outcome arrives in showTiltState
}

// Tilt's state in words next to its button; the button goes once tilt is on or there is no sensor.
function showTiltState(state, message) {
  $('tilt-state').textContent = message;
  $('tilt-state').dataset.state = state;
  $('tilt').hidden = !tiltOffered() || state === 'on' || state === 'no-sensor';
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

// RGBA pixels of an image file, decoded by the browser off the main thread (small files only:
// the sample). Opaque images, so the canvas round trip loses nothing.
async function decodePixels(blob) {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const { width, height } = bitmap;
  const context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { data: new Uint8Array(context.getImageData(0, 0, width, height).data.buffer), width, height };
}

// The bundled sample in 3D before Python is up: its photo and its display depth, which build.py made with
// the same Python (build.json `sample`: a grey PNG, i.e. depth texels once decoded, and its range), go
// straight to the viewer, so the first visit comes alive in about a second. The worker then opens the
// sample itself, and the flow hands over to it, unless a photo of the person's own came first.
async function showSample() {
  const started = performance.now();
  const { sample } = await (await fetchOk('build.json')).json();
  const [photoFile, depthFile, previewFile] = await Promise.all(
    [sample.photo, sample.depth, sample.preview].map((url) => fetchOk(url).then((r) => r.blob())));
  const pair = { photo: photoFile, depth: depthFile };
  const [photo, preview] = await Promise.all([decodePixels(photoFile), decodePixels(previewFile)]);
  // A photo of the person's own was asked for (an id newer than the preview's, 0): the sample stays out.
  if (!flow.isLatest(0)) return null;
  flow.showPreview(pair, { rgba: photo.data, width: photo.width, height: photo.height },
    { ...preview, near: sample.near, far: sample.far });
  await nextFrame();
  timings.firstFrame = performance.now() - started;
  showState();
  timings.boot = performance.now(); // ms since navigation start: cold load to the first 3D frame
  // A photo asked for while the preview's frame was drawn (a drop, a share taken from its cache) stays: the
  // worker's sample would supersede it.
  if (!flow.isLatest(0)) return null;
  return flow.openPair(pair).then((shown) => {
    Object.assign(timings, { decode: shown.timings.decode, depth: shown.timings.depth });
  }, (err) => { if (!isAbort(err)) throw err; });
}

async function start() {
  // Imported here, not statically: PixiJS is the biggest module, and loading it must not hold up
  // the pipeline worker (created above), whose Python start is the longest job of the page.
  const { createViewer } = await import('./render/viewer.js');
  viewer = await createViewer($('stage'), { strength: options.value('strength'), renderer: options.value('renderer') });
  motion = attachMotion(viewer, { surface: $('stage'), onTiltState: showTiltState });
  flow = new PhotoFlow({ client, viewer, readOptions: () => options.values('depth'), onLayers: markLayers,
    onConvention: () => {
      options.set('invert', true);
      $('depth-source').textContent = 'Depth from your depth map, which is drawn black = near (it disagrees with the '
        + 'photo otherwise): read that way. Untick "Black = near" to undo.';
      adjustDepth();
    } });
  markLayers('none');
  const presets = createPresetPlayer(viewer, motion);
  attachClickToFocus(viewer, $('stage'));
  // An export renders its frames offscreen; the screen holds still meanwhile (a preset playing stops and plays
  // again after, the idle motion waits), so that software WebGL spends its time on the export's frames.
  exportShown = async (kind, exportOptions, control) => {
    await flow.settled();
    const playing = presets.current;
    presets.stop();
    const resumeIdle = motion.suspendIdle();
    try {
      return await exportPhoto(kind, exportOptions, { viewer, flow, presets, pageOption: options.value, ...control });
    } finally {
      resumeIdle();
      if (playing) presets.play(playing.name, playing);
    }
  };
  attachExportControls({ exportPhoto: exportShown, onError: showError, onDone: clearError });
  depthView = attachDepthView(viewer, $('stage'));
  depthView.set(options.value('show_depth'), options.value('depth_split'));
  brush = attachDepthBrush({ stage: $('stage'), viewer, flow, readBrush: () => options.values('brush'),
    onError: reportError,
    controls: { toggle: $('paint-depth'), panel: $('depth-brush'), undo: $('undo-edit'), redo: $('redo-edit'),
      reset: $('reset-edits') } });
  wireInputs(presets);
  // Photos shared into the installed app or opened with it open as a drop does; a note about them
  // (how many photos came) follows the depth source's line.
  receiveFiles({ open, showError,
    addNote: (text) => { $('depth-source').textContent = $('depth-source').textContent.replace(/\.?$/, `. ${text}`); } });
  const sampleShown = showSample();
  // WebXR: the buttons' small module loads beside the sample; the headset view's code only when a session starts.
  import('./xr/offer.js').then(({ offerXR }) => offerXR({ viewer, buttons: { vr: $('view-vr'), ar: $('view-ar') },
    load: () => import('./xr/session.js'), onError: showError, onDone: clearError })).then((state) => { xr = state; });
  await sampleShown;
}

const ready = start();
registerServiceWorker(photoShownOrIdle(ready)); // offline after the first visit
ready.catch((err) => showError(`diorama could not start: ${err.message}`));

// The display depth on screen exactly as the renderer has it (after every post-processing step and the
// 8-bit texture), once the opens and adjustments asked for before have been shown:
// {data: Float32Array (W*H, 0..1, 1 = near), width, height, source, format}: source 'file' | 'embedded' | 'stereo' | 'model',
// format the embedded depth's ('gdepth', 'apple', ...) or null.
async function displayDepth() {
  await flow.settled();
  const depth = viewer.shown?.depth;
  if (!depth) throw new Error('No photo is shown yet.');
  const { source, format } = flow.shown;
  return { data: depthValues(depth), width: depth.width, height: depth.height, source, format };
}

// Automation and benchmark API.
window.diorama = {
  ready,
  open,
  look: (x, y) => viewer.look(x, y),
  get timings() { return { ...timings }; },
  get settledOpens() { return settledOpens; },
  get viewer() { return viewer; },
  depth: displayDepth,
  // One export of the photo on screen, as the Export button makes it: {name, blob}, or a list (the Facebook pair);
  // control: {signal, onProgress(fraction)} for the long ones.
  export: async (kind, exportOptions, control) => { await ready; return exportShown(kind, exportOptions, control); },
  rawDepth: () => client.call(TEST_OPS.rawDepth), // {data: Float32Array, width, height}, 1 = near
  // Depth edits as the brush makes them: stroke([[x, y], ...] photo pixels, {brush_tool, brush_size,
  // brush_strength}) -> {canUndo, canRedo} once the edited depth is shown; undo(), redo(), resetEdits() alike.
  stroke: async (points, brushOptions) => { await ready; return brush.stroke(points, brushOptions); },
  undo: async () => { await ready; return brush.undo(); },
  redo: async () => { await ready; return brush.redo(); },
  resetEdits: async () => { await ready; return brush.reset(); },
  timeModel: (height, width, runs) => client.call(TEST_OPS.timeModel, { height, width, runs }), // benchmarks
  memory: () => client.call(TEST_OPS.memory), // {wasm: bytes}: Pyodide's wasm memory, for tests/stamina.py
  importModules: (names) => client.call(TEST_OPS.importModules, { names }), // {failed, lateFetched}: for tests
  get xr() { return xr; }, // the WebXR view: supported, state, mode, views, pose, photo, capture(), end()
  client, // the pipeline client, for tests (e.g. its restarts and replaceHeapAbove)
};
