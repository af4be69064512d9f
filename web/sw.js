// The service worker: after one visit the whole site works offline.
//
// install   fetches precache.json (written by build.py: every file of dist/ with its SHA-256) and
//           caches each file, checked against its hash (subresource integrity), in a cache named by
//           the build's version; a file whose hash an older version's cache already holds is copied
//           from there instead of downloaded (an update downloads only what changed: builds are
//           reproducible). The install fails, and the old version stays, if any file is missing or
//           differs. Then it takes over at once (skipWaiting).
// activate  deletes this site's caches of other versions, takes control of open pages and tells them
//           {type: 'offline-ready', version}.
// fetch     answers GET requests within the scope from the cache, the network otherwise.
//
// build.py stamps the version below, so every build is a byte-different sw.js: that is how browsers
// notice a new build (they compare the script on navigation). URLs are relative to this file, so the
// site works under any sub-path; the cache names carry the scope so two copies on one origin coexist.
const VERSION = 'dev';
const PREFIX = `diorama ${self.registration.scope} `;
const CACHE = PREFIX + VERSION;

// 'sha256-<base64>' from a hex digest, for Request.integrity.
function integrity(hex) {
  const bytes = hex.match(/../g).map((pair) => parseInt(pair, 16));
  return `sha256-${btoa(String.fromCharCode(...bytes))}`;
}

// Each cache keeps its own manifest under this key, so a later version knows the hash of every file it holds.
const MANIFEST_KEY = 'precache.json';

// {sha256: [cache, url]} of the files this site's caches of other versions hold (checked when they were cached).
async function filesCachedBefore() {
  const known = new Map();
  for (const key of (await caches.keys()).filter((name) => name.startsWith(PREFIX) && name !== CACHE)) {
    const cache = await caches.open(key);
    const manifest = await (await cache.match(MANIFEST_KEY))?.json();
    for (const { url, sha256 } of manifest?.files ?? []) known.set(sha256, [cache, url]);
  }
  return known;
}

async function precache() {
  const response = await fetch('precache.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`precache.json: HTTP ${response.status}`);
  const manifest = await response.json();
  if (manifest.version !== VERSION) throw new Error(`precache.json is version ${manifest.version}, sw.js ${VERSION}`);
  const cache = await caches.open(CACHE);
  const before = await filesCachedBefore();
  await Promise.all(manifest.files.map(async ({ url, sha256 }) => {
    if (await cache.match(url)) return; // left by an install that was interrupted
    const [oldCache, oldUrl] = before.get(sha256) ?? [];
    const unchanged = await oldCache?.match(oldUrl);
    if (unchanged) return cache.put(url, unchanged);
    const file = await fetch(new Request(url, { cache: 'no-cache', integrity: integrity(sha256) }));
    if (!file.ok) throw new Error(`${url}: HTTP ${file.status}`);
    await cache.put(url, file);
  }));
  // Last: a cache holds its manifest only once it holds every file the manifest lists.
  await cache.put(MANIFEST_KEY, new Response(JSON.stringify(manifest), { headers: { 'Content-Type': 'application/json' } }));
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const old = (await caches.keys()).filter((key) => key.startsWith(PREFIX) && key !== CACHE);
    await Promise.all(old.map((key) => caches.delete(key)));
    await self.clients.claim();
    for (const client of await self.clients.matchAll({ includeUncontrolled: true })) {
      client.postMessage({ type: 'offline-ready', version: VERSION });
    }
  })());
});

// A page may ask which version serves it (the answer goes to the asking page only).
self.addEventListener('message', (event) => {
  if (event.data?.type === 'version') event.source?.postMessage({ type: 'offline-ready', version: VERSION });
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const scope = self.registration.scope;
  if (request.method !== 'GET' || !request.url.startsWith(scope)) return;
  event.respondWith((async () => {
    let key = request.url;
    if (request.mode === 'navigate') {
      const url = new URL(request.url);
      url.search = '';
      url.hash = '';
      if (url.pathname.endsWith('/')) url.pathname += 'index.html';
      key = url.href;
    }
    const cached = await caches.match(key, { cacheName: CACHE });
    return cached || fetch(request);
  })());
});

// ---------------------------------------------------------------- share target
// Photos shared into the installed app (manifest.webmanifest share_target: a multipart POST of the field
// 'photos' to share-target). Answered here, with no network, so sharing works offline: the files are kept in a
// cache of their own, `diorama-shared <scope> <id>`, and the page opens at ./?share=<id>; it takes them from
// there (ui/share-in.js), deleting the cache, and opens them as a drop. A share that carries no file gets an
// empty cache, so the page can say that nothing was shared. Independent of the precache above: other
// versions' caches are `diorama <scope> …`, which these names never start with.
const SHARE_ACTION = new URL('share-target', self.registration.scope).href;

async function keepSharedFiles(request) {
  const id = crypto.randomUUID();
  const form = await request.formData().catch(() => null); // not multipart: a share without files
  // An empty file input still sends one part (no name, no bytes): that is no file.
  const files = (form?.getAll('photos') ?? []).filter((file) => file instanceof File && (file.name || file.size));
  const cache = await caches.open(`diorama-shared ${self.registration.scope} ${id}`);
  await Promise.all(files.map((file, index) => cache.put(new URL(`shared/${id}/${index}`, self.registration.scope),
    new Response(file, { headers: { 'Content-Type': file.type || 'application/octet-stream',
      'X-File-Name': encodeURIComponent(file.name) } }))));
  return Response.redirect(new URL(`./?share=${id}`, self.registration.scope).href, 303);
}

self.addEventListener('fetch', (event) => {
  if (event.request.method === 'POST' && event.request.url === SHARE_ACTION) event.respondWith(keepSharedFiles(event.request));
});
