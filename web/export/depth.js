// Kinds 'depth' (the depth map, 16-bit grey PNG) and 'facebook' (Facebook's 3D photo pair: photo.jpg +
// photo_depth.png, the depth 8-bit grey). The depth PNGs are made in the worker by the CLI's own Python
// (Studio.depth_png, diorama.depthmap.depth_png) from the display depth, settings and edits applied.
import { fileName } from './kinds.js';
import { imageBlob } from './still.js';

export async function depth({ flow }, options) {
    return { name: fileName('depth', options), blob: await flow.depthPng(16) };
}

/**
 * Facebook pairs the two by the name stem and the "_depth" suffix and wants them the same size (docs/exports.md):
 * the display depth is the photo's size.
 */
export async function facebook({ viewer, flow }, options) {
    const { rgba, width, height } = viewer.shown.photo;
    const pixels = new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength);

    return [{ name: fileName('facebook', options, 0), blob: await imageBlob(pixels, { width, height }, 'jpeg', 0.92) },
        { name: fileName('facebook', options, 1), blob: await flow.depthPng(8) }];
}
