// The Python the worker loads at start comes in stored zips (build.py lean_archives) for the host to compress: its
// precompressed copy (X.br, X.gz) or its own compression makes it a fraction of its size on the wire. A host that
// does neither (most CDNs compress text types only, not zips) would send the whole file: then the worker fetches
// the gzip copy beside it as a plain file and inflates it itself. The first archive the worker fetches (the
// standard library's core) tells how this host sends them, so the others are fetched the right way at once: with
// their own integrity where the host compresses them, from their gzip copies where it does not. That first one
// goes without the request's integrity, which would wait for the whole file before its headers could say how it
// comes: it streams to Pyodide and a copy is checked meanwhile (storedArchivesChecked, awaited before Python is
// ready). A gzip copy is checked before use. A response that went through the gzip copy (and was then kept by the
// service worker) carries INFLATED and is taken as it is.

const INFLATED = 'X-Diorama-Inflated';
const ARCHIVE = /\.(whl|zip)$/;
const checks = []; // one promise per archive fetched as it came, rejected when its bytes are not this build's
let hostCompresses = null; // whether the host sends the stored zips compressed (or they come checked from the cache)

// Resolves once every stored archive fetched so far is this build's; rejects with the first that is not.
export function storedArchivesChecked() {
  return Promise.all(checks);
}

// Wraps this worker's fetch, before anything else does: `archives` resolves to build.json's storedArchives,
// {site path: SHA-256 hex}.
export function inflateStoredArchives(archives) {
  const root = new URL('../', import.meta.url).href;
  const fetchFile = self.fetch.bind(self);
  self.fetch = async (input, init) => {
    const url = new Request(input, init).url;
    const path = url.slice(root.length);
    const sha256 = url.startsWith(root) && ARCHIVE.test(path) ? (await archives)[path] : undefined;
    if (!sha256) return fetchFile(input, init);
    const integrity = `sha256-${btoa(String.fromCharCode(...sha256.match(/../g).map((h) => parseInt(h, 16))))}`;
    const whole = () => fetchFile(url, { ...init, integrity: undefined });
    if (hostCompresses) {
      return fetchFile(url, { ...init, integrity }).catch(async (err) => {
        // the browser's integrity error says nothing of the file: say which, when that is what went wrong
        const bytes = await bytesOf(whole()).catch(() => null);
        throw bytes && await hex(bytes) !== sha256 ? new Error(`${path} differs from this build (SHA-256)`) : err;
      });
    }
    if (hostCompresses === false) return fromGzipOrWhole(fetchFile, url, whole, path, sha256);
    const response = await whole();
    if (response.status !== 200) return response;
    hostCompresses = response.headers.has(INFLATED) || Boolean(response.headers.get('Content-Encoding'));
    if (response.headers.has(INFLATED)) return response;
    if (hostCompresses) {
      const check = response.clone().arrayBuffer().then(hex).then((digest) => {
        if (digest !== sha256) throw new Error(`${path} differs from this build (SHA-256)`);
      });
      check.catch(() => {}); // reported where storedArchivesChecked is awaited
      checks.push(check);
      return response;
    }
    response.body?.cancel(); // at its headers: the rest would cost several times the copy
    return fromGzipOrWhole(fetchFile, url, whole, path, sha256);
  };
}

async function fromGzipOrWhole(fetchFile, url, whole, path, sha256) {
  const bytes = await fromGzipCopy(fetchFile, `${url}.gz`);
  if (!bytes) return inflated(await bytesOf(whole()), path, sha256); // no copy (or offline): the whole file
  return inflated(bytes, `${path}.gz`, sha256);
}

async function bytesOf(response) {
  return new Uint8Array(await (await response).arrayBuffer());
}

// The archive's checked bytes as a response the service worker keeps as it is.
async function inflated(bytes, path, sha256) {
  if (await hex(bytes) !== sha256) throw new Error(`${path} differs from this build (SHA-256)`);
  return new Response(bytes, { headers: { 'Content-Type': 'application/zip', [INFLATED]: 'gzip' } });
}

async function hex(bytes) {
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
    .map((b) => b.toString(16).padStart(2, '0')).join('');
}

// The bytes of a file's gzip copy, inflated (a host may send it as it is, or decoded with Content-Encoding: gzip);
// null when it can't be had.
async function fromGzipCopy(fetchFile, url) {
  let response;
  try {
    response = await fetchFile(url);
  } catch {
    return null;
  }
  if (!response.ok) return null;
  const data = new Uint8Array(await response.arrayBuffer());
  if (data[0] !== 0x1f || data[1] !== 0x8b) return data;
  return new Uint8Array(await new Response(new Blob([data]).stream().pipeThrough(new DecompressionStream('gzip')))
    .arrayBuffer());
}
