// The message API between the page and the pipeline worker, shared by both sides.
//
// page -> worker   {id, op, args, interrupt, sentAt}   a request; op is one of OPS; id is unique per page; sentAt:
//                                            when it was sent (timeOrigin + now), for the open's trace (queued);
//                                            interrupt: null, or (cross-origin isolated page, abortable request)
//                                            an Int32Array(1) on shared memory that the page sets to 2 (SIGINT)
//                                            when it gives the request up: Pyodide then stops the request's
//                                            layers between two Python steps (KeyboardInterrupt)
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
  // Depth edits of the held photo (py/diorama/edits.py, Studio.paint ...), made before post-processing, so
  // options, layers and exports keep them; 'not-held' as adjust (a restarted worker has lost them).
  // {photoId, points: Float32Array [x0, y0, x1, y1, ...] in photo pixels, brush: the 'brush' options by name,
  //  options: the depth options, final: boolean} -> a piece of a brush stroke (the first piece starts it):
  //   final false: part 'preview' {photoId, depth: texels at most 512 px on the long side}, for a quick look
  //   final true: parts 'depth' {photoId, depth: texels, canUndo, canRedo} and 'layers' as adjust (the stroke
  //   is one step of undo)
  // -> result {photoId, canUndo, canRedo}
  stroke: 'stroke',
  // {photoId, x, y, brush, options} -> the region tapped at (x, y) brought forward; parts and result as stroke's final
  popOut: 'popOut',
  // {photoId, options} -> one edit undone / redone / all edits removed; parts and result as stroke's final
  undo: 'undo',
  redo: 'redo',
  resetEdits: 'resetEdits',
  // {photoId} -> {data: Uint8Array}: the held photo as one JPEG carrying its depth as GDepth (the export
  // that the app, the CLI and other GDepth readers read back); 'not-held' as adjust
  gdepthJpeg: 'gdepthJpeg',
  // {photoId} -> {data: Uint8Array}: the held photo as a textured 3D mesh of its two layers, binary glTF (.glb),
  // with its current display depth (Studio.mesh_glb); 'not-held' as adjust
  meshGlb: 'meshGlb',
  // {photoId, strength, focus} -> {data: Uint8Array}: the held photo as a 3D photo in one HTML file, drawn with the
  // renderer's own march (Studio.photo_3d_html); 'not-held' as adjust
  photo3dHtml: 'photo3dHtml',
  // {file: ArrayBuffer} -> boolean: single-channel image, i.e. probably a depth map
  isDepthLike: 'isDepthLike',
  // {} -> {data: Float32Array (H*W), width, height}: the held photo's depth before post-processing
  // (model output or the user's map, 0..1, 1 = near): for export and browser/CPython parity checks
  rawDepth: 'rawDepth',
  // {height, width, runs} -> {median, threads, runs}: the depth model's latency in ms (benchmarks)
  timeModel: 'timeModel',
  // {names: string[]} -> {failed: {name: message}, lateFetched: boolean}: imports Python modules by name and says
  // whether the standard library's late archive has been fetched (build.py split_stdlib): for tests
  importModules: 'importModules',
  // {} -> {wasm: bytes of Pyodide's WebAssembly memory}: for the stamina measurements
  memory: 'memory',
});

// Heartbeat, outside the request queue: page -> worker {ping: n}, worker -> page {pong: n}, answered as
// soon as the worker's thread is free. The client replaces a worker that stops answering (see client.js).
// A reply's error may carry `fatal: true`: the runtime is broken (e.g. Pyodide ran out of memory), so
// the client replaces the worker.
