// The message API between the page and the pipeline worker, shared by both sides.
//
// page -> worker   {id, op, args}                 op is one of OPS
// worker -> page   {id, result} | {id, error}     the reply to one request (error: {message, expected})
// worker -> page   {progress: {stage, text, fraction}}   boot / model-loading progress, side channel
//
// `expected` is true for bad input (a DioramaError with a message for people), false for bugs.
export const OPS = Object.freeze({
  // {photo: ArrayBuffer, depth: ArrayBuffer|null, options} -> {width, height, rgba, depth, source, timings}
  // depth: {data: grey RGBA texels (W*H*4), width, height, near, far}, 255 = near
  open: 'open',
  // {options} -> {depth}: re-post-process the current depth (sliders, invert)
  adjust: 'adjust',
  // {file: ArrayBuffer} -> boolean: single-channel image, i.e. probably a depth map
  isDepthLike: 'isDepthLike',
  // {} -> {data: Float32Array (H*W), width, height}: the current photo's depth before post-processing
  // (model output or the user's map, 0..1, 1 = near): for export and browser/CPython parity checks
  rawDepth: 'rawDepth',
  // {height, width, runs} -> {median, threads, runs}: the depth model's latency in ms (benchmarks)
  timeModel: 'timeModel',
  // {} -> {width, height, back, layers, near, far, timings}: the layered renderer's textures for the
  // depth last sent by open/adjust (Uint8Array RGBA each; see bridge.Studio.layers), timings.layers ms
  layers: 'layers',
  // {} -> {wasm: bytes of Pyodide's WebAssembly memory}: for the stamina measurements
  memory: 'memory',
});

// Heartbeat, outside the request queue: page -> worker {ping: n}, worker -> page {pong: n}, answered as
// soon as the worker's thread is free. The client replaces a worker that stops answering (see client.js).
// A reply's error may carry `fatal: true`: the runtime is broken (e.g. Pyodide ran out of memory), so
// the client replaces the worker.

// Depth post-processing (py/diorama/depthmap.py postprocess_depth; tests/build checks the defaults agree).
// curve 'soft' never pins depth to the ends; SEED_RECIPE is the 2020 blog's clipped x5 contrast.
export const DEFAULT_OPTIONS = Object.freeze({ invert: false, contrast: 1.5, smoothing: 1, curve: 'soft' });
export const SEED_RECIPE = Object.freeze({ contrast: 5, curve: 'linear' });
