// Photos Pillow can't decode in Pyodide, decoded in the worker (py/diorama/bridge.py decoder_needed says which):
// AVIF by the browser's own decoder (createImageBitmap), HEIC/HEIF by libheif-js (WebAssembly, loaded on the
// first HEIC only, so boot never pays for it). Either way the result is upright straight-alpha RGBA scaled to
// at most the working long side, for Studio.open_pixels: Python's heap never holds the full-size pixels.
import { ERRORS, PipelineError } from './protocol.js';

const refusal = (message) => new PipelineError(ERRORS.refused, message);
const damaged = (name) => refusal(`This ${name} file is damaged or uses a variant Diorama can't decode; `
  + 'please open it in an image editor and export it again as JPEG or PNG.');
// photo.py's message, with its limits (bridge.decoder_needed: MAX_PIXELS, WORKING_LONG_SIDE)
const tooLarge = (width, height, maxPixels, longSide) => refusal(`This image is too large (${width} x ${height} pixels, `
  + `${Math.round(width * height / 1e6)} megapixels); Diorama accepts at most ${Math.round(maxPixels / 1e6)} megapixels. `
  + `Please scale it down (${longSide} pixels on the long side is plenty) and try again.`);

// libheif-js's Emscripten module, once (build.py wraps libheif-wasm/libheif.js as an ES module next to its .wasm).
let libheif = null;
let libheifModule = null; // once started: its heap counts towards the worker's memory (heapBytes)
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
  return libheif.then(({ module }) => (libheifModule = module));
}

/** Bytes of WebAssembly memory the HEIC decoder holds (0 before the first HEIC): its heap only grows. */
export function heapBytes() {
  return libheifModule?.HEAPU8?.length ?? 0;
}

// libheif's C API where libheif-js has no JavaScript wrapper (depth images, entity groups). Functions that
// return a struct heif_error take a pointer to it first (the wasm32 C ABI); `with` frees what it allocates.
const STER = 0x73746572; // 'ster': an entity group of a stereo pair, left view first (ISO/IEC 23008-12)
function withMemory(heif, bytes, use) {
  const pointer = heif._malloc(bytes);
  try {
    return use(pointer);
  } finally {
    heif._free(pointer);
  }
}

// The primary image's depth image as samples for Studio.attach_heif_depth (an iPhone portrait HEIC's
// auxiliary depth), or null. heif_depth_representation_info: 5 bytes of flags, doubles z_near at 8, z_far at
// 16 (d_min at 24, d_max at 32), the representation type at 40.
function depthImage(heif, primary) {
  if (!heif._heif_image_handle_has_depth_image(primary)) return null;
  return withMemory(heif, 32, (scratch) => {
    const [error, out, stride] = [scratch, scratch + 16, scratch + 24];
    if (heif._heif_image_handle_get_list_of_depth_image_IDs(primary, out, 1) < 1) return null;
    const id = heif.HEAPU32[out >> 2];
    let representation = null;
    let [zNear, zFar] = [null, null];
    if (heif._heif_image_handle_get_depth_image_representation_info(primary, id, out)) {
      const info = heif.HEAPU32[out >> 2];
      const view = new DataView(heif.HEAPU8.buffer);
      if (heif.HEAPU8[info + 1]) zNear = view.getFloat64(info + 8, true);
      if (heif.HEAPU8[info + 2]) zFar = view.getFloat64(info + 16, true);
      representation = view.getUint32(info + 40, true);
      heif._heif_depth_representation_info_free(info);
    }
    heif._heif_image_handle_get_depth_image_handle(error, primary, id, out);
    if (heif.HEAP32[error >> 2] !== 0) return null;
    const handle = heif.HEAPU32[out >> 2];
    try {
      // monochrome colourspace and chroma (2, 0): one plane, channel Y (0)
      heif._heif_decode_image(error, handle, out, 2, 0, 0);
      if (heif.HEAP32[error >> 2] !== 0) return null;
      const image = heif.HEAPU32[out >> 2];
      try {
        const [width, height] = [heif._heif_image_get_width(image, 0), heif._heif_image_get_height(image, 0)];
        const bits = heif._heif_image_get_bits_per_pixel_range(image, 0);
        const plane = heif._heif_image_get_plane_readonly(image, 0, stride);
        const rowBytes = width * (bits > 8 ? 2 : 1);
        const values = new Uint8Array(rowBytes * height);
        const pitch = heif.HEAP32[stride >> 2];
        for (let y = 0; y < height; y++) values.set(heif.HEAPU8.subarray(plane + y * pitch, plane + y * pitch + rowBytes), y * rowBytes);
        return { values, width, height, bits, representation, zNear, zFar };
      } finally {
        heif._heif_image_release(image);
      }
    } finally {
      heif._heif_image_handle_release(handle);
    }
  });
}

// [left id, right id] of the file's stereo pair (an Apple spatial photo), or null.
function stereoPair(heif, context) {
  return withMemory(heif, 4, (count) => {
    const groups = heif._heif_context_get_entity_groups(context, STER, 0, count);
    if (!groups) return null;
    try {
      const entities = heif.HEAPU32[(groups + 8) >> 2];
      return heif.HEAPU32[(groups + 12) >> 2] === 2 ? Array.from(heif.HEAPU32.subarray(entities >> 2, (entities >> 2) + 2)) : null;
    } finally {
      heif._heif_entity_groups_release(groups, heif.HEAP32[count >> 2]);
    }
  });
}

// One decoded top-level image as upright RGBA at most longSide long.
async function pixelsOfHeif(image, longSide, maxPixels) {
  const [width, height] = [image.get_width(), image.get_height()]; // upright: libheif applies irot/imir
  if (width * height > maxPixels) throw tooLarge(width, height, maxPixels, longSide);
  const full = new ImageData(width, height);
  const decoded = await new Promise((resolve) => image.display(full, resolve));
  if (!decoded) throw damaged('HEIC');
  return pixelsOf(full, longSide);
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
    throw tooLarge(bitmap.width, bitmap.height, maxPixels, longSide);
  }
  return pixelsOf(bitmap, longSide);
}

// The photo of a HEIC file, with what it records about depth: `depth` (its depth image, for
// Studio.attach_heif_depth) or `secondView` (the right view of a stereo pair whose left view is the photo,
// for Studio.attach_second_view). A damaged depth image or second view is left out: the photo still opens.
async function decodeHeic(bytes, longSide, maxPixels) {
  const heif = await loadLibheif();
  const decoder = new heif.HeifDecoder();
  let images = [];
  try {
    images = decoder.decode(bytes);
    const ids = images.length ? heif.heif_js_context_get_list_of_top_level_image_IDs(decoder.decoder) : [];
    const pair = images.length === ids.length ? stereoPair(heif, decoder.decoder.$$.ptr) : null;
    const [left, right] = pair ? pair.map((id) => images[ids.indexOf(id)]) : [];
    const image = left ?? images.find((candidate) => candidate.is_primary()) ?? images[0];
    if (!image) throw damaged('HEIC');
    const photo = await pixelsOfHeif(image, longSide, maxPixels);
    if (right) {
      photo.secondView = await pixelsOfHeif(right, longSide, maxPixels).catch(() => null);
    } else {
      try {
        photo.depth = depthImage(heif, image.handle.$$.ptr);
      } catch {
        photo.depth = { values: new Uint8Array(0), width: 0, height: 0, bits: 8 }; // damaged: Python says so
      }
    }
    return photo;
  } finally {
    for (const image of images) image.free();
    if (decoder.decoder) heif.heif_context_free(decoder.decoder);
  }
}

// {rgba: Uint8ClampedArray, width, height, depth?, secondView?} of a file of `kind` ('avif' or 'heic', from decoder_needed).
export function decodePhoto(kind, bytes, longSide, maxPixels) {
  if (kind === 'avif') return decodeNative(bytes, 'image/avif', 'AVIF', longSide, maxPixels);
  if (kind === 'heic') return decodeHeic(bytes, longSide, maxPixels);
  throw new Error(`no decoder for ${kind}`);
}
