// The depth map as PNG and the Facebook 3D photo pair photo.jpg + photo_depth.png (web/export/ makes every other
// output). Nothing leaves the device; files are handed to the browser as downloads.
//
//   const png = await depthPng(viewer.shown.depth);                                       // image/png
//   const {photo, depth} = await facebookPair(viewer.shown);                              // jpeg + png
//   download(blob, 'photo_depth.png');
import { checkDepthTexels } from '../render/depth-texels.js';

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
 * to be uploaded together as photo.jpg + photo_depth.png (Facebook pairs them by the name stem and the "_depth"
 * suffix, and wants the two the same size; docs/exports.md).
 * @param {{photo: {rgba, width, height}, depth: object}} shown  viewer.shown
 * @returns {Promise<{photo: Blob, depth: Blob}>}
 */
export async function facebookPair({ photo, depth })
{
    if (depth.width !== photo.width || depth.height !== photo.height)
    {
        throw new Error(`The depth map (${depth.width} x ${depth.height}) is not the photo's size `
            + `(${photo.width} x ${photo.height}), which Facebook needs.`);
    }
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
