// Frames for the exports, rendered offline: each pose is drawn into a render target of the output's own size
// (viewer.offscreen) when its turn comes, however long that takes, so a file holds exactly the frames asked for
// whatever the machine's speed and window size. The view on screen stays as it is meanwhile.
//
//   const size = fitSize(photo, VIDEO_BOXES['1080p']);    // {width, height}, even, never above the photo's
//                                                         // (VIDEO_BOXES: options.js, from export_kinds.py)
//   const poses = loopPoses(options, 30);                 // one loop of the motion preset, phase i / n
//   for await (const {pixels, index} of renderPoses(viewer, poses, size, context)) ...
import { PRESETS } from '../motion/presets.js';

/**
 * The photo's size scaled down (never up) to fit a box, in even pixels (video encoders need them).
 * @param {{width: number, height: number}} photo
 * @param {{long: number, short?: number}} box  the most px on the long side and on the short side
 * @returns {{width: number, height: number}}
 */
export function fitSize({ width, height }, { long, short = long }) {
    const k = Math.min(1, long / Math.max(width, height), short / Math.min(width, height));
    const even = (v) => Math.max(2, 2 * Math.floor((v * k) / 2));

    return { width: even(width), height: even(height) };
}

/**
 * One loop of a motion preset, frame i at phase i / n exactly (frame n would be frame 0 again: the loop joins).
 * @param {{preset: string, amplitude: number, seconds: number}} options  checked (kinds.js: the page's motion
 *        controls unless given)
 * @param {number} fps
 * @returns {object[]} n = round(seconds * fps) poses {x, y, zoom, magnify}
 */
export function loopPoses({ preset, amplitude, seconds }, fps) {
    const n = Math.max(1, Math.round(seconds * fps));

    return Array.from({ length: n }, (_, i) => PRESETS[preset](i / n, amplitude));
}

/**
 * Render poses one by one into a target of `size`, yielding each frame's RGBA bytes (top row first). Checks the
 * signal before each frame (an AbortError ends it) and reports progress after it.
 * @param {object} viewer
 * @param {object[]} poses  {x, y, zoom, magnify} (motion/presets.js)
 * @param {{width: number, height: number}} size
 * @param {{signal?: AbortSignal, onProgress?: (fraction: number) => void, share?: number}} context
 *        share: the part of the whole export's progress these frames make, from 0 (default all of it)
 */
export async function* renderPoses(viewer, poses, size, { signal, onProgress = () => {}, share = 1 } = {}) {
    const target = viewer.offscreen(size.width, size.height);

    try {
        for (let index = 0; index < poses.length; index++) {
            signal?.throwIfAborted();
            yield { pixels: target.render(poses[index]), index };
            onProgress((share * (index + 1)) / poses.length);
        }
    } finally {
        target.destroy();
    }
}

/** One frame of a pose at `size`: RGBA bytes, top row first. */
export async function renderPose(viewer, pose, size) {
    for await (const { pixels } of renderPoses(viewer, [pose], size)) return pixels;

    return null;
}
