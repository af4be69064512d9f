// Export, all client-side: the animation as a looping WebM video (MediaRecorder on a canvas stream,
// at the photo's aspect), the depth map as PNG, and the Facebook 3D photo pair photo.jpg +
// photo_depth.png. Nothing leaves the device; files are handed to the browser as downloads.
//
//   const blob = await recordLoop(viewer, {preset, amplitude, seconds, fps, maxSide});   // video/webm
//   const png = await depthPng(viewer.shown.depth);                                       // image/png
//   const {photo, depth} = await facebookPair(viewer.shown);                              // jpeg + png
//   download(blob, 'diorama.webm');
import { checkDepthTexels } from '../render/depth-texels.js';
import { PRESETS, applyPose } from './presets.js';

const VIDEO_TYPES = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'];

function canvasOf(width, height)
{
    const canvas = document.createElement('canvas');

    canvas.width = width;
    canvas.height = height;

    return canvas;
}

const toBlob = (canvas, type, quality) => new Promise((resolve, reject) =>
{
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error(`could not encode ${type}`))), type, quality);
});

/**
 * Record one loop of a motion preset as WebM. Frames are drawn as the clock runs (MediaRecorder
 * timestamps frames by wall time), at most `fps` a second, each rendered for its exact phase and copied
 * from the photo's box of the viewer's canvas into a canvas of the photo's aspect (so the letterbox never
 * shows), then handed to the stream with requestFrame(). On a slow GPU the video has fewer frames, never
 * a longer or shorter loop.
 * @param {object} viewer
 * @param {{preset?: string, amplitude?: number, seconds?: number, fps?: number, maxSide?: number,
 *          bitsPerSecond?: number}} [options]
 * @returns {Promise<Blob>} video/webm
 */
export async function recordLoop(viewer, options = {})
{
    const o = { preset: 'circle', amplitude: 0.8, seconds: 4, fps: 30, maxSide: 1080, bitsPerSecond: 8e6, ...options };
    const path = PRESETS[o.preset];

    if (!path) throw new TypeError(`unknown preset ${o.preset}`);
    if (typeof MediaRecorder === 'undefined') throw new Error('This browser cannot record video (no MediaRecorder).');
    const type = VIDEO_TYPES.find((t) => MediaRecorder.isTypeSupported(t));

    if (!type) throw new Error('This browser cannot record WebM video.');
    const box = viewer.photoBox();
    const k = Math.min(1, o.maxSide / Math.max(box.width, box.height));
    // even sizes: VP8/VP9 encoders prefer them
    const out = canvasOf(Math.max(2, 2 * Math.round((box.width * k) / 2)), Math.max(2, 2 * Math.round((box.height * k) / 2)));
    const ctx = out.getContext('2d');
    const stream = out.captureStream(0);              // frames on request: exactly one per draw
    const track = stream.getVideoTracks()[0];
    const recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: o.bitsPerSecond });
    const chunks = [];
    const stopped = new Promise((resolve, reject) =>
    {
        recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
        recorder.onstop = resolve;
        recorder.onerror = (e) => reject(e.error || new Error('recording failed'));
    });
    const draw = (phase) =>
    {
        applyPose(viewer, path(phase, o.amplitude));
        viewer.app.render();   // render and copy in the same task: the drawing buffer is only valid until then
        ctx.drawImage(viewer.canvas, box.x, box.y, box.width, box.height, 0, 0, out.width, out.height);
        track.requestFrame?.();
    };
    const frameMs = 1000 / o.fps;
    let last = -Infinity;

    recorder.start();
    const start = performance.now();

    draw(0);
    last = start;

    await new Promise((resolve) =>
    {
        const frame = (now) =>
        {
            const phase = (now - start) / 1000 / o.seconds;

            if (phase >= 1)
            {
                draw(0);        // end where it began: the loop closes
                requestAnimationFrame(() => resolve());   // let the stream take the last frame

                return;
            }
            if (now - last >= frameMs * 0.9)           // at most fps frames per second
            {
                last = now;
                draw(phase);
            }
            requestAnimationFrame(frame);
        };

        requestAnimationFrame(frame);
    });
    recorder.stop();
    await stopped;
    stream.getTracks().forEach((track) => track.stop());
    applyPose(viewer, { x: 0, y: 0, zoom: 0, magnify: 0 });

    return new Blob(chunks, { type: 'video/webm' });
}

/** Grey depth texels (render/depth-texels.js: R = G = B = depth, 255 = near, A = 255) as a grey canvas. */
function depthCanvas(depth)
{
    const { width, height, data } = checkDepthTexels(depth);
    const canvas = canvasOf(width, height);

    canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(data), width, height), 0, 0);

    return canvas;
}

/** The depth map as an 8-bit grey PNG of the photo's size, white = near. */
export function depthPng(depth)
{
    return toBlob(depthCanvas(depth), 'image/png');
}

/**
 * Facebook's 3D photo pair: the photo as JPEG and its depth map as PNG of the same size (white = near),
 * to be uploaded together as photo.jpg + photo_depth.png.
 * @param {{photo: {rgba, width, height}, depth: object}} shown  viewer.shown
 * @returns {Promise<{photo: Blob, depth: Blob}>}
 */
export async function facebookPair({ photo, depth })
{
    const canvas = canvasOf(photo.width, photo.height);

    canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(photo.rgba.buffer, photo.rgba.byteOffset,
        photo.rgba.byteLength), photo.width, photo.height), 0, 0);

    return { photo: await toBlob(canvas, 'image/jpeg', 0.92), depth: await depthPng(depth) };
}

/** Hand a blob to the browser as a download named `name`. */
export function download(blob, name)
{
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');

    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
