// Photos that arrive from the system rather than a drop: shared into the installed app from a gallery's Share
// sheet (manifest share_target; sw.js keeps the files and opens the page at ./?share=<id>), or opened with it
// ("Open with diorama": manifest file_handlers, window.launchQueue). They open as a drop does, with its messages
// for a file that is not a photo, damaged or too large, and supersede a photo being opened as a new drop does.
//
//   receiveFiles({ open, showError, addNote });  // once, when the page can open photos
import { DEPTH_NAME } from './files.js';

const SCOPE = new URL('../', import.meta.url).href; // the service worker's scope: the site's folder

const stem = (name) => name.replace(/\.[^.]*$/, '');

/**
 * Which of several arrived files to open: every one when they hold at most one photo (a photo and its depth map
 * open as a pair, as a drop does), else the first photo with its depth map when one is named after it
 * (`photo.jpg` + `photo_depth.png`).
 * @param {File[]} files
 * @returns {{files: File[], photos: number}} the files to open and how many photos arrived
 */
export function firstPhotoOf(files) {
  const photos = files.filter((file) => !DEPTH_NAME.test(file.name));
  if (photos.length <= 1) return { files, photos: photos.length };
  const [first] = photos;
  const depth = files.find((file) => DEPTH_NAME.test(file.name)
    && stem(file.name).replace(/[_-]depth$/i, '') === stem(first.name));
  return { files: depth ? [first, depth] : [first], photos: photos.length };
}

// The files a share left for the page (sw.js), taken: the cache that kept them is deleted. null when that share
// was taken already (the page loaded again from its address).
async function takeShared(id) {
  const name = `diorama-shared ${SCOPE} ${id}`;
  if (!(await caches.has(name))) return null;
  const cache = await caches.open(name);
  const index = (request) => Number(request.url.split('/').pop());
  const requests = (await cache.keys()).sort((a, b) => index(a) - index(b));
  const files = await Promise.all(requests.map(async (request) => {
    const response = await cache.match(request);
    return new File([await response.blob()], decodeURIComponent(response.headers.get('X-File-Name') ?? ''),
      { type: response.headers.get('Content-Type') });
  }));
  await caches.delete(name);
  return files;
}

/**
 * Opens the photos shared into the page or opened with it.
 * @param {{open: (files: File[]) => Promise<object>, showError: (message: string) => void,
 *          addNote: (text: string) => void}} page  open: the page's open (a drop's); addNote: a line about the
 *          photo on screen, gone with the next photo
 */
export function receiveFiles({ open, showError, addNote }) {
  // how: 'shared' | 'opened', for the note on several photos
  const arrived = (files, how) => {
    const { files: opening, photos } = firstPhotoOf(files);
    open(opening).then(() => {
      if (photos > 1) addNote(`${photos} photos were ${how}; this is the first.`);
    }, () => {}); // open showed its error
  };

  const address = new URL(location.href);
  const id = address.searchParams.get('share');
  if (id) {
    address.searchParams.delete('share');
    history.replaceState(history.state, '', address); // a reload shows the app, not the share again
    takeShared(id).then((files) => {
      if (files?.length) arrived(files, 'shared');
      else if (files) showError('Nothing was shared: the share held no file. Share a photo (JPEG, PNG, HEIC…), '
        + 'or a photo with its depth map.');
    }, (err) => showError(`The shared files could not be read: ${err.message}`));
  }

  window.launchQueue?.setConsumer(async ({ files: handles = [] }) => {
    if (!handles.length) return; // launched without files
    try {
      arrived(await Promise.all(handles.map((handle) => handle.getFile())), 'opened');
    } catch (err) {
      showError(`The file could not be read: ${err.message}`);
    }
  });
}
