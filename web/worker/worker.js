// The pipeline worker: Pyodide (numpy, Pillow, the diorama wheel) and the depth model.
// Boot is a sequence of named steps reported on the progress channel; every request
// waits for it and gets exactly one reply. See protocol.js for the message API.
import { loadPyodide } from '../pyodide/pyodide.mjs';
import { OPS } from './protocol.js';
import { estimateDepth, timeModel } from './depth-model.js';

const progress = (stage, text, fraction = null) => postMessage({ progress: { stage, text, fraction } });
// Milliseconds each boot step took, reported with the 'ready' progress message.
const bootSteps = {};
async function step(name, work) {
  const start = performance.now();
  const result = await work();
  bootSteps[name] = Math.round(performance.now() - start);
  return result;
}

async function boot() {
  const buildInfo = fetch(new URL('../build.json', import.meta.url)).then((response) => response.json());
  progress('runtime', 'Starting Python…', 0.1);
  const pyodide = await step('runtime', () => loadPyodide({ indexURL: new URL('../pyodide/', import.meta.url).href }));
  const build = await buildInfo;
  progress('packages', 'Loading NumPy, Pillow and the diorama pipeline…', 0.5);
  await step('packages', async () => {
    // The diorama wheel by URL next to the official packages; loadPackage fetches them in parallel.
    // It only logs failures, so collect them and fail loudly.
    const failures = [];
    await pyodide.loadPackage(['numpy', 'pillow', new URL(`../${build.wheel}`, import.meta.url).href], {
      messageCallback: () => {},
      errorCallback: (message) => failures.push(message),
    });
    if (failures.length) throw new Error(`Could not load Python packages: ${failures.join('; ')}`);
  });
  const bridge = await step('import', () => pyodide.pyimport('diorama.bridge'));
  return { pyodide, bridge, studio: bridge.Studio(), build };
}

const booting = boot();

const modelUrl = (build) => new URL(`../${build.model}`, import.meta.url).href;

// Copy a NumPy array out of wasm memory once, then free the view and the proxy.
function takeArray(pyArray) {
  const view = pyArray.getBuffer();
  try {
    return { data: view.data.slice(), shape: view.shape };
  } finally {
    view.release();
    pyArray.destroy();
  }
}

// The post-processed depth as grey RGBA texels (what the renderer uploads) and its range, 0..1.
// Expanding here keeps a per-pixel loop off the UI thread.
function processedDepth(studio, options) {
  const { data, shape: [height, width] } = takeArray(studio.depth(options.invert, options.contrast, options.smoothing, options.curve));
  const texels = new Uint8Array(width * height * 4);
  const words = new Uint32Array(texels.buffer);
  let near = 0;
  let far = 255;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    words[i] = 0xff000000 | (v * 0x010101); // little-endian RGBA: R = G = B = v, A = 255
    if (v > near) near = v;
    if (v < far) far = v;
  }
  return { data: texels, width, height, near: near / 255, far: far / 255 };
}

const handlers = {
  async [OPS.open]({ studio, build }, { photo, depth, options }) {
    const t0 = performance.now();
    const rgba = takeArray(studio.open_photo(new Uint8Array(photo)));
    const t1 = performance.now();
    let source;
    if (depth) {
      studio.use_depth_map(new Uint8Array(depth));
      source = 'file';
    } else {
      if (!build.model) throw Object.assign(new Error('This build has no depth model; drop the photo together with its depth map.'), { expected: true });
      await estimateDepth(studio, modelUrl(build), progress);
      source = 'model';
    }
    const d = processedDepth(studio, options);
    const t2 = performance.now();
    const [height, width] = rgba.shape;
    return {
      value: { width, height, rgba: rgba.data, depth: d, source, timings: { decode: t1 - t0, depth: t2 - t1 } },
      transfer: [rgba.data.buffer, d.data.buffer],
    };
  },
  async [OPS.adjust]({ studio }, { options }) {
    const d = processedDepth(studio, options);
    return { value: { depth: d }, transfer: [d.data.buffer] };
  },
  async [OPS.layers]({ studio }) {
    const t0 = performance.now();
    const out = studio.layers();
    try {
      const [back, layers] = [0, 1].map((i) => takeArray(out.get(i)));
      const [height, width] = back.shape;
      return {
        value: { width, height, back: back.data, layers: layers.data, near: out.get(2), far: out.get(3),
          timings: { layers: performance.now() - t0 } },
        transfer: [back.data.buffer, layers.data.buffer],
      };
    } finally {
      out.destroy();
    }
  },
  async [OPS.timeModel]({ build }, { height, width, runs }) {
    return { value: await timeModel(modelUrl(build), height, width, runs, progress), transfer: [] };
  },
  async [OPS.rawDepth]({ studio }) {
    const { data, shape: [height, width] } = takeArray(studio.require_raw_depth());
    return { value: { data, width, height }, transfer: [data.buffer] };
  },
  async [OPS.isDepthLike]({ bridge }, { file }) {
    return { value: bridge.looks_like_depth_map(new Uint8Array(file)), transfer: [] };
  },
  async [OPS.memory]({ pyodide }) {
    return { value: { wasm: pyodide._module?.HEAPU8?.length ?? null }, transfer: [] };
  },
};

// A Python DioramaError is bad input with a message for people; anything else is a bug.
function describe(err) {
  if (err && (err.type === 'DioramaError' || err.expected)) {
    const lines = String(err.message).trim().split('\n');
    return { message: lines[lines.length - 1].replace(/^([\w.]*DioramaError): /, ''), expected: true };
  }
  console.error(err);
  // Pyodide marks errors it cannot recover from (e.g. out of wasm memory); the client then replaces this worker.
  const fatal = Boolean(err && err.pyodide_fatal_error);
  return { message: `Something went wrong inside diorama: ${String(err && err.message || err).trim().split('\n').pop()}`, expected: false, fatal };
}

// One request at a time: Python is single-threaded and the studio holds the current photo.
let queue = booting.then(() => postMessage({ progress: { stage: 'ready', text: 'Ready', fraction: 1, bootSteps } }), (err) => postMessage({ progress: { stage: 'failed', text: describe(err).message } }));

self.onmessage = ({ data: { id, op, args, ping } }) => {
  if (ping !== undefined) return postMessage({ pong: ping });
  queue = queue.then(async () => {
    try {
      const state = await booting;
      const { value, transfer } = await handlers[op](state, args);
      postMessage({ id, result: value }, transfer);
    } catch (err) {
      postMessage({ id, error: describe(err) });
    }
  });
};
