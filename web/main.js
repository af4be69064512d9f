// UI thread: wires the page, the pipeline worker and the viewer. Heavy work never runs here.
import { PipelineClient } from './worker/client.js';
import { OPS, DEFAULT_OPTIONS, SEED_RECIPE } from './worker/protocol.js';
import { pairFiles } from './ui/files.js';
import { attachMotion } from './motion.js';
import { attachStudioControls } from './ui/studio-controls.js';
import { registerServiceWorker } from './sw-register.js';

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
  onCrash(message) {
    showError(message);
    // The new worker starts empty: give it the photo on screen again, so sliders, layers and export
    // keep working on it.
    const files = shownFiles;
    if (files) enqueue(() => postOpen(files.photo, files.depth).then(({ reply }) => reply).catch(() => {}));
  },
});

function currentOptions() {
  return { ...DEFAULT_OPTIONS, invert: $('invert').checked, contrast: Number($('contrast').value),
    curve: $('depth-look').value };
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

let viewer;
let motion;
let shownPhoto = null; // {rgba, width, height} of the photo on screen, kept for depth adjustments
let busy = Promise.resolve(); // the chain of opens and adjustments, run one after another

// Runs a task after the ones before it, whether or not they failed; returns its own promise.
function enqueue(task) {
  busy = busy.then(task, task);
  return busy;
}
let settledOpens = 0; // how many open() calls have finished, shown or failed
let opened = false; // whether open() was called (then the sample preview is not shown)
let shownFiles = null; // {photo, depth: Blob|null} behind the photo on screen, for a restarted worker
let shownSource = null; // where the depth on screen came from: 'file' (a depth map) or 'model'

// Asks the worker to open a photo and its depth map (Blobs; depth may be null). Resolves once the
// request is posted, with {reply}: the worker answers requests in the order they were posted.
async function postOpen(photo, depth) {
  const [photoBytes, depthBytes] = await Promise.all([photo.arrayBuffer(), depth ? depth.arrayBuffer() : null]);
  const reply = client.call(OPS.open, { photo: photoBytes, depth: depthBytes, options: currentOptions() },
    depthBytes ? [photoBytes, depthBytes] : [photoBytes]);
  return { reply };
}

// Opens files (a photo, optionally with its depth map). Resolves when shown; rejects on error
// after showing it, while the previous photo stays on screen.
async function open(files) {
  opened = true;
  const run = async () => {
    const started = performance.now();
    clearError();
    setState('working');
    showProgress({ text: 'Reading the photo…', fraction: null });
    try {
      const { photo, depth } = await pairFiles(files, async (file) =>
        client.call(OPS.isDepthLike, { file: await file.arrayBuffer() }));
      const result = await (await postOpen(photo, depth)).reply;
      shownPhoto = { rgba: result.rgba, width: result.width, height: result.height };
      shownFiles = { photo, depth };
      shownSource = result.source;
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
  return enqueue(run);
}

// Re-post-processes the depth on screen (sliders, invert); in turn with opening photos, so it always
// applies to the photo the worker holds.
function adjustDepth() {
  if (!shownPhoto) return;
  enqueue(async () => {
    try {
      const result = await client.call(OPS.adjust, { options: currentOptions() });
      viewer.show(shownPhoto, result.depth);
    } catch (err) {
      showError(err.message);
    }
  });
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
  // A look is a curve with its own contrast: the seed blog's clipped x5, or the continuous default.
  $('depth-look').addEventListener('change', () => {
    const recipe = $('depth-look').value === SEED_RECIPE.curve ? SEED_RECIPE : DEFAULT_OPTIONS;
    $('contrast').value = String(recipe.contrast);
    adjustDepth();
  });
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

// The bundled sample; build.py writes SAMPLE.preview, its display depth made by the same Python.
const SAMPLE = { photo: 'sample/coffee.jpg', depth: 'sample/coffee_depth.png', preview: 'sample/coffee_preview.png' };

async function fetchBlob(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.blob();
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

// The sample in 3D before Python is up: its photo and precomputed display depth go straight to the
// viewer (grey texels, as the worker sends them), so the first visit comes alive in about a second.
async function showSamplePreview(sampleFiles, adoptionPosted) {
  const started = performance.now();
  const [photoFile, depthFile] = await sampleFiles;
  const [photo, depth] = await Promise.all([decodePixels(photoFile), fetchBlob(SAMPLE.preview).then(decodePixels)]);
  await adoptionPosted;
  if (opened) return; // a photo of the person's own came first
  let near = 0;
  let far = 255;
  for (let i = 0; i < depth.data.length; i += 4) {
    near = Math.max(near, depth.data[i]);
    far = Math.min(far, depth.data[i]);
  }
  shownPhoto = { rgba: photo.data, width: photo.width, height: photo.height };
  shownFiles = { photo: photoFile, depth: depthFile };
  shownSource = 'file';
  viewer.show(shownPhoto, { ...depth, near: near / 255, far: far / 255 });
  await nextFrame();
  timings.firstFrame = performance.now() - started;
  setState('shown');
}

async function start() {
  // Imported here, not statically: PixiJS is the biggest module, and loading it must not hold up
  // the pipeline worker (created above), whose Python start is the longest job of the page.
  const { createViewer } = await import('./render/viewer.js');
  viewer = await createViewer($('stage'));
  viewer.setStrength(Number($('strength').value));
  motion = attachMotion(viewer, { surface: $('stage'), onStatus: (message) => showError(message) });
  attachStudioControls({ viewer, client });
  wireInputs();
  // The worker opens the sample too, so that sliders, layers and export work on it. The preview's
  // show() (which asks for layers) waits until that request is posted: the worker answers in order,
  // so those layers are the sample's.
  const sampleFiles = Promise.all([fetchBlob(SAMPLE.photo), fetchBlob(SAMPLE.depth)]);
  const asked = sampleFiles.then(([photo, depth]) => postOpen(photo, depth));
  const adopted = asked.then(({ reply }) => reply).then((result) => {
    Object.assign(timings, { decode: result.timings.decode, depth: result.timings.depth });
  });
  enqueue(() => adopted.catch(() => {})); // photos opened meanwhile wait for it (the worker's order)
  await showSamplePreview(sampleFiles, asked);
  timings.boot = performance.now(); // ms since navigation start: cold load to the first 3D frame
  await adopted;
}

const ready = start();
registerServiceWorker(ready); // offline after the first visit
ready.catch((err) => showError(err.expected ? err.message : `diorama could not start: ${err.message}`));

// The display depth on screen exactly as the renderer has it (after every post-processing step and the
// 8-bit texture), once the opens and adjustments asked for before have been shown:
// {data: Float32Array (W*H, 0..1, 1 = near), width, height, source}.
function displayDepth() {
  return enqueue(() => {
    const depth = viewer.shown?.depth;
    if (!depth) throw new Error('No photo is shown yet.');
    const { width, height } = depth;
    const stride = depth.data.length / (width * height); // grey texels (4) or one byte per pixel
    const data = new Float32Array(width * height);
    for (let i = 0; i < data.length; i++) data[i] = depth.data[i * stride] / 255;
    return { data, width, height, source: shownSource };
  });
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
  rawDepth: () => client.call(OPS.rawDepth), // {data: Float32Array, width, height}, 1 = near
  timeModel: (height, width, runs) => client.call(OPS.timeModel, { height, width, runs }), // benchmarks
  memory: () => client.call(OPS.memory), // {wasm: bytes}: Pyodide's wasm memory, for tests/stamina.py
};
