// Registers the service worker (sw.js) that keeps diorama working offline after the first visit.
//
// Observable state, for people's tools and the tests: <html data-offline="…">
//   (none)        a first visit, until the page has loaded what it needs (registration waits for it)
//   unsupported   no service workers here (an insecure context, or a browser without them)
//   installing    the site is being saved for offline use
//   ready         every file is cached by an active service worker (which controls this page from its
//                 next load, or at once on a first visit); data-offline-version names the build
//   failed        registration or caching failed (the app still works online); the reason is logged
// registerServiceWorker(loaded) resolves to true once ready, false if unsupported or failed.
const root = document.documentElement;

function mark(state, version) {
  root.dataset.offline = state;
  if (version) root.dataset.offlineVersion = version;
}

// How long the page stays idle (no photo being opened) after it has loaded before a first visit's precache starts
// anyway: the person may drop a photo in the meantime, which then has the link to itself.
const IDLE_MS = 8000;

// When a first visit's precache may start: once the person's first photo is shown (or refused), or once the page
// has been idle for IDLE_MS after `loaded` (the sample shown and Python started). Until then the link belongs to
// what the photo needs; what the page fetched meanwhile is handed over to the precache (fetched-files.js).
export function photoShownOrIdle(loaded) {
  const body = document.body;
  return new Promise((resolve) => {
    let opening = false; // a photo of the person's own was asked for
    let idle = null;
    const observer = new MutationObserver(() => {
      if (body.dataset.state === 'working') opening = true;
      else if (opening) finish(); // that photo is shown, or refused with its message
    });
    const finish = () => { observer.disconnect(); clearTimeout(idle); resolve(); };
    const waitIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => (body.dataset.state === 'working' ? waitIdle() : finish()), IDLE_MS);
    };
    observer.observe(body, { attributes: true, attributeFilter: ['data-state'] });
    loaded.catch(() => {}).then(waitIdle);
  });
}

// loaded: settles when a first visit's precache may start (photoShownOrIdle), which then takes what the page
// fetched so far from the hand-over cache instead of downloading it a second time.
export async function registerServiceWorker(loaded) {
  if (!('serviceWorker' in navigator)) {
    mark('unsupported');
    return false;
  }
  const worker = navigator.serviceWorker;
  if (!worker.controller) await loaded.catch(() => {});
  // Every activation (the first one, and each new build taking over) announces its version.
  const announced = new Promise((resolve, reject) => {
    worker.addEventListener('message', ({ data }) => {
      if (data?.type === 'offline-failed') reject(new Error(data.reason)); // its install failed: why, in one line
      if (data?.type !== 'offline-ready') return;
      mark('ready', data.version);
      resolve(data.version);
    });
  });
  worker.startMessages();
  try {
    mark(worker.controller ? 'ready' : 'installing');
    const registration = await worker.register(new URL('./sw.js', import.meta.url));
    // Active means installed, i.e. every file cached. Its answer (or its first activation's message,
    // sent once it controls this page) marks 'ready'.
    await Promise.race([worker.ready.then(({ active }) => active.postMessage({ type: 'version' })), announced]);
    await announced;
    // A newer build found later: 'installing' until it announces itself; back to 'ready' if its
    // install fails (the current version keeps serving).
    registration.addEventListener('updatefound', () => {
      const next = registration.installing;
      mark('installing');
      next?.addEventListener('statechange', () => { if (next.state === 'redundant') mark('ready'); });
    });
    return true;
  } catch (err) {
    console.warn(`diorama: offline support is unavailable: ${err.message}`);
    mark('failed');
    return false;
  }
}
