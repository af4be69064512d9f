// Stereo kinds, from two views of the photo `baseline` apart in the viewer's view-offset units (the left eye at
// x = -baseline / 2, the right at +baseline / 2; 1 = the parallax of a full view offset):
//   'sbs'       side by side: layout 'full' (each eye at the photo's size, twice as wide) or 'half' (each squeezed to
//               half width, the photo's size: what 3D TVs and many VR players expect); order 'parallel' (left eye's
//               view on the left, for viewers and free viewing with parallel eyes) or 'cross' (swapped, cross-eyed)
//   'anaglyph'  one red-cyan image, mixed with Dubois' least-squares matrices (not a plain channel swap)
//   'wiggle'    2 or 3 views shown back and forth (L R or L C R C), as a GIF or a short looping MP4/WebM
//
//   await EXPORTERS.sbs(context, {baseline: 1, layout: 'full', order: 'parallel', format: 'png'})
import { VIDEO_BOXES } from '../options.js';
import { fitSize, renderPoses } from './frames.js';
import { encodeGif, renderAll } from './gif.js';
import { fileName } from './kinds.js';
import { encodeVideo, pickCodec } from './video.js';
import { imageBlob } from './still.js';

/**
 * Red-cyan anaglyph matrices for the left and right views (rows: output R, G, B; columns: input R, G, B), applied
 * to linear RGB: E. Dubois, "Conversion of a Stereo Pair to Anaglyph with the Least-Squares Projection Method"
 * (March 2009, https://www.site.uottawa.ca/~edubois/anaglyph/LeastSquaresHowToPhotoshop.pdf), the red-cyan pair;
 * the method itself: E. Dubois, "A projection method to generate anaglyph stereo images", ICASSP 2001.
 */
export const DUBOIS_RED_CYAN = Object.freeze({
    left: [0.437, 0.449, 0.164, -0.062, -0.062, -0.024, -0.048, -0.050, -0.017],
    right: [-0.011, -0.032, -0.007, 0.377, 0.761, 0.009, -0.026, -0.093, 1.234],
});

/** sRGB byte -> linear 0..1 */
const LINEAR = Float32Array.from({ length: 256 }, (_, v) => {
    const c = v / 255;

    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});
/** Linear 0..1 in 4096 steps -> sRGB byte */
const ENCODE_STEPS = 4096;
const ENCODE = Uint8ClampedArray.from({ length: ENCODE_STEPS + 1 }, (_, i) => {
    const c = i / ENCODE_STEPS;

    return Math.round(255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055));
});

/**
 * A red-cyan anaglyph of two RGBA views: out = left matrix x left + right matrix x right, in linear light.
 * @param {Uint8ClampedArray} left  RGBA
 * @param {Uint8ClampedArray} right  RGBA, same size
 * @param {{left: number[], right: number[]}} [matrices]  3x3 each, row-major
 * @returns {Uint8ClampedArray} RGBA, opaque
 */
export function anaglyphPixels(left, right, { left: l, right: r } = DUBOIS_RED_CYAN) {
    const out = new Uint8ClampedArray(left.length);
    const encode = (v) => ENCODE[Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * ENCODE_STEPS)];

    for (let p = 0; p < left.length; p += 4) {
        const lr = LINEAR[left[p]], lg = LINEAR[left[p + 1]], lb = LINEAR[left[p + 2]];
        const rr = LINEAR[right[p]], rg = LINEAR[right[p + 1]], rb = LINEAR[right[p + 2]];

        out[p] = encode(l[0] * lr + l[1] * lg + l[2] * lb + r[0] * rr + r[1] * rg + r[2] * rb);
        out[p + 1] = encode(l[3] * lr + l[4] * lg + l[5] * lb + r[3] * rr + r[4] * rg + r[5] * rb);
        out[p + 2] = encode(l[6] * lr + l[7] * lg + l[8] * lb + r[6] * rr + r[7] * rg + r[8] * rb);
        out[p + 3] = 255;
    }

    return out;
}

/** Poses of the left and right eyes, `baseline` apart about the rest view. */
export function eyePoses(baseline) {
    return [-baseline / 2, baseline / 2].map((x) => ({ x, y: 0, zoom: 0, magnify: 0 }));
}

/** The two eyes' views at `size`: [left, right] RGBA. */
async function renderEyes(context, baseline, size) {
    const eyes = [];

    for await (const { pixels } of renderPoses(context.viewer, eyePoses(baseline), size, context)) eyes.push(pixels);

    return eyes;
}

const photoSize = ({ viewer }) => ({ width: viewer.shown.photo.width, height: viewer.shown.photo.height });

export async function sbs(context, options) {
    const { layout, order, format, quality } = options;
    const size = photoSize(context);
    const [left, right] = await renderEyes(context, options.baseline, size);
    const eyeWidth = layout === 'full' ? size.width : Math.round(size.width / 2);
    const canvas = new OffscreenCanvas(2 * eyeWidth, size.height);
    const ctx = canvas.getContext('2d');
    const eye = new OffscreenCanvas(size.width, size.height);

    (order === 'parallel' ? [left, right] : [right, left]).forEach((pixels, i) => {
        eye.getContext('2d').putImageData(new ImageData(pixels, size.width, size.height), 0, 0);
        ctx.drawImage(eye, i * eyeWidth, 0, eyeWidth, size.height);   // 'half' squeezes each view
    });
    const out = ctx.getImageData(0, 0, canvas.width, canvas.height).data;

    return { name: fileName('sbs', options), blob: await imageBlob(out, canvas, format, quality) };
}

export async function anaglyph(context, options) {
    const { format, quality } = options;
    const size = photoSize(context);
    const [left, right] = await renderEyes(context, options.baseline, size);

    return { name: fileName('anaglyph', options), blob: await imageBlob(anaglyphPixels(left, right), size, format, quality) };
}

/** A wiggle video is this long at least (its cycle repeated): shorter clips are refused by some sites. */
const WIGGLE_VIDEO_SECONDS = 3;
const WIGGLE_VIDEO_FPS = 30;

export async function wiggle(context, options) {
    const { views, hold, format } = options;   // hold: the seconds each view shows
    const [left, right] = eyePoses(options.baseline);
    const cycle = views === 2 ? [left, right] : [left, { ...left, x: 0 }, right, { ...left, x: 0 }];
    const { photo } = context.viewer.shown;

    if (format === 'gif') {
        const size = fitSize(photo, { long: options.size });
        const frames = await renderAll(context.viewer, cycle, size, context, 0.9);
        const blob = encodeGif(frames, size, cycle.map(() => hold * 1000));

        context.onProgress(1);

        return { name: fileName('wiggle', options), blob };
    }
    const size = fitSize(photo, VIDEO_BOXES['1080p']);
    const perView = Math.max(1, Math.round(hold * WIGGLE_VIDEO_FPS));
    const cycles = Math.max(1, Math.ceil((WIGGLE_VIDEO_SECONDS * WIGGLE_VIDEO_FPS) / (perView * cycle.length)));
    const codec = await pickCodec(format, size, WIGGLE_VIDEO_FPS);
    // each view is rendered once and its pixels repeated: the encoder gets perView x cycles frames of it
    const frames = await renderAll(context.viewer, cycle, size, context, 0.5);

    async function* repeated() {
        for (let c = 0; c < cycles; c++) for (const pixels of frames) for (let k = 0; k < perView; k++) yield { pixels };
    }

    const blob = await encodeVideo(format, repeated(), size, WIGGLE_VIDEO_FPS, codec);

    context.onProgress(1);

    return { name: fileName('wiggle', options), blob };
}
