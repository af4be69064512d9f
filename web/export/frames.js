// Frames for the exports, rendered offline: each pose is drawn into a render target of the output's own size
// (viewer.offscreen) when its turn comes, however long that takes, so a file holds exactly the frames asked for
// whatever the machine's speed and window size. The view on screen stays as it is meanwhile.
//
//   const size = fitSize(photo, SIZES['1080p']);          // {width, height}, even, never above the photo's
//   const poses = loopPoses(readPreset(), options, 30);    // one loop of the motion preset, phase i / n
//   for await (const {pixels, index} of renderPoses(viewer, poses, size, context)) ...
import { DEFAULT_PRESET_OPTIONS, PRESETS } from '../ui/presets.js';

/** Output size caps, {long, short} px: 1080p and 4K boxes, whichever way round the photo is. */
export const SIZES = Object.freeze({ '1080p': { long: 1920, short: 1080 }, '4k': { long: 3840, short: 2160 } });

/** An option that must be one of `choices` (a plain-words TypeError otherwise). */
export function choice(name, value, choices)
{
    if (!choices.includes(value)) throw new TypeError(`${name} must be one of ${choices.join(', ')}; got ${value}.`);

    return value;
}

/** An option that must be a number in lo..hi (a plain-words TypeError otherwise). */
export function number(name, value, lo, hi)
{
    const v = Number(value);

    if (value === null || value === '' || !Number.isFinite(v) || v < lo || v > hi)
    {
        throw new TypeError(`${name} must be a number from ${lo} to ${hi}; got ${value}.`);
    }

    return v;
}

/**
 * The photo's size scaled down (never up) to fit a box, in even pixels (video encoders need them).
 * @param {{width: number, height: number}} photo
 * @param {{long: number, short?: number}} box  the most px on the long side and on the short side
 * @returns {{width: number, height: number}}
 */
export function fitSize({ width, height }, { long, short = long })
{
    const k = Math.min(1, long / Math.max(width, height), short / Math.min(width, height));
    const even = (v) => Math.max(2, 2 * Math.floor((v * k) / 2));

    return { width: even(width), height: even(height) };
}

/**
 * One loop of a motion preset, frame i at phase i / n exactly (frame n would be frame 0 again: the loop joins).
 * The preset, amplitude and loop length default to the page's motion controls (readPreset), then 'circle'.
 * @param {{name: string, amplitude: number, seconds: number}} fromPage  context.readPreset()
 * @param {{preset?: string, amplitude?: number, seconds?: number}} options
 * @param {number} fps
 * @returns {object[]} n = round(seconds * fps) poses {x, y, zoom, magnify}
 */
export function loopPoses(fromPage, options, fps)
{
    const name = choice('preset', options.preset ?? (fromPage.name || 'circle'), Object.keys(PRESETS));
    const amplitude = number('amplitude', options.amplitude ?? fromPage.amplitude ?? DEFAULT_PRESET_OPTIONS.amplitude, 0, 1);
    const seconds = number('seconds', options.seconds ?? fromPage.seconds ?? DEFAULT_PRESET_OPTIONS.seconds, 0.5, 30);
    const n = Math.max(1, Math.round(seconds * fps));
    const path = PRESETS[name];

    return Array.from({ length: n }, (_, i) => path(i / n, amplitude));
}

/**
 * Render poses one by one into a target of `size`, yielding each frame's RGBA bytes (top row first). Checks the
 * signal before each frame (an AbortError ends it) and reports progress after it.
 * @param {object} viewer
 * @param {object[]} poses  {x, y, zoom, magnify} (ui/presets.js)
 * @param {{width: number, height: number}} size
 * @param {{signal?: AbortSignal, onProgress?: (fraction: number) => void, share?: number}} context
 *        share: the part of the whole export's progress these frames make, from 0 (default all of it)
 */
export async function* renderPoses(viewer, poses, size, { signal, onProgress = () => {}, share = 1 } = {})
{
    const target = viewer.offscreen(size.width, size.height);

    try
    {
        for (let index = 0; index < poses.length; index++)
        {
            signal?.throwIfAborted();
            yield { pixels: target.render(poses[index]), index };
            onProgress((share * (index + 1)) / poses.length);
        }
    }
    finally
    {
        target.destroy();
    }
}

/** One frame of a pose at `size`: RGBA bytes, top row first. */
export async function renderPose(viewer, pose, size)
{
    for await (const { pixels } of renderPoses(viewer, [pose], size)) return pixels;

    return null;
}
