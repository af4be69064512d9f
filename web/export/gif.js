// Kind 'gif': one loop of the motion preset as an animated GIF that loops forever, rendered offline like the videos.
// GIF has 256 colours: one palette is chosen over all frames (pixels sampled from every frame, gifenc's quantizer)
// and written once as the global colour table, and every frame is mapped onto it with ordered (Bayer) dithering, so
// skies and other gradients do not band. Ordered rather than error-diffusion dithering: its pattern is fixed to the
// pixel grid, so parts of the scene that hold still stay identical from frame to frame instead of crawling.
//
//   await EXPORTERS.gif(context, {size: 480, fps: 20, preset, amplitude, seconds})   // size: the long side, px
import { GIFEncoder, quantize } from '../vendor/gifenc.mjs';
import { fitSize, loopPoses, renderPoses } from './frames.js';
import { fileName } from './kinds.js';

/** Pixels sampled over all frames to choose the palette (a spread sample of each frame). */
const PALETTE_SAMPLES = 1 << 18;
/** Bayer 8x8 threshold matrix (values 0..63). */
const BAYER = [
    0, 32, 8, 40, 2, 34, 10, 42, 48, 16, 56, 24, 50, 18, 58, 26, 12, 44, 4, 36, 14, 46, 6, 38, 60, 28, 52, 20, 62, 30, 54, 22,
    3, 35, 11, 43, 1, 33, 9, 41, 51, 19, 59, 27, 49, 17, 57, 25, 15, 47, 7, 39, 13, 45, 5, 37, 63, 31, 55, 23, 61, 29, 53, 21,
];
/** Dither amplitude, levels of 255: a little over the spacing of a 256-colour palette along a sky's gradient. */
const DITHER_SPREAD = 24;

/**
 * One palette for all frames: gifenc's quantizer over pixels sampled evenly from every frame.
 * @param {Uint8ClampedArray[]} frames  RGBA, same size
 * @returns {number[][]} up to 256 [r, g, b]
 */
export function sharedPalette(frames) {
    const pixels = frames[0].length / 4;
    const step = Math.max(1, Math.floor((pixels * frames.length) / PALETTE_SAMPLES));
    const perFrame = Math.ceil(pixels / step);
    const samples = new Uint8Array(perFrame * frames.length * 4);
    const words = new Uint32Array(samples.buffer);
    let n = 0;

    for (const frame of frames) {
        const source = new Uint32Array(frame.buffer, frame.byteOffset, pixels);
        // a per-frame offset, so the frames are not all sampled on the same pixel lattice
        for (let i = n % step; i < pixels; i += step) words[n++] = source[i];
    }

    return quantize(samples.subarray(0, n * 4), 256, { format: 'rgb565' });
}

/**
 * Map RGBA pixels onto a palette with 8x8 ordered dithering.
 * @param {Uint8ClampedArray} rgba  width * height * 4
 * @param {number} width
 * @param {number[][]} palette  [r, g, b]
 * @param {Int16Array} nearest  a 2^18 cache, -1 = not yet known: 6-bit RGB -> nearest palette index (kept per palette)
 * @returns {Uint8Array} palette indices, width * height
 */
export function ditherToPalette(rgba, width, palette, nearest) {
    const count = rgba.length / 4;
    const index = new Uint8Array(count);
    const clamp6 = (v) => (v < 0 ? 0 : v > 255 ? 63 : v >> 2);

    for (let p = 0, x = 0, y = 0; p < count; p++) {
        const t = ((BAYER[((y & 7) << 3) | (x & 7)] + 0.5) / 64 - 0.5) * DITHER_SPREAD;
        const key = (clamp6(rgba[4 * p] + t) << 12) | (clamp6(rgba[4 * p + 1] + t) << 6) | clamp6(rgba[4 * p + 2] + t);
        let best = nearest[key];

        if (best < 0) {
            best = closest(palette, ((key >> 12) << 2) + 2, (((key >> 6) & 63) << 2) + 2, ((key & 63) << 2) + 2);
            nearest[key] = best;
        }
        index[p] = best;
        if (++x === width) { x = 0; y++; }
    }

    return index;
}

function closest(palette, r, g, b) {
    let best = 0;
    let bestDistance = Infinity;

    for (let i = 0; i < palette.length; i++) {
        const [pr, pg, pb] = palette[i];
        const d = (pr - r) ** 2 + (pg - g) ** 2 + (pb - b) ** 2;

        if (d < bestDistance) { bestDistance = d; best = i; }
    }

    return best;
}

/**
 * An animated GIF, looping forever, of RGBA frames on one global palette.
 * @param {Uint8ClampedArray[]} frames  RGBA, size.width x size.height each
 * @param {{width: number, height: number}} size
 * @param {number[]} delays  ms per frame (GIF keeps hundredths of a second)
 * @returns {Blob} image/gif
 */
export function encodeGif(frames, size, delays) {
    const palette = sharedPalette(frames);
    const nearest = new Int16Array(1 << 18).fill(-1);
    const gif = GIFEncoder();

    frames.forEach((frame, i) => {
        // the palette goes with the first frame only: gifenc writes it as the global colour table
        gif.writeFrame(ditherToPalette(frame, size.width, palette, nearest), size.width, size.height,
            { delay: delays[i], repeat: 0, ...(i === 0 ? { palette } : {}) });
    });
    gif.finish();

    return new Blob([gif.bytes()], { type: 'image/gif' });
}

/** The most bytes of frames a GIF export holds at once (its palette needs them all). */
const FRAME_BUDGET = 512 * 2 ** 20;

/** Render poses at `size` and keep every frame (a GIF's palette needs them all); progress up to `share`. */
export async function renderAll(viewer, poses, size, context, share) {
    const frames = [];
    const bytes = poses.length * size.width * size.height * 4;

    if (bytes > FRAME_BUDGET) {
        throw new Error(`A GIF of ${poses.length} frames at ${size.width} x ${size.height} is too big to make here `
            + `(${Math.round(bytes / 2 ** 20)} MB of frames). Choose a smaller size, fewer frames a second or a shorter loop.`);
    }

    for await (const { pixels } of renderPoses(viewer, poses, size, { ...context, share })) frames.push(pixels);

    return frames;
}

export async function gif(context, options) {
    const { viewer } = context;
    const { fps } = options;
    const size = fitSize(viewer.shown.photo, { long: options.size });
    const poses = loopPoses(options, fps);
    const frames = await renderAll(viewer, poses, size, context, 0.9);
    const blob = encodeGif(frames, size, poses.map(() => 1000 / fps));

    context.onProgress(1);

    return { name: fileName('gif', options), blob };
}
