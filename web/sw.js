// The service worker: after one visit the whole site works offline.
//
// install   fetches precache.json (written by build.py: every file of dist/ with its SHA-256) and
//           caches each file, checked against its hash (subresource integrity), in a cache named by
//           the build's version; a file whose hash an older version's cache already holds is copied
//           from there instead of downloaded (an update downloads only what changed: builds are
//           reproducible), and a file the page fetched on this visit is taken from the hand-over cache
//           (FETCHED_CACHE). The install fails, and the old version stays, if any file is missing or
//           differs. Then it takes over at once (skipWaiting).
// activate  deletes this site's caches of other versions, takes control of open pages and tells them
//           {type: 'offline-ready', version}.
// fetch     answers GET requests within the scope from the cache, the network otherwise, with the headers
//           of cross-origin isolation added (withIsolation below).
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

// The files the page and its pipeline worker fetched on this first visit (web/fetched-files.js): the precache
// takes them from there instead of downloading them again. Its name starts with PREFIX, so activate deletes it.
const FETCHED_CACHE = PREFIX + 'fetched';
// Files downloaded at once by the precache: a few, so that what the person asks for meanwhile is not queued
// behind the whole site on a slow link.
const DOWNLOADS_AT_ONCE = 3;

// A copy of a handed-over response whose bytes have this SHA-256 (hex); null for none or other bytes.
async function verified(response, sha256) {
  if (!response) return null;
  const bytes = await response.arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
  if (hex !== sha256) return null;
  return new Response(bytes, { status: response.status, statusText: response.statusText, headers: response.headers });
}

// work(item) for every item, at most `limit` at a time; rejects on the first failure.
async function inTurns(items, limit, work) {
  const queue = [...items];
  const next = async () => { while (queue.length) await work(queue.shift()); };
  await Promise.all(Array.from({ length: limit }, next));
}

async function precache() {
  const response = await fetch('precache.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`precache.json: HTTP ${response.status}`);
  const manifest = await response.json();
  if (manifest.version !== VERSION) throw new Error(`precache.json is version ${manifest.version}, sw.js ${VERSION}`);
  const cache = await caches.open(CACHE);
  const before = await filesCachedBefore();
  const fetched = await caches.open(FETCHED_CACHE);
  await inTurns(manifest.files, DOWNLOADS_AT_ONCE, async ({ url, sha256 }) => {
    if (await cache.match(url)) return; // left by an install that was interrupted
    const [oldCache, oldUrl] = before.get(sha256) ?? [];
    const unchanged = await oldCache?.match(oldUrl);
    if (unchanged) return cache.put(url, unchanged);
    const handedOver = await verified(await fetched.match(url), sha256);
    if (handedOver) return cache.put(url, handedOver);
    let file;
    try {
      file = await fetch(new Request(url, { cache: 'no-cache', integrity: integrity(sha256) }));
    } catch (err) {
      // a fetch refused by its integrity check says only "Failed to fetch": say what it most likely is
      throw new Error(`${url} differs from this build (SHA-256), or the network failed: a host serving a `
        + 'precompressed file without its Content-Encoding gives this; reloading fetches it again', { cause: err });
    }
    if (!file.ok) throw new Error(`${url}: HTTP ${file.status}`);
    await cache.put(url, file);
  });
  // Last: a cache holds its manifest only once it holds every file the manifest lists.
  await cache.put(MANIFEST_KEY, new Response(JSON.stringify(manifest), { headers: { 'Content-Type': 'application/json' } }));
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting(), async (err) => {
    // the pages say why in their console (sw-register.js); the install fails, a later load tries again
    for (const client of await self.clients.matchAll({ includeUncontrolled: true })) {
      client.postMessage({ type: 'offline-failed', reason: err.message });
    }
    throw err;
  }));
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
    return withIsolation(cached || await fetch(request));
  })());
});

// Cross-origin isolation on any static host, as coi-serviceworker gives it: the page and its workers, served by
// this worker, carry COOP/COEP whatever the host sends, so from the first load this worker controls on (the
// visit after the one that installed it), onnxruntime-web gets SharedArrayBuffer and runs on threads. Every file
// is same-origin, so require-corp blocks nothing. A browser without service workers, or the very first load,
// gets what the host sends (without isolation the model runs on one thread).
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

function withIsolation(response) {
  // opaque and error responses can't be rebuilt (and need no isolation headers: they are not documents)
  if (response.status === 0 || Object.entries(ISOLATION_HEADERS).every(([name, value]) => response.headers.get(name) === value)) {
    return response;
  }
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

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
