// UI thread: wires the page, the pipeline worker and the viewer. Heavy work never runs here.
import { PipelineClient } from './worker/client.js';
import { OPS, DEFAULT_OPTIONS } from './worker/protocol.js';
import { pairFiles } from './ui/files.js';
import { attachMotion } from './motion.js';
import { attachStudioControls } from './ui/studio-controls.js';
import './sw-register.js'; // offline after the first visit (service worker)

const $ = (id) => document.getElementById(id);
const timings = { boot: null, bootSteps: null, decode: null, depth: null, firstFrame: null };

function setState(state) { document.body.dataset.state = state; }

function showError(message) {
  $('alert').textContent = message;
  $('alert').hidden = false;
  setState('error');
}

function clearError() { $('alert').hidden = true; $('alert').textContent = ''; }

function showProgress({ text, fraction }) {
  $('status-text').textContent = text;
  if (fraction == null) $('progress').removeAttribute('value');
  else $('progress').value = fraction;
}

const client = new PipelineClient({
  onProgress(progress) {
    if (progress.stage === 'failed') showError(`diorama could not start: ${progress.text}`);
    else showProgress(progress);
    if (progress.stage === 'ready') {
      timings.bootSteps = progress.bootSteps;
      if (document.body.dataset.state === 'booting') setState('ready');
    }
  },
  onCrash(message) { showError(message); },
});

function currentOptions() {
  return { ...DEFAULT_OPTIONS, invert: $('invert').checked, contrast: Number($('contrast').value) };
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

let viewer;
let motion;
let shownPhoto = null; // {rgba, width, height} of the photo on screen, kept for depth adjustments
let busy = Promise.resolve();
let settledOpens = 0; // how many open() calls have finished, shown or failed

// Opens files (a photo, optionally with its depth map). Resolves when shown; rejects on error
// after showing it, while the previous photo stays on screen.
async function open(files) {
  const run = async () => {
    const started = performance.now();
    clearError();
    setState('working');
    showProgress({ text: 'Reading the photo…', fraction: null });
    try {
      const { photo, depth } = await pairFiles(files, async (file) =>
        client.call(OPS.isDepthLike, { file: await file.arrayBuffer() }));
      const photoBytes = await photo.arrayBuffer();
      const depthBytes = depth ? await depth.arrayBuffer() : null;
      const result = await client.call(
        OPS.open,
        { photo: photoBytes, depth: depthBytes, options: currentOptions() },
        [photoBytes, ...(depthBytes ? [depthBytes] : [])],
      );
      shownPhoto = { rgba: result.rgba, width: result.width, height: result.height };
      viewer.show(shownPhoto, result.depth);
      await nextFrame();
      Object.assign(timings, result.timings, { firstFrame: performance.now() - started });
      setState('shown');
      return { width: result.width, height: result.height, depthSource: result.source };
    } catch (err) {
      showError(err.expected ? err.message : `Something went wrong: ${err.message}`);
      throw err;
    } finally {
      settledOpens += 1;
    }
  };
  busy = busy.then(run, run);
  return busy;
}

async function adjustDepth() {
  if (!shownPhoto) return;
  const result = await client.call(OPS.adjust, { options: currentOptions() }).catch((err) => showError(err.message));
  if (result) viewer.show(shownPhoto, result.depth);
}

function wireInputs() {
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
  $('invert').addEventListener('change', adjustDepth);
  $('contrast').addEventListener('change', adjustDepth);
  $('strength').addEventListener('input', () => viewer.setStrength(Number($('strength').value)));
  $('auto').addEventListener('change', () => motion.setAutoMotion($('auto').checked));
  if (typeof DeviceOrientationEvent !== 'undefined' && typeof DeviceOrientationEvent.requestPermission === 'function') {
    $('tilt').hidden = false;
    $('tilt').addEventListener('click', async () => {
      const { ok, message } = await motion.enableTilt();
      if (!ok) showError(message);
    });
  }
}

async function fetchSample() {
  const names = ['sample/coffee.jpg', 'sample/coffee_depth.png'];
  return Promise.all(names.map(async (name) => {
    const response = await fetch(name);
    return new File([await response.blob()], name.split('/').pop());
  }));
}

async function start() {
  // Imported here, not statically: PixiJS is the biggest module, and loading it must not hold up
  // the pipeline worker (created above), whose Python boot is the longer path to the first frame.
  const { createViewer } = await import('./render/viewer.js');
  viewer = await createViewer($('stage'));
  viewer.setStrength(Number($('strength').value));
  motion = attachMotion(viewer, { surface: $('stage'), onStatus: (message) => showError(message) });
  attachStudioControls({ viewer, client });
  wireInputs();
  await open(await fetchSample());
  timings.boot = performance.now(); // ms since navigation start: cold load to the first 3D frame
}

const ready = start();
ready.catch((err) => showError(err.expected ? err.message : `diorama could not start: ${err.message}`));

// Automation and benchmark API.
window.diorama = {
  ready,
  open,
  look: (x, y) => viewer.look(x, y),
  get timings() { return { ...timings }; },
  get settledOpens() { return settledOpens; },
  get viewer() { return viewer; },
  rawDepth: () => client.call(OPS.rawDepth), // {data: Float32Array, width, height}, 1 = near
  timeModel: (height, width, runs) => client.call(OPS.timeModel, { height, width, runs }), // benchmarks
  memory: () => client.call(OPS.memory), // {wasm: bytes}: Pyodide's wasm memory, for tests/stamina.py
};
