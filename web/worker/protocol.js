// The message API between the page and the pipeline worker, shared by both sides: every message either side
// posts is one of the shapes below, and every error a request ends with is a PipelineError (below).
//
// page -> worker   {id, op, args, interrupt, sentAt}   a request; op is one of OPS or TEST_OPS; id is unique per
//                                            page; sentAt: when it was sent (timeOrigin + now), for the open's
//                                            trace (queued); interrupt: null, or (cross-origin isolated page,
//                                            abortable request) an Int32Array(1) on shared memory that the page
//                                            sets to 2 (SIGINT) when it gives the request up: Pyodide then stops
//                                            the request's layers between two Python steps (KeyboardInterrupt)
// page -> worker   {cancel: id}              the page has given request id up: if it has not started it
//                                            never does (but for an edit, see EDIT_OPS); if it runs, it stops at
//                                            its next step
// page -> worker   {ping: n}                 the heartbeat, outside the request queue: answered {pong: n} as soon
//                                            as the worker's thread is free (the client replaces a worker that
//                                            stops answering: client.js)
// worker -> page   {pong: n}                 the heartbeat's answer
// worker -> page   {quietFor: ms}            the worker's thread starts long synchronous work (starting Python,
//                                            matching a stereo pair's two views): the heartbeat waits up to ms
//                                            before taking it for hung; {quietFor: 0} when the work is over
// worker -> page   {id, part, value}         a partial result of request id, in order (see OPS)
// worker -> page   {id, result, heap} | {id, error, heap}   the end of request id; error: a PipelineError as
//                                            sent ({code, message, fatal}: PipelineError.toMessage); heap: the
//                                            bytes of the worker's WebAssembly memories, which never shrink (the
//                                            client replaces an idle worker whose heap passed a limit)
// worker -> page   {progress: {stage, text, fraction, bootSteps?}}   boot / model-loading progress, side channel;
//                                            stage 'ready' (with bootSteps: ms per boot step) or 'failed' (text:
//                                            why) ends the boot
//
// Depth travels in one format, the depth texels: {data, width, height, near, far}, data = W*H grey
// RGBA texels (R = G = B = depth byte, 255 = near, A = 255), near/far = the largest/smallest depth in
// 0..1 (made by py/diorama/depthmap.py depth_texels; read through render/depth-texels.js).
export const OPS = Object.freeze({
  // {photoId, photo: ArrayBuffer, depth: ArrayBuffer|null, options, checkConvention, askIfDepthMap, edits} -> parts:
  //   (photo: any file Python reads, or HEIC/AVIF, which the worker decodes itself (decode.js) and hands to
  //   Python as pixels: bridge.decoder_needed, Studio.open_pixels; edits: [] for a new photo, or the shown
  //   photo's edits as the page recorded them ([{op, args}], one per edit request in the order sent, args as
  //   sent without photoId) when a worker that lost them opens it again: replayed before post-processing, so
  //   the edits and their undo history are as they were)
  //   'depth'  {photoId, width, height, rgba, depth: texels, source: 'file'|'embedded'|'stereo'|'model', format, label,
  //            note, canUndo, canRedo, timings: {queued, decode, depth = source + model + postprocess}} once the
  //            whole open succeeded: the worker now holds this photo (before, it kept the last one). Depth: a
  //            dropped depth map > the photo's own
  //            (carried, or measured from a stereo file's two views) > the model;
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
  // Depth edits of the held photo (EDIT_OPS; py/diorama/edits.py, Studio.paint ...), made before
  // post-processing, so options, layers and exports keep them; 'not-held' as adjust.
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
  // {photoId, bits: 16 | 8} -> {data: Uint8Array}: the held photo's display depth as a grey PNG, white = near
  // (Studio.depth_png: the CLI's depth map file); 'not-held' as adjust
  depthPng: 'depthPng',
  // {photoId} -> {data: Uint8Array}: the held photo as a textured 3D mesh of its two layers, binary glTF (.glb),
  // with its current display depth (Studio.mesh_glb); 'not-held' as adjust
  meshGlb: 'meshGlb',
  // {photoId, strength, focus} -> {data: Uint8Array}: the held photo as a 3D photo in one HTML file, drawn with the
  // renderer's own march (Studio.photo_3d_html); 'not-held' as adjust
  photo3dHtml: 'photo3dHtml',
  // {file: ArrayBuffer} -> boolean: single-channel image, i.e. probably a depth map
  isDepthLike: 'isDepthLike',
});

// The edits of the held photo's depth. The page records each edit request it sends (PhotoFlow) so that a new
// worker can be given them again (open's `edits`); for that record to hold, an edit request the page gives up
// still makes its edit once it was sent (the worker skips only what it would show: parts and layers).
export const EDIT_OPS = Object.freeze(new Set([OPS.stroke, OPS.popOut, OPS.undo, OPS.redo, OPS.resetEdits]));

// Requests for tests and benchmarks only (window.diorama), never made by the app itself; the worker keeps their
// handlers apart (worker/test-ops.js).
export const TEST_OPS = Object.freeze({
  // {} -> {data: Float32Array (H*W), width, height}: the held photo's depth before post-processing, with its
  // edits (model output or the user's map, 0..1, 1 = near): for browser/CPython parity checks
  rawDepth: 'rawDepth',
  // {height, width, runs} -> {median, threads, runs}: the depth model's latency in ms (benchmarks)
  timeModel: 'timeModel',
  // {names: string[]} -> {failed: {name: message}, lateFetched: boolean}: imports Python modules by name and says
  // whether the standard library's late archive has been fetched (build.py split_stdlib)
  importModules: 'importModules',
  // {} -> {wasm: bytes of Pyodide's WebAssembly memory}: for the stamina measurements
  memory: 'memory',
});

// What went wrong, by code; every error a request ends with (and every refusal of the page's own) is a
// PipelineError with one of them. Its message is a whole sentence for people, shown as is.
export const ERRORS = Object.freeze({
  // bad input, refused with a message for people (a Python DioramaError, a file the worker can't decode, no
  // usable file among those dropped): the app goes on as before
  refused: 'refused',
  // the page gave the request up (it rejects with its AbortError itself; the worker ends the request with it)
  cancelled: 'cancelled',
  // a request about a photo the worker does not hold (a restarted worker): the page opens it again
  notHeld: 'not-held',
  // a lone image that looks like a depth map (open's askIfDepthMap): the page offers to show it as a photo
  depthMapAlone: 'depth-map-alone',
  // the worker stopped (crashed, hung, or out of memory) and was replaced: pending requests end with it
  crashed: 'crashed',
  // a bug: the message says so and asks to reload
  bug: 'bug',
});

export class PipelineError extends Error {
  /**
   * @param {string} code  one of ERRORS
   * @param {string} message  a sentence for people
   * @param {{fatal?: boolean}} [how]  fatal: the worker's runtime is broken (Pyodide ran out of memory or
   *        crashed): the client replaces the worker
   */
  constructor(code, message, { fatal = false } = {}) {
    super(message);
    this.name = 'PipelineError';
    this.code = code;
    this.fatal = fatal;
  }

  /** The error as a reply carries it (structured clone keeps no class). */
  toMessage() {
    return { code: this.code, message: this.message, fatal: this.fatal };
  }

  static fromMessage({ code, message, fatal }) {
    return new PipelineError(code, message, { fatal });
  }
}
