// Kind 'png': the view on screen as a still at the photo's own resolution, PNG or (format: 'jpeg') JPEG.
//
//   await EXPORTERS.png(context, {format: 'png' | 'jpeg', quality: 0.92})
import { renderPose } from './frames.js';
import { fileName } from './kinds.js';

const TYPES = { png: 'image/png', jpeg: 'image/jpeg' };

/**
 * RGBA pixels as an image file.
 * @param {Uint8ClampedArray} pixels  width * height * 4
 * @param {{width: number, height: number}} size
 * @param {'png' | 'jpeg'} format
 * @param {number} [quality]  JPEG quality 0..1
 * @returns {Promise<Blob>}
 */
export function imageBlob(pixels, { width, height }, format, quality = 0.92) {
    const canvas = new OffscreenCanvas(width, height);

    canvas.getContext('2d').putImageData(new ImageData(pixels, width, height), 0, 0);

    return canvas.convertToBlob({ type: TYPES[format], quality });
}

export async function png({ viewer }, options) {
    const { format, quality } = options;
    const { photo } = viewer.shown;
    const size = { width: photo.width, height: photo.height };
    const { x, y } = viewer.view;
    const pixels = await renderPose(viewer, { x, y, zoom: 0, magnify: 0 }, size);

    return { name: fileName('png', options), blob: await imageBlob(pixels, size, format, quality) };
}
