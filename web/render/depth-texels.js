// The one depth format of the page: grey RGBA texels, made in one place, py/diorama/depthmap.py depth_texels
// (in the worker for every photo; in build.py for the bundled sample's preview).
//
//   {data: Uint8Array(W*H*4), width, height, near, far}
//   data   R = G = B = the depth byte (255 = near, 0 = far), A = 255; rows top first, no padding.
//          The renderer uploads it as it is (a valid "layers" texture: front depth R = back depth G).
//   near   the largest depth byte / 255; far: the smallest / 255 (the span the renderer marches).
//
// Every consumer (viewer, renderer, export, main.js) reads depth through this format and these helpers.

/** 1x1 flat placeholder (no depth map yet): the renderer holds the parallax at 0 for it. */
export const FLAT_DEPTH = Object.freeze({
    data: new Uint8Array([128, 128, 128, 255]),
    width: 1,
    height: 1,
    near: 128 / 255,
    far: 128 / 255,
});

/**
 * Check that `depth` is in the texel format; returns it.
 * @param {{data: Uint8Array, width: number, height: number, near: number, far: number}} depth
 * @throws {TypeError} naming what is wrong (size, length, near/far)
 */
export function checkDepthTexels(depth) {
    const ok = depth && Number.isInteger(depth.width) && Number.isInteger(depth.height)
        && depth.width > 0 && depth.height > 0;

    if (!ok) throw new TypeError('depth needs positive integer width and height');
    const { data, width, height } = depth;

    if (!(data instanceof Uint8Array) || data.length !== width * height * 4) {
        throw new TypeError(`depth.data must be grey RGBA texels: a Uint8Array of ${width}*${height}*4 = `
            + `${width * height * 4} bytes (R = G = B = depth, 255 = near, A = 255), got `
            + `${data ? `${data.constructor?.name} of ${data.length}` : data}`);
    }
    if (!(depth.near >= 0 && depth.near <= 1 && depth.far >= 0 && depth.far <= depth.near)) {
        throw new TypeError(`depth.near and depth.far must be the largest and smallest depth in 0..1 `
            + `(far <= near), got near ${depth.near}, far ${depth.far}`);
    }

    return depth;
}

/** Depth (0 far .. 1 near) of texel (x, y), clamped to the map. */
export function depthTexelAt(depth, x, y) {
    const cx = Math.min(depth.width - 1, Math.max(0, Math.floor(x)));
    const cy = Math.min(depth.height - 1, Math.max(0, Math.floor(y)));

    return depth.data[(cy * depth.width + cx) * 4] / 255;
}

/** Every depth as a Float32Array (W*H, 0 far .. 1 near, top row first). */
export function depthValues(depth) {
    const n = depth.width * depth.height;
    const out = new Float32Array(n);

    for (let i = 0; i < n; i++) out[i] = depth.data[i * 4] / 255;

    return out;
}
