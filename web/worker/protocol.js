// The message API between the page and the pipeline worker, shared by both sides.
//
// page -> worker   {id, op, args}            a request; op is one of OPS; id is unique per page
// page -> worker   {cancel: id}              the page has given request id up: if it has not started it
//                                            never does; if it runs, it stops at its next step
// worker -> page   {id, part, value}         a partial result of request id, in order (see OPS)
// worker -> page   {id, result} | {id, error}   the end of request id (error: {message, expected, code})
// worker -> page   {progress: {stage, text, fraction}}   boot / model-loading progress, side channel
//
// `expected` is true for bad input (a DioramaError with a message for people), false for bugs.
// `code` names the errors the page acts on: 'cancelled' (the page gave the request up), 'not-held'
// (adjust for a photo the worker does not hold: the page opens it again).
//
// Depth travels in one format, the depth texels: {data, width, height, near, far}, data = W*H grey
// RGBA texels (R = G = B = depth byte, 255 = near, A = 255), near/far = the largest/smallest depth in
// 0..1 (made by py/diorama/depthmap.py depth_texels; read through render/depth-texels.js).
export const OPS = Object.freeze({
  // {photoId, photo: ArrayBuffer, depth: ArrayBuffer|null, options, checkConvention, askIfDepthMap} -> parts:
  //   (photo: any file Python reads, or HEIC/AVIF, which the worker decodes itself (decode.js) and hands to
  //   Python as pixels: bridge.decoder_needed, Studio.open_pixels)
  //   'depth'  {photoId, width, height, rgba, depth: texels, source: 'file'|'embedded'|'stereo'|'model', format, label,
  //            note, timings: {decode, depth}} once the whole open succeeded: the worker now holds this photo
  //            (before, it kept the last one). Depth: a dropped depth map > the photo's own (carried, or
  //            measured from a stereo file's two views) > the model;
  //            format/label name embedded depth ('apple', 'iPhone portrait'), note says why it was not used
  //            when it was there but unusable (all null otherwise)
  //   'layers' {photoId, width, height, back, layers, near, far, timings: {layers}} | {photoId, error}
  //   'convention' {photoId, invert: true, agreement}: with checkConvention, a dropped depth map that clearly
  //            disagrees with the model's depth was drawn black = near; the page flips it (no layers follow)
  // -> result {photoId}; with askIfDepthMap, a photo without depth of its own that looks like a depth map
  //   (Studio.opening_resembles_depth_map) is refused with code 'depth-map-alone'
  open: 'open',
  // {photoId, options} -> parts 'depth' {photoId, depth: texels} and 'layers' as for open -> result {photoId}:
  // the held photo's depth post-processed again with new options
  adjust: 'adjust',
  // {photoId} -> {data: Uint8Array}: the held photo as one JPEG carrying its depth as GDepth (the export
  // that the app, the CLI and other GDepth readers read back); 'not-held' as adjust
  gdepthJpeg: 'gdepthJpeg',
  // {file: ArrayBuffer} -> boolean: single-channel image, i.e. probably a depth map
  isDepthLike: 'isDepthLike',
  // {} -> {data: Float32Array (H*W), width, height}: the held photo's depth before post-processing
  // (model output or the user's map, 0..1, 1 = near): for export and browser/CPython parity checks
  rawDepth: 'rawDepth',
  // {height, width, runs} -> {median, threads, runs}: the depth model's latency in ms (benchmarks)
  timeModel: 'timeModel',
  // {} -> {wasm: bytes of Pyodide's WebAssembly memory}: for the stamina measurements
  memory: 'memory',
});

// Heartbeat, outside the request queue: page -> worker {ping: n}, worker -> page {pong: n}, answered as
// soon as the worker's thread is free. The client replaces a worker that stops answering (see client.js).
// A reply's error may carry `fatal: true`: the runtime is broken (e.g. Pyodide ran out of memory), so
// the client replaces the worker.
