// Which of the dropped files is the photo and which its depth map.
export const DEPTH_NAME = /[_-]depth\.[a-z0-9]+$/i; // Facebook's photo.jpg + photo_depth.jpg; Depthy's x-depth.jpg

// files: File/Blob list; isDepthLike(file) -> Promise<boolean> asks the worker (header only).
// Returns {photo, depth|null}. Throws an Error with `expected` for nothing usable.
export async function pairFiles(files, isDepthLike) {
  const list = [...files];
  if (list.length === 0) throw Object.assign(new Error('No file was given. Drop a photo (JPEG, PNG, WebP…).'), { expected: true });
  if (list.length === 1) return { photo: list[0], depth: null };
  const named = list.findIndex((f) => DEPTH_NAME.test(f.name || ''));
  let depthIndex = named;
  if (depthIndex < 0) {
    const flags = await Promise.all(list.slice(0, 2).map((f) => isDepthLike(f).catch(() => false)));
    depthIndex = flags[0] === flags[1] ? -1 : flags.indexOf(true);
  }
  if (depthIndex < 0) {
    throw Object.assign(new Error('Drop one photo, or one photo with its depth map (named like photo_depth.png, or a greyscale image).'), { expected: true });
  }
  const photo = list.find((_, i) => i !== depthIndex);
  return { photo, depth: list[depthIndex] };
}
