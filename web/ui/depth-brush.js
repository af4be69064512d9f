// The depth brush: a "Paint depth" mode in which the pointer (mouse, pen or finger) on the photo paints its
// depth instead of moving the view; the tools (nearer, farther, smooth, flatten, pop out), size and strength
// are the 'brush' options (options.js); Undo / Redo / Reset edits and Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y).
//
//   const brush = attachDepthBrush({ stage, viewer, flow, readBrush, onError, controls });
//   await brush.stroke([[x, y], ...], {brush_tool: 'nearer'});  // a stroke in photo pixels, as the pointer paints
//   await brush.undo(); brush.redo(); brush.reset();
//
// The page only sends points: the worker's Python (py/diorama/edits.py) paints. A stroke streams in pieces,
// one in flight at a time, the points gathered meanwhile going in the next one (coalesced), so painting
// never waits on the worker and the page never computes; each piece answers a reduced display depth (shown
// at once), the stroke's end the full depth and layers (photo-flow.js stroke, edit).
import { OPS } from '../worker/protocol.js';

/** A tap that moved less than this (CSS px) between press and release is a tap (pop out), not a drag. */
const TAP_SLOP = 8;

/** One stroke being sent to the worker in pieces. */
class StrokeSession {
  constructor(flow, brush, onError) {
    this.flow = flow;
    this.brush = brush;
    this.onError = onError;
    this.pending = [];     // x0, y0, x1, y1, ... not sent yet
    this.inFlight = null;  // the piece the worker is painting
    this.started = false;  // whether a piece went out (the worker's stroke has begun)
    this.finishing = false;
  }

  add(points) {
    for (const [x, y] of points) this.pending.push(x, y);
    this._pump();
  }

  _pump() {
    if (this.inFlight || this.finishing || !this.pending.length) return;
    const points = this.pending.splice(0);
    this.started = true;
    this.inFlight = this.flow.stroke(points, this.brush, false)
      .catch((err) => this.onError(err))
      .finally(() => { this.inFlight = null; this._pump(); });
  }

  /** The last piece: the stroke ends (one step of undo). Resolves with {canUndo, canRedo} once shown. */
  async finish() {
    this.finishing = true;
    await this.inFlight;
    const points = this.pending.splice(0);
    if (!this.started && !points.length) return null; // never touched the photo
    return this.flow.stroke(points, this.brush, true);
  }
}

/**
 * @param {{stage: HTMLElement, viewer: object, flow: import('../photo-flow.js').PhotoFlow,
 *          readBrush: () => {brush_tool: string, brush_size: number, brush_strength: number},
 *          onError: (err: Error) => void,
 *          controls: {toggle: HTMLButtonElement, panel: HTMLElement, undo: HTMLButtonElement,
 *                     redo: HTMLButtonElement, reset: HTMLButtonElement}}} parts
 */
export function attachDepthBrush({ stage, viewer, flow, readBrush, onError, controls }) {
  let painting = false;   // the mode
  let session = null;     // the stroke under the pointer
  let press = null;       // {pointerId, x, y} of the pointer that paints
  const state = { canUndo: false, canRedo: false };

  const report = (err) => { if (err?.name !== 'AbortError') onError(err); };
  // The brush's outline under the pointer, at its size on screen (beside the stage, over it, like the depth view).
  const ring = document.createElement('div');
  ring.id = 'brush-ring';
  ring.hidden = true;
  stage.after(ring);

  function showState(result) {
    if (!result) return result;
    Object.assign(state, result);
    controls.undo.disabled = !state.canUndo;
    controls.redo.disabled = !state.canRedo;
    controls.reset.disabled = !state.canUndo;
    return result;
  }

  // The photo shown says what can be undone: a new photo starts without edits, a photo given to a new worker again
  // keeps its history (photo-flow.js).
  viewer.events.addEventListener('show', () => showState(flow.shown && { canUndo: flow.shown.canUndo, canRedo: flow.shown.canRedo }));

  /** Photo pixels under a page point, or null off the photo. */
  function photoPoint(clientX, clientY) {
    const uv = viewer.uvAt(clientX, clientY);
    const shown = flow.shown;
    return uv && shown ? [uv.u * shown.width, uv.v * shown.height] : null;
  }

  // Brush size is a share of the photo's long side (its diameter, percent), shown at the photo's scale on screen.
  function showRing(e) {
    const shown = flow.shown;
    const brush = readBrush();
    const uv = viewer.uvAt(e.clientX, e.clientY);
    ring.hidden = !painting || !uv || !shown || brush.brush_tool === 'pop out';
    if (ring.hidden) return;
    const cssPerPhotoPixel = viewer.photoBox().width / (viewer.canvas.width / viewer.canvas.clientWidth) / shown.width;
    const diameter = (brush.brush_size / 100) * Math.max(shown.width, shown.height) * cssPerPhotoPixel;
    const origin = stage.getBoundingClientRect();
    Object.assign(ring.style, { width: `${diameter}px`, height: `${diameter}px`,
      left: `${e.clientX - origin.left - diameter / 2}px`, top: `${e.clientY - origin.top - diameter / 2}px` });
  }

  function setPainting(on) {
    painting = Boolean(on);
    if (!painting) {
      ring.hidden = true;
      endStroke();
    }
    controls.toggle.setAttribute('aria-pressed', String(painting));
    controls.panel.hidden = !painting;
    stage.classList.toggle('painting', painting);
  }

  // In paint mode the stage's pointer events paint; caught while capturing (and first at the stage itself, which
  // captures the pointer), they never reach the look-around (motion/pointer.js) or click-to-focus (focus.js).
  function onDown(e) {
    if (!painting) return;
    e.stopImmediatePropagation();
    if (press || (e.pointerType === 'mouse' && e.button !== 0)) return;
    const point = photoPoint(e.clientX, e.clientY);
    if (!point) return;
    e.preventDefault();
    try { stage.setPointerCapture(e.pointerId); } catch { /* pointer already gone */ }
    press = { pointerId: e.pointerId, x: e.clientX, y: e.clientY, point };
    const brush = readBrush();
    if (brush.brush_tool === 'pop out') return; // a tap: acted on at release
    session = new StrokeSession(flow, brush, report);
    session.add([point]);
  }

  function onMove(e) {
    if (!painting) return;
    e.stopImmediatePropagation();
    showRing(e);
    if (!press || e.pointerId !== press.pointerId || !session) return;
    const events = e.getCoalescedEvents?.() ?? [];
    const points = (events.length ? events : [e]).map((c) => photoPoint(c.clientX, c.clientY)).filter(Boolean);
    if (points.length) session.add(points);
  }

  function endStroke() {
    press = null;
    if (!session) return;
    const ending = session;
    session = null;
    ending.finish().then(showState, report);
  }

  function onUp(e) {
    if (!painting) return;
    e.stopImmediatePropagation();
    if (!press || e.pointerId !== press.pointerId) return;
    const { x, y, point } = press;
    if (session) endStroke();
    else if (e.type === 'pointerup' && Math.hypot(e.clientX - x, e.clientY - y) <= TAP_SLOP) {
      popOut(point, readBrush()).catch(report);
    }
    press = null;
  }

  const swallow = (e) => { if (painting) e.stopImmediatePropagation(); };
  stage.addEventListener('pointerleave', () => { ring.hidden = true; });
  const listeners = [['pointerdown', onDown], ['pointermove', onMove], ['pointerup', onUp], ['pointercancel', onUp],
    ['click', swallow]];
  for (const [type, fn] of listeners) stage.addEventListener(type, fn, { capture: true });

  const popOut = ([x, y], brush) => flow.edit(OPS.popOut, { x, y, brush }).then(showState);
  const undo = () => flow.edit(OPS.undo).then(showState);
  const redo = () => flow.edit(OPS.redo).then(showState);
  const reset = () => flow.edit(OPS.resetEdits).then(showState);

  controls.toggle.addEventListener('click', () => setPainting(!painting));
  controls.undo.addEventListener('click', () => undo().catch(report));
  controls.redo.addEventListener('click', () => redo().catch(report));
  controls.reset.addEventListener('click', () => reset().catch(report));
  document.addEventListener('keydown', (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || !state.canUndo && !state.canRedo) return;
    const key = e.key.toLowerCase();
    if (key === 'z' && !e.shiftKey && state.canUndo) undo().catch(report);
    else if (((key === 'z' && e.shiftKey) || key === 'y') && state.canRedo) redo().catch(report);
    else return;
    e.preventDefault();
  });
  showState({ canUndo: false, canRedo: false });

  return {
    get painting() { return painting; },
    setPainting,
    /**
     * One stroke of photo-pixel points, sent exactly as the pointer sends them (a tap for 'pop out').
     * @param {number[][]} points  [[x, y], ...] in photo pixels
     * @param {object} [brush]  brush options over the controls' values ({brush_tool, brush_size, brush_strength})
     * @returns {Promise<{canUndo: boolean, canRedo: boolean}|null>} once the edited depth is shown
     */
    async stroke(points, brush = {}) {
      const options = { ...readBrush(), ...brush };
      if (options.brush_tool === 'pop out') return popOut(points[0], options);
      const one = new StrokeSession(flow, options, report);
      one.add(points);
      return showState(await one.finish());
    },
    undo,
    redo,
    reset,
  };
}
