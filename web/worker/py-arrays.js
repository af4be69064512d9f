// Python -> JavaScript arrays in the worker: a NumPy array is copied out of wasm memory once, then its view
// and proxy are freed (never toJs() on arrays).

/** {data: TypedArray copy, shape} of a NumPy array proxy, which this destroys. */
export function takeArray(pyArray) {
  const view = pyArray.getBuffer();
  try {
    return { data: view.data.slice(), shape: view.shape };
  } finally {
    view.release();
    pyArray.destroy();
  }
}

/** Depth texels from Python's (texels, near, far) (py/diorama/depthmap.py depth_texels), a proxy this destroys. */
export function takeTexels(out) {
  try {
    const { data, shape: [height, width] } = takeArray(out.get(0));
    return { data, width, height, near: out.get(1), far: out.get(2) };
  } finally {
    out.destroy();
  }
}
