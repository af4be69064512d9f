// The pipeline worker: Pyodide (numpy, Pillow, the diorama wheel) and the depth model.
// Boot is a sequence of named steps reported on the progress channel; every request
// waits for it and gets exactly one reply. See protocol.js for the message API.
import { loadPyodide } from '../pyodide/pyodide.mjs';
import { OPS, EDIT_OPS, ERRORS, PipelineError } from './protocol.js';
import { estimateDepth, runModel } from './depth-model.js';
import { decodePhoto, heapBytes as decoderHeapBytes } from './decode.js';
import { takeArray, takeTexels } from './py-arrays.js';
import { testHandlers } from './test-ops.js';
import { keepFetchedFiles } from '../fetched-files.js';
import { reportDownloads } from './downloads.js';
import { inflateStoredArchives, storedArchivesChecked } from './stored-archives.js';

const buildInfo = fetch(new URL('../build.json', import.meta.url)).then((response) => response.json());
// first (innermost): the stored zips of Python from their gzip copy where the host would send them whole
inflateStoredArchives(buildInfo.then((build) => build.storedArchives ?? {}, () => ({})));
keepFetchedFiles(); // Python's and the model's files: a first visit's precache takes them from there

let current = { stage: 'runtime', text: 'Starting Python…' }; // the step under way, in words
const progress = (stage, text, fraction = null) => {
  current = { stage, text };
  postMessage({ progress: { stage, text, fraction } });
};
// On a slow link, the step's words say how far its downloads are.
reportDownloads(buildInfo.then((build) => build.sizes ?? {}, () => ({})), (received, total, words) => postMessage(
  { progress: { stage: current.stage, text: `${current.text} ${words}`, fraction: received / total } }));
// Milliseconds each boot step took, reported with the 'ready' progress message.
const bootSteps = {};
async function step(name, work) {
  const start = performance.now();
  const result = await work();
  bootSteps[name] = Math.round(performance.now() - start);
  return result;
}

async function boot() {
  progress('runtime', 'Starting Python…', 0.1);
  const pyodide = await step('runtime', () => loadPyodide({ indexURL: new URL('../pyodide/', import.meta.url).href,
    stdLibURL: new URL(`../pyodide/${STDLIB_CORE}`, import.meta.url).href,
    lockFileURL: new URL(`../pyodide/${LEAN_LOCK}`, import.meta.url).href }));
  const build = await buildInfo;
  // the standard library's other modules, fetched on the first import of one of them (late_stdlib.py)
  const late = build.stdlibLate;
  const lateStdlib = pyodide.pyimport('_diorama_late_stdlib').install(late.modules, `/lib/${late.url.split('/').pop()}`,
    late.sha256, () => fetchSync(new URL(`../${late.url}`, import.meta.url)));
  progress('packages', 'Loading NumPy, Pillow and the diorama pipeline…', 0.5);
  await step('packages', async () => {
    // The official packages by name (their lean copies, from LEAN_LOCK), fetched in parallel; loadPackage
    // only logs failures, so collect them and fail loudly.
    const failures = [];
    const wheel = fetch(new URL(`../${build.wheel.url}`, import.meta.url), { integrity: build.wheel.integrity })
      .then((response) => {
        if (!response.ok) throw new Error(`${build.wheel.url}: HTTP ${response.status}`);
        return response.arrayBuffer();
      });
    await pyodide.loadPackage(['numpy', 'pillow', 'micropip'], {
      messageCallback: () => {},
      errorCallback: (message) => failures.push(message),
    });
    if (failures.length) throw new Error(`Could not load Python packages: ${failures.join('; ')}`);
    // The diorama wheel, checked against build.json's hash by the fetch above (subresource integrity),
    // installed by micropip from Pyodide's file system: offline, from this site only.
    const path = `/tmp/${build.wheel.url.split('/').pop()}`;
    pyodide.FS.writeFile(path, new Uint8Array(await wheel));
    await pyodide.pyimport('micropip').install(`emfs:${path}`);
    await storedArchivesChecked(); // what Python was given as it streamed is this build's
  });
  const bridge = await step('import', () => pyodide.pyimport('diorama.bridge'));
  const modelUrl = build.model ? new URL(`../${build.model}`, import.meta.url).href : null;
  return { pyodide, bridge, studio: bridge.Studio(), modelUrl, lateStdlib };
}

// The core of the standard library Pyodide boots from (build.py split_stdlib), and the lock of the lean copies of
// the official packages (build.py lean_lock): bytecode in stored zips, each fetched with its SHA-256 as integrity.
const STDLIB_CORE = 'python_stdlib-core.zip';
const LEAN_LOCK = 'diorama-lock.json';

// A site file's bytes, blocking: Python's import of a late standard library module cannot wait for a promise.
function fetchSync(url) {
  const request = new XMLHttpRequest();
  request.open('GET', url, false);
  request.responseType = 'arraybuffer';
  request.send();
  if (request.status !== 200) throw new Error(`${url}: HTTP ${request.status}`);
  return new Uint8Array(request.response);
}

// Starting Python holds this thread for seconds at a time (tens of seconds on a slow or busy device): the client's
// heartbeat is told to wait for the boot as for any long step.
const BOOT_MS = 120_000;
postMessage({ quietFor: BOOT_MS });
// A damaged archive makes Python fail in its own words (a bad zip...): its check's one line is the clearer cause.
const booting = boot().catch(async (err) => {
  await storedArchivesChecked();
  throw err;
});
booting.finally(() => postMessage({ quietFor: 0 })).catch(() => {});
booting.then(() => { current = { stage: 'download', text: 'Downloading…' }; }, () => {}); // later downloads: libheif's

const cancelled = () => new PipelineError(ERRORS.cancelled, 'The page gave this request up.');

// The layered renderer's textures for the held photo, as the 'layers' part of `photoId`'s request.
// Layers improve the picture but are not required: a failure is reported in the part, not thrown.
// A newer photo or setting stops a superseded photo's layers instead of waiting behind them: at once through the
// request's interrupt flag where the page has shared memory, else at the pauses between Python's steps
// (Studio.layer_steps), each a checkpoint.
async function sendLayers(studio, photoId, { part, checkpoint, interruptible }) {
  const t0 = performance.now();
  const steps = studio.layer_steps();
  let out;
  try {
    let step;
    while (!(step = interruptible(() => steps.next())).done) await checkpoint();
    out = step.value;
    const [back, layers] = [0, 1].map((i) => takeArray(out.get(i)));
    const [height, width] = back.shape;
    part('layers', { photoId, width, height, back: back.data, layers: layers.data, near: out.get(2), far: out.get(3),
      timings: { layers: performance.now() - t0 } }, [back.data.buffer, layers.data.buffer]);
  } catch (err) {
    if (err.code === ERRORS.cancelled) throw err;
    part('layers', { photoId, error: asPipelineError(err).message });
  } finally {
    out?.destroy();
    steps.destroy();
  }
}

// Longest silence the client's heartbeat allows while Python measures depth from a stereo pair (bounded work:
// the matching runs at a 512 px working size).
const STEREO_MATCHING_MS = 120_000;

// The end of an edit: the display depth at full size and the layers, as adjust sends them. An edit the page gave
// up is made all the same (EDIT_OPS); what it shows is dropped (the client) or stopped (at the checkpoints).
async function sendEdited(studio, photoId, texels, context) {
  const state = editState(studio);
  context.part('depth', { photoId, depth: texels, ...state }, [texels.data.buffer]);
  await context.checkpoint();
  await sendLayers(studio, photoId, context);
  return { value: { photoId, ...state }, transfer: [] };
}

function editState(studio) {
  const state = studio.edit_state();
  try {
    return { canUndo: state.get(0), canRedo: state.get(1) };
  } finally {
    state.destroy();
  }
}

// A person's single image that looks like a depth map (grey and smooth) is not given the model's depth of a
// depth map: the page asks for its photo (askIfDepthMap), or opens it again without asking when the person
// says it is a photo.
const depthMapAlone = () => new PipelineError(ERRORS.depthMapAlone, 'This looks like a depth map. Drop it together with its photo.');

// Requests about the shown photo name it: the page opens it again when the worker holds another one.
function requireHeld(studio, photoId) {
  if (studio.photo_id !== photoId) throw new PipelineError(ERRORS.notHeld, 'The worker holds another photo.');
}

// Stage the photo in Python: decoded by Pillow (open_photo), or, for the formats Pillow can't read here (HEIC,
// AVIF: decoder_needed refuses one whose header declares too many pixels), decoded in this worker (decode.js)
// and handed over as pixels (open_pixels), which then go on exactly as a decoded photo's; a HEIC's depth image
// or second (right) view goes along for use_recorded_depth.
async function openPhoto(bridge, studio, bytes, photoId) {
  const plan = bridge.decoder_needed(bytes);
  if (!plan) return studio.open_photo(bytes, photoId);
  const [kind, longSide, maxPixels] = plan.toJs();
  plan.destroy();
  const { rgba, width, height, depth, secondView } = await decodePhoto(kind, bytes, longSide, maxPixels);
  const opened = studio.open_pixels(rgba, width, height, photoId, bytes);
  if (depth) {
    const { values, bits, representation, zNear, zFar } = depth;
    studio.attach_heif_depth(values, depth.width, depth.height, bits, representation ?? null, zNear ?? null, zFar ?? null);
  }
  if (secondView) studio.attach_second_view(secondView.rgba, secondView.width, secondView.height);
  return opened;
}

// A depth map dropped with the photo, read as openPhoto reads photos.
async function useDepthMap(bridge, studio, bytes) {
  const plan = bridge.decoder_needed(bytes);
  if (!plan) return studio.use_depth_map(bytes);
  const [kind, longSide, maxPixels] = plan.toJs();
  plan.destroy();
  const { rgba, width, height } = await decodePhoto(kind, bytes, longSide, maxPixels);
  return studio.use_depth_pixels(rgba, width, height);
}

// The time work() takes, in ms, as timings[name].
async function timed(timings, name, work) {
  const start = performance.now();
  try {
    return await work();
  } finally {
    timings[name] = performance.now() - start;
  }
}

// Give the photo being opened its depth: a depth map dropped with it > the depth it records > the model.
// Returns {source, format, label, note} (see OPS.open); the model's time goes to timings.model.
async function giveDepth({ bridge, studio, modelUrl }, { depth, askIfDepthMap }, timings) {
  if (depth) {
    await useDepthMap(bridge, studio, new Uint8Array(depth));
    return { source: 'file', format: null, label: null, note: null };
  }
  // depth the file carries, or measured from its two views: stereo matching is one long synchronous step
  // (seconds here, tens of seconds on a slow phone), so the client's heartbeat is told to wait
  postMessage({ quietFor: STEREO_MATCHING_MS });
  const found = studio.use_recorded_depth();
  postMessage({ quietFor: 0 });
  const [source, format, label, note] = [0, 1, 2, 3].map((i) => found.get(i) ?? null);
  found.destroy();
  if (source) return { source, format, label, note };
  if (askIfDepthMap && studio.opening_resembles_depth_map()) throw depthMapAlone();
  if (!modelUrl) throw new PipelineError(ERRORS.refused, 'This build has no depth model; drop the photo together with its depth map.');
  await timed(timings, 'model', () => estimateDepth(studio, modelUrl, progress));
  return { source: 'model', format, label, note };
}

// Whether a depth map dropped with the photo, read as white = near, clearly disagrees with the model's depth of the
// same photo, i.e. was drawn black = near (Lens Blur, Depthy): its agreement with the model then, else null.
async function blackIsNearAgreement({ studio, modelUrl }, { checkConvention, options }, source) {
  if (!checkConvention || source !== 'file' || options.invert || !modelUrl) return null;
  const output = await runModel(studio, modelUrl, progress);
  return studio.black_is_near_agreement(output.data, output.height, output.width) ?? null;
}

// Each handler gets the worker state, the request's args and its request context: part(name, value,
// transfer) posts a partial result, checkpoint() lets the cancel messages that arrived meanwhile in
// and throws a cancelled PipelineError when the page has given this request up; queued is how long (ms) the
// request waited since the page sent it (for the requests before it, and for a long synchronous step that kept
// this thread from seeing it); progress(stage, text, fraction) reports on the side channel.
const handlers = {
  // The open's steps: stage the photo, give it depth, commit (post-process, replaying the edits the page gives
  // back to a new worker): from then on the worker holds it; show it; check a dropped map's convention; layers.
  // Its trace (ms), for window.diorama.timings: queued, decode, then depth = source (a dropped map or the depth
  // the file records) + model (0 when not used) + postprocess (Studio.commit).
  async [OPS.open](state, args, context) {
    const { bridge, studio } = state;
    const { photoId, options, edits = [] } = args;
    const timings = { queued: context.queued, model: 0 };
    let photo;
    let depth;
    let texels;
    try {
      photo = await timed(timings, 'decode', async () => takeArray(await openPhoto(bridge, studio, new Uint8Array(args.photo), photoId)));
      await context.checkpoint();
      depth = await timed(timings, 'source', () => giveDepth(state, args, timings));
      await context.checkpoint();
      texels = await timed(timings, 'postprocess', () => takeTexels(studio.commit(options, edits)));
    } catch (err) {
      studio.abandon();
      throw err;
    }
    timings.source -= timings.model;
    timings.depth = timings.source + timings.model + timings.postprocess;
    const [height, width] = photo.shape;
    context.part('depth', { photoId, width, height, rgba: photo.data, depth: texels, ...depth, ...editState(studio), timings },
      [photo.data.buffer, texels.data.buffer]);
    await context.checkpoint();
    const agreement = await blackIsNearAgreement(state, args, depth.source);
    if (agreement !== null) {
      context.part('convention', { photoId, invert: true, agreement }); // the page flips it and asks again
      return { value: { photoId }, transfer: [] };
    }
    await context.checkpoint();
    await sendLayers(studio, photoId, context);
    return { value: { photoId }, transfer: [] };
  },
  async [OPS.adjust]({ studio }, { photoId, options }, context) {
    requireHeld(studio, photoId);
    const texels = takeTexels(studio.adjust(options));
    context.part('depth', { photoId, depth: texels }, [texels.data.buffer]);
    await context.checkpoint();
    await sendLayers(studio, photoId, context);
    return { value: { photoId }, transfer: [] };
  },
  async [OPS.stroke]({ studio }, { photoId, points, brush, options, final }, context) {
    requireHeld(studio, photoId);
    const texels = takeTexels(studio.paint(points, brush, options, final));
    if (final) return sendEdited(studio, photoId, texels, context);
    context.part('preview', { photoId, depth: texels }, [texels.data.buffer]);
    return { value: { photoId, ...editState(studio) }, transfer: [] };
  },
  async [OPS.popOut]({ studio }, { photoId, x, y, brush, options }, context) {
    requireHeld(studio, photoId);
    return sendEdited(studio, photoId, takeTexels(studio.pop_out(x, y, brush, options)), context);
  },
  async [OPS.undo]({ studio }, { photoId, options }, context) {
    requireHeld(studio, photoId);
    return sendEdited(studio, photoId, takeTexels(studio.undo(options)), context);
  },
  async [OPS.redo]({ studio }, { photoId, options }, context) {
    requireHeld(studio, photoId);
    return sendEdited(studio, photoId, takeTexels(studio.redo(options)), context);
  },
  async [OPS.resetEdits]({ studio }, { photoId, options }, context) {
    requireHeld(studio, photoId);
    return sendEdited(studio, photoId, takeTexels(studio.reset_edits(options)), context);
  },
  async [OPS.gdepthJpeg]({ studio }, { photoId }) {
    requireHeld(studio, photoId);
    const { data } = takeArray(studio.gdepth_jpeg());
    return { value: { data }, transfer: [data.buffer] };
  },
  async [OPS.depthPng]({ studio }, { photoId, bits }) {
    requireHeld(studio, photoId);
    const { data } = takeArray(studio.depth_png(bits));
    return { value: { data }, transfer: [data.buffer] };
  },
  async [OPS.meshGlb]({ studio }, { photoId }) {
    requireHeld(studio, photoId);
    const { data } = takeArray(studio.mesh_glb());
    return { value: { data }, transfer: [data.buffer] };
  },
  async [OPS.photo3dHtml]({ studio }, { photoId, strength, focus }) {
    requireHeld(studio, photoId);
    const { data } = takeArray(studio.photo_3d_html(strength, focus));
    return { value: { data }, transfer: [data.buffer] };
  },
  async [OPS.isDepthLike]({ bridge }, { file }) {
    return { value: bridge.looks_like_depth_map(new Uint8Array(file)), transfer: [] };
  },
};

// Any error as the PipelineError a reply carries: a Python DioramaError is bad input with a message for people
// (the last line of Python's traceback); a PipelineError stays as it is; anything else is a bug.
function asPipelineError(err) {
  if (err instanceof PipelineError) return err;
  const lastLine = String(err?.message ?? err).trim().split('\n').pop();
  if (err?.type === 'DioramaError') return new PipelineError(ERRORS.refused, lastLine.replace(/^([\w.]*DioramaError): /, ''));
  console.error(err);
  // Pyodide marks errors it cannot recover from (e.g. out of wasm memory); the client then replaces this worker.
  return new PipelineError(ERRORS.bug, `Something went wrong inside diorama (${lastLine}); please reload the page.`,
    { fatal: Boolean(err?.pyodide_fatal_error) });
}

// One request at a time: Python is single-threaded and the studio holds the current photo.
let queue = booting.then(() => postMessage({ progress: { stage: 'ready', text: 'Ready', fraction: 1, bootSteps } }), (err) => postMessage({ progress: { stage: 'failed', text: asPipelineError(err).message } }));
// The size of the worker's WebAssembly memories (Pyodide's and, after a HEIC, libheif's; they only ever grow),
// with every final reply: the client replaces a worker that grew large once it is idle.
let heapBytes = decoderHeapBytes;
booting.then(({ pyodide }) => { heapBytes = () => (pyodide._module?.HEAPU8?.length ?? 0) + decoderHeapBytes(); }, () => {});

function interruptibly(pyodide, interrupt, work) {
  pyodide.setInterruptBuffer(interrupt);
  try {
    return work();
  } catch (err) {
    throw err?.type === 'KeyboardInterrupt' ? cancelled() : err;
  } finally {
    pyodide.setInterruptBuffer(undefined);
  }
}

// Requests the page gave up (see protocol.js): skipped when their turn comes (but for edits: EDIT_OPS), stopped
// at a checkpoint.
const givenUp = new Set();
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

self.onmessage = ({ data: { id, op, args, ping, cancel, interrupt, sentAt } }) => {
  if (ping !== undefined) return postMessage({ pong: ping });
  if (cancel !== undefined) return void givenUp.add(cancel);
  const context = {
    queued: null,
    progress,
    part: (name, value, transfer = []) => postMessage({ id, part: name, value }, transfer),
    checkpoint: async () => {
      await nextTask(); // a cancel posted meanwhile is handled before this resolves
      if (givenUp.has(id)) throw cancelled();
    },
    // work() (synchronous Python) with the request's interrupt flag on: the page giving the request up raises
    // KeyboardInterrupt in Python at its next step, which ends the request as cancelled
    interruptible: (work) => work(),
  };
  queue = queue.then(async () => {
    try {
      if (givenUp.has(id) && !EDIT_OPS.has(op)) throw cancelled();
      const state = await booting;
      if (interrupt) context.interruptible = (work) => interruptibly(state.pyodide, interrupt, work);
      context.queued = performance.timeOrigin + performance.now() - sentAt;
      const { value, transfer } = await (handlers[op] ?? testHandlers[op])(state, args, context);
      postMessage({ id, result: value, heap: heapBytes() }, transfer);
    } catch (err) {
      postMessage({ id, error: asPipelineError(err).toMessage(), heap: heapBytes() });
    } finally {
      givenUp.delete(id);
    }
  });
};
