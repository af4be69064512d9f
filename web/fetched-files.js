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

// Wraps this global's fetch (the page's or a worker's) so that each file of the site it fetches whole (GET, 200)
// also goes to the hand-over cache; the caller's response is unchanged (a clone streams into the cache).
export function keepFetchedFiles() {
  if (!self.caches) return; // no Cache Storage (an insecure context): no service worker either
  const fetchFile = self.fetch.bind(self);
  self.fetch = async (input, init) => {
    const response = await fetchFile(input, init);
    const request = new Request(input, init);
    if (request.method === 'GET' && response.status === 200 && response.type === 'basic' && request.url.startsWith(ROOT)) {
      handOver(request.url, response.clone());
    }
    return response;
  };
}
