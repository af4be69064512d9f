// The message API between the page and the pipeline worker, shared by both sides.
//
// page -> worker   {id, op, args}                 op is one of OPS
// worker -> page   {id, result} | {id, error}     the reply to one request (error: {message, expected})
// worker -> page   {progress: {stage, text, fraction}}   boot / model-loading progress, side channel
//
// `expected` is true for bad input (a DioramaError with a message for people), false for bugs.
export const OPS = Object.freeze({
  // {photo: ArrayBuffer, depth: ArrayBuffer|null, options} -> {width, height, rgba, depth, source, timings}
  open: 'open',
  // {options} -> {width, height, depth}: re-post-process the current depth (sliders, invert)
  adjust: 'adjust',
  // {file: ArrayBuffer} -> boolean: single-channel image, i.e. probably a depth map
  isDepthLike: 'isDepthLike',
});

export const DEFAULT_OPTIONS = Object.freeze({ invert: false, contrast: 5, smoothing: 1 });
