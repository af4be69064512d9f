// Photos Pillow can't decode in Pyodide, decoded in the worker (py/diorama/bridge.py decoder_needed says which):
// AVIF by the browser's own decoder (createImageBitmap), HEIC/HEIF by libheif-js (WebAssembly, loaded on the
// first HEIC only, so boot never pays for it). Either way the result is upright straight-alpha RGBA scaled to
// at most the working long side, for Studio.open_pixels: Python's heap never holds the full-size pixels.

const refusal = (message) => Object.assign(new Error(message), { expected: true });
const damaged = (name) => refusal(`This ${name} file is damaged or uses a variant Diorama can't decode; `
  + 'please open it in an image editor and export it again as JPEG or PNG.');
const tooLarge = (width, height, maxPixels) => refusal(`This image is too large (${width} x ${height} pixels, `
  + `${Math.round(width * height / 1e6)} megapixels); Diorama accepts at most ${Math.round(maxPixels / 1e6)} megapixels. `
  + 'Please scale it down (2048 pixels on the long side is plenty) and try again.');

// libheif-js's Emscripten module, once (build.py wraps libheif-wasm/libheif.js as an ES module next to its .wasm).
let libheif = null;
function loadLibheif() {
  libheif ??= import('../vendor/libheif/libheif.mjs').then(({ default: factory }) => new Promise((resolve, reject) => {
    factory({
      locateFile: (name) => new URL(`../vendor/libheif/${name}`, import.meta.url).href,
      // Emscripten calls it on the module (perhaps before factory() returns); wrapped so that the module
      // object is never mistaken for a promise
      onRuntimeInitialized() { resolve({ module: this }); },
      onAbort: (what) => reject(new Error(`libheif failed to start: ${what}`)),
    });
  })).catch((err) => {
    libheif = null; // a later HEIC tries again
    throw err;
  });
  return libheif.then(({ module }) => module);
}

// (width, height) scaled down so that the long side is at most longSide; never up (photo.py _fit).
function fit(width, height, longSide) {
  const scale = longSide / Math.max(width, height);
  if (scale >= 1) return [width, height];
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

// RGBA bytes of an ImageBitmap or ImageData, at most longSide long. The source is closed.
async function pixelsOf(source, longSide) {
  const [width, height] = fit(source.width, source.height, longSide);
  if (source instanceof ImageData && width === source.width && height === source.height) {
    return { rgba: source.data, width, height };
  }
  let bitmap = source;
  if (width !== source.width || height !== source.height) {
    bitmap = await createImageBitmap(source, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
    source.close?.();
  }
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close?.();
  return { rgba: context.getImageData(0, 0, width, height).data, width, height };
}

async function decodeNative(bytes, type, name, longSide, maxPixels) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes], { type }), { imageOrientation: 'from-image' });
  } catch {
    throw damaged(name);
  }
  if (bitmap.width * bitmap.height > maxPixels) {
    bitmap.close();
    throw tooLarge(bitmap.width, bitmap.height, maxPixels);
  }
  return pixelsOf(bitmap, longSide);
}

async function decodeHeic(bytes, longSide, maxPixels) {
  const heif = await loadLibheif();
  const decoder = new heif.HeifDecoder();
  let images = [];
  try {
    images = decoder.decode(bytes);
    const image = images.find((candidate) => candidate.is_primary()) ?? images[0];
    if (!image) throw damaged('HEIC');
    const [width, height] = [image.get_width(), image.get_height()]; // upright: libheif applies irot/imir
    if (width * height > maxPixels) throw tooLarge(width, height, maxPixels);
    const full = new ImageData(width, height);
    const decoded = await new Promise((resolve) => image.display(full, resolve));
    if (!decoded) throw damaged('HEIC');
    return await pixelsOf(full, longSide);
  } finally {
    for (const image of images) image.free();
    if (decoder.decoder) heif.heif_context_free(decoder.decoder);
  }
}

// {rgba: Uint8ClampedArray, width, height} of a file of `kind` ('avif' or 'heic', from decoder_needed).
export function decodePhoto(kind, bytes, longSide, maxPixels) {
  if (kind === 'avif') return decodeNative(bytes, 'image/avif', 'AVIF', longSide, maxPixels);
  if (kind === 'heic') return decodeHeic(bytes, longSide, maxPixels);
  throw new Error(`no decoder for ${kind}`);
}
