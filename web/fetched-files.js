// Every file once on a first visit: what the page and the pipeline worker fetch (Python, NumPy, onnxruntime, the
// model: most of the bytes a photo needs) is kept in a hand-over cache, from which the service worker's precache
// takes each file (after checking its SHA-256 against precache.json) instead of downloading it a second time.
// Browsers do not reliably revalidate those files from their HTTP cache: an incognito profile's memory cache
// keeps no file as large as pyodide.asm.wasm, and a precache running while the page still loads a file fetches it
// alongside. Only until this site has a cache of its own (the service worker is installing or installed): later
// visits are served by the service worker. The service worker deletes the hand-over cache once it is active.

// The site's root (this file's folder): the service worker's scope, which names this site's caches (sw.js).
const ROOT = new URL('./', import.meta.url).href;
export const FETCHED_CACHE = `diorama ${ROOT} fetched`;

// Whether this site has a service worker's cache (of any version) yet: then nothing is handed over.
async function siteCached() {
  return (await caches.keys()).some((name) => name.startsWith(`diorama ${ROOT} `) && name !== FETCHED_CACHE);
}

async function handOver(url, response) {
  try {
    if (await siteCached()) return;
    await (await caches.open(FETCHED_CACHE)).put(url, response);
  } catch {
    // storage full or refused (private mode): the precache downloads the file itself
  }
}

// Calls observe(url, response) with a clone of each file of the site this global (the page or a worker) fetches
// whole (GET, 200); the caller's response is unchanged. One wrapper of fetch, whoever observes.
const observers = [];
export function observeSiteFetches(observe) {
  if (!observers.length) {
    const fetchFile = self.fetch.bind(self);
    self.fetch = async (input, init) => {
      const response = await fetchFile(input, init);
      const request = new Request(input, init);
      // 'default': made in this global from a site file's bytes (worker/stored-archives.js)
      const own = response.type === 'basic' || response.type === 'default';
      if (request.method === 'GET' && response.status === 200 && own && request.url.startsWith(ROOT)) {
        for (const observer of observers) observer(request.url, response.clone());
      }
      return response;
    };
  }
  observers.push(observe);
}

// Hands each file this global fetches over to the precache (a clone streams into the hand-over cache).
export function keepFetchedFiles() {
  if (self.caches) observeSiteFetches(handOver); // no Cache Storage (an insecure context): no service worker either
}
