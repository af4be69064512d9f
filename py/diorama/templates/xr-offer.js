// "View in VR" / "View in AR": the buttons, shown only where the browser says the session mode is supported
// (navigator.xr.isSessionSupported), and the session's start. This module is small and all the page loads for
// WebXR up front; the session itself (xr-session.js: the headset view, its frame loop and controls) is loaded
// when a person asks for it (`load`), alongside requestSession (which must be called within the click).
// One source for the page and the single-file 3D photo, as xr-session.js: py/diorama/templates/xr-offer.js is
// dist/xr/offer.js (build.py), and photo_3d_html puts it into the file (py/diorama/photo3d.py).
//
// `xr` is the session's state for tests and benchmarks (the page's window.diorama.xr, the file's window.xr; see
// xr-session.js for what a running session adds to it).

const MODES = { vr: 'immersive-vr', ar: 'immersive-ar' };
const NAMES = { 'immersive-vr': 'View in VR', 'immersive-ar': 'View in AR' };

/** The WebXR view's state: supported {vr, ar}; state 'idle' | 'starting' | 'running'; mode; message (the last
 * refusal, in words); frames, views, pose, photo, placement, capture(), timeFrames(), end() while running
 * (xr-session.js). */
export const xr = { supported: { vr: false, ar: false }, state: 'idle', mode: null, message: '', frames: 0, views: [] };

/**
 * Show the buttons where their mode is supported and start a session on a click.
 * @param {{viewer: {scene: object, redraw: () => void}, buttons: {vr?: HTMLButtonElement, ar?: HTMLButtonElement},
 *          load: () => Promise<{runSession: Function}>, onError: (message: string) => void, onDone: () => void}}
 *          options  viewer.scene: what the headset draws (xr-session.js); load: xr-session.js' module; onError:
 *          one line when a session is refused or breaks; onDone: a session started (clears a refusal's line)
 */
export async function offerXR({ viewer, buttons, load, onError, onDone }) {
  const start = async (mode) => {
    if (xr.state !== 'idle') return;
    xr.state = 'starting';
    xr.mode = mode;
    setDisabled(true);
    // Both at once: the request needs the click's user activation, the module the network or the precache.
    // AR places the photo on the surface ahead where the browser can hit-test (xr-session.js), else 1.5 m ahead
    const request = navigator.xr.requestSession(mode, mode === MODES.ar ? { optionalFeatures: ['hit-test'] } : {});
    const code = load();
    let session;
    try {
      session = await request;
    } catch (err) {
      idle(`${NAMES[mode]} did not start: ${reason(err)} The 2D view goes on.`);
      return;
    }
    try {
      const { runSession } = await code;
      await runSession(session, { viewer, state: xr, onEnd: () => idle('') });
      onDone();
    } catch (err) {
      session.end().catch(() => {}); // its 'end' makes it idle; say why here
      idle(`${NAMES[mode]} stopped: ${err.message} The 2D view goes on.`);
    }
  };
  const idle = (message) => {
    Object.assign(xr, { state: 'idle', mode: null, views: [] });
    for (const running of ['capture', 'end', 'timeFrames']) delete xr[running];
    setDisabled(false);
    viewer.redraw();
    if (message) {
      xr.message = message;
      onError(message);
    }
  };
  const setDisabled = (disabled) => { for (const button of Object.values(buttons)) button.disabled = disabled; };

  if (!navigator.xr) return xr;
  await Promise.all(Object.keys(buttons).map(async (key) => {
    const mode = MODES[key];
    xr.supported[key] = await navigator.xr.isSessionSupported(mode).catch(() => false);
    buttons[key].hidden = !xr.supported[key];
    buttons[key].addEventListener('click', () => start(mode));
  }));
  return xr;
}

/** Why a requestSession was refused, in words. */
function reason(err) {
  if (err?.name === 'SecurityError') return 'the browser did not allow it (it needs a click, HTTPS and permission).';
  if (err?.name === 'NotSupportedError') return 'no headset or AR support was found.';
  if (err?.name === 'InvalidStateError') return 'another immersive session is running.';
  return `${err?.message || err}.`;
}
