// Kinds 'mp4' (H.264) and 'webm' (VP9, else VP8): one loop of the motion preset, frame-exact. Each frame is
// rendered offline at its exact phase i / (seconds * fps) into a target of the output's size, encoded with WebCodecs
// and muxed by mediabunny, so the file holds exactly seconds * fps frames of 1/fps each whatever the machine's speed,
// and its last frame leads back into its first.
//
//   await EXPORTERS.mp4(context, {size: '1080p' | '4k', fps: 30, preset, amplitude, seconds})  // -> {name, blob}
// (options checked by kinds.js, as every exporter's)
import {
    BufferTarget, Mp4OutputFormat, Output, QUALITY_HIGH, VideoSample, VideoSampleSource, WebMOutputFormat,
    canEncodeVideo, getFirstEncodableVideoCodec,
} from '../vendor/mediabunny.mjs';
import { VIDEO_BOXES } from '../options.js';
import { fitSize, loopPoses, renderPoses } from './frames.js';
import { fileName } from './kinds.js';

const CONTAINERS = {
    mp4: { codecs: ['avc'], format: () => new Mp4OutputFormat({ fastStart: 'in-memory' }), type: 'video/mp4' },
    webm: { codecs: ['vp9', 'vp8'], format: () => new WebMOutputFormat(), type: 'video/webm' },
};

/** The first of the container's codecs this browser can encode at `size`, or a plain-words Error. */
export async function pickCodec(container, size, fps) {
    if (typeof VideoEncoder === 'undefined') {
        throw new Error('This browser cannot encode video (no WebCodecs VideoEncoder). Try a recent Chrome, Edge or Safari.');
    }
    const { codecs } = CONTAINERS[container];
    const options = { width: size.width, height: size.height, quality: QUALITY_HIGH, frameRate: fps };
    const codec = codecs.length === 1
        ? ((await canEncodeVideo(codecs[0], options)) ? codecs[0] : null)
        : await getFirstEncodableVideoCodec(codecs, options);

    if (codec) return codec;
    if (container === 'mp4') {
        throw new Error(`This browser cannot encode MP4 (H.264) video at ${size.width} x ${size.height}. `
            + 'Export WebM instead, which it can make.');
    }
    throw new Error(`This browser cannot encode WebM (VP9 or VP8) video at ${size.width} x ${size.height}.`);
}

/**
 * Encode rendered frames as a video. `frames` yields {pixels} (RGBA, size.width x size.height), one per 1/fps.
 * @param {'mp4' | 'webm'} container
 * @param {AsyncIterable<{pixels: Uint8ClampedArray}>} frames
 * @param {{width: number, height: number}} size
 * @param {number} fps
 * @param {string} codec  one pickCodec gave
 * @returns {Promise<Blob>}
 */
export async function encodeVideo(container, frames, size, fps, codec) {
    const output = new Output({ format: CONTAINERS[container].format(), target: new BufferTarget() });
    const source = new VideoSampleSource({ codec, quality: QUALITY_HIGH, keyFrameInterval: 2 });
    let count = 0;

    output.addVideoTrack(source, { frameRate: fps });
    await output.start();
    try {
        for await (const { pixels } of frames) {
            const sample = new VideoSample(pixels, { format: 'RGBX', codedWidth: size.width, codedHeight: size.height,
                timestamp: count / fps, duration: 1 / fps });

            count++;
            try {
                await source.add(sample);   // resolves when the encoder can take more: memory stays bounded
            } finally {
                sample.close();
            }
        }
    } catch (err) {
        await output.cancel();
        throw err;
    }
    await output.finalize();

    return new Blob([output.target.buffer], { type: CONTAINERS[container].type });
}

function videoKind(container) {
    return async (context, options) => {
        const { viewer } = context;
        const { fps } = options;
        const size = fitSize(viewer.shown.photo, VIDEO_BOXES[options.size]);
        const poses = loopPoses(options, fps);
        const codec = await pickCodec(container, size, fps);
        const blob = await encodeVideo(container, renderPoses(viewer, poses, size, context), size, fps, codec);

        return { name: fileName(container, options), blob };
    };
}

export const mp4 = videoKind('mp4');
export const webm = videoKind('webm');
