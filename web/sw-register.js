// Registers the service worker (sw.js) that keeps diorama working offline after the first visit.
//
// Observable state, for people's tools and the tests: <html data-offline="…">
//   unsupported   no service workers here (an insecure context, or a browser without them)
//   installing    the site is being saved for offline use
//   ready         every file is cached and a service worker controls this page; data-offline-version
//                 names the build it serves
//   failed        registration or caching failed (the app still works online); the reason is logged
// `offlineReady` resolves to true once ready, false if unsupported or failed.
const root = document.documentElement;

function mark(state, version) {
  root.dataset.offline = state;
  if (version) root.dataset.offlineVersion = version;
}

async function register() {
  if (!('serviceWorker' in navigator)) {
    mark('unsupported');
    return false;
  }
  const worker = navigator.serviceWorker;
  // Every activation (the first one, and each new build taking over) announces its version.
  const announced = new Promise((resolve) => {
    worker.addEventListener('message', ({ data }) => {
      if (data?.type !== 'offline-ready') return;
      mark('ready', data.version);
      resolve(data.version);
    });
  });
  worker.startMessages();
  try {
    mark(worker.controller ? 'ready' : 'installing');
    const registration = await worker.register(new URL('./sw.js', import.meta.url));
    await worker.ready;
    if (worker.controller) worker.controller.postMessage({ type: 'version' });
    else await new Promise((resolve) => worker.addEventListener('controllerchange', resolve, { once: true }));
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
    console.warn('diorama: offline support is unavailable:', err);
    mark('failed');
    return false;
  }
}

export const offlineReady = register();
