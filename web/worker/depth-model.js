// The depth model on onnxruntime-web's wasm backend, created lazily once per worker.
// Pre/post-processing is Python (diorama.model_io, via the studio) so the CLI computes the same numbers.
import * as ort from '../vendor/ort/ort.wasm.min.mjs';

let session = null;

// The model's bytes; how far the download is, the worker's progress line says (downloads.js).
async function fetchModel(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not load the depth model (${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

async function getSession(modelUrl, progress) {
  if (!session) {
    session = (async () => {
      ort.env.wasm.wasmPaths = {
        mjs: new URL('../vendor/ort/ort-wasm-simd-threaded.mjs', import.meta.url).href,
        wasm: new URL('../vendor/ort/ort-wasm-simd-threaded.wasm', import.meta.url).href,
      };
      // Threads need SharedArrayBuffer, i.e. a cross-origin isolated page.
      ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
      progress('model', 'Loading the depth model…');
      const bytes = await fetchModel(modelUrl);
      return ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    })();
    session.catch(() => { session = null; });
  }
  return session;
}

// Runs the model on the studio's photo (the one being opened, else the current one): its raw output,
// {data: Float32Array, height, width}, for the studio's use_model_output or black_is_near_agreement.
export async function runModel(studio, modelUrl, progress) {
  const model = await getSession(modelUrl, progress);
  progress('depth', 'Estimating depth…');
  const pyInput = studio.model_input();
  const view = pyInput.getBuffer();
  let input;
  try {
    input = new ort.Tensor('float32', view.data.slice(), view.shape);
  } finally {
    view.release();
    pyInput.destroy();
  }
  const outputs = await model.run({ [model.inputNames[0]]: input });
  const output = outputs[model.outputNames[0]];
  const [, , height, width] = output.dims;
  const result = { data: output.data.slice(), height, width };
  input.dispose?.();
  output.dispose?.();
  return result;
}

// Runs the model on the photo being opened and gives it the model's depth.
export async function estimateDepth(studio, modelUrl, progress) {
  const { data, height, width } = await runModel(studio, modelUrl, progress);
  studio.use_model_output(data, height, width);
}

// Median milliseconds of `runs` inferences on a (1, 3, height, width) input, after one warm-up run:
// the model's own latency, without pre/post-processing (for BENCHMARKS.md).
export async function timeModel(modelUrl, height, width, runs, progress) {
  const model = await getSession(modelUrl, progress);
  const input = new ort.Tensor('float32', new Float32Array(3 * height * width).fill(0.5), [1, 3, height, width]);
  const times = [];
  for (let i = 0; i <= runs; i++) {
    const start = performance.now();
    const outputs = await model.run({ [model.inputNames[0]]: input });
    if (i > 0) times.push(performance.now() - start);
    outputs[model.outputNames[0]].dispose?.();
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], threads: ort.env.wasm.numThreads, runs: times };
}
