// The photo on screen, and the one way the data of a photo flows: UI -> worker -> Python -> worker -> renderer.
//
//   const flow = new PhotoFlow({ client, viewer, readOptions, onLayers });
//   await flow.open(files);      // a photo (and maybe its depth map): shown, or rejected with the photo on screen kept
//   await flow.open([file], { asPhoto: true });  // an image that looks like a depth map, shown as a photo anyway
//   flow.adjust();               // the shown photo's depth again, with readOptions()' values
//   await flow.settled();        // once everything asked for so far has been shown (or has failed)
//   await flow.stroke(points, brush, final);  // a piece of a depth brush stroke on the shown photo (see stroke)
//   await flow.edit(OPS.undo);   // popOut, undo, redo, resetEdits: an edit of the shown photo's depth
//   await flow.gdepthJpeg();     // the shown photo as a JPEG carrying its depth (GDepth), a Blob
//   await flow.meshGlb();        // the shown photo as a 3D mesh of its layers (binary glTF), a Blob
//   await flow.photo3dHtml({strength, focus});  // the single-file 3D photo (export/html.js)
//   flow.shown                   // {id, source, format, label, note, width, height} of the photo on screen, or null
//
// Every open gets a photo id; the worker makes a photo current only when its whole open succeeded, so a
// failure leaves the photo on screen (and in the worker) fully usable. One request (open or adjust) is
// live at a time: a new one aborts the one before, whose queued work the worker then skips and whose
// late parts the client drops (PipelineClient.call's signal). A request's results arrive in parts: first
// the display depth (shown at once), then the layered renderer's layers.
import { OPS } from './worker/protocol.js';
import { pairFiles } from './ui/files.js';

const superseded = () => new DOMException('A newer photo or setting replaced this one.', 'AbortError');

export const isAbort = (err) => err?.name === 'AbortError';

export class PhotoFlow {
  /**
   * @param {{client: import('./worker/client.js').PipelineClient, viewer: object,
   *          readOptions: () => object, onLayers?: (state: 'working'|'ready'|'failed', ms?: number) => void,
   *          onConvention?: (part: {photoId: number, invert: boolean, agreement: number}) => void}} parts
   *        readOptions: the depth options by name (options.js, stage 'depth'); onConvention: a dropped
   *        depth map turned out to be drawn black = near
   */
  constructor({ client, viewer, readOptions, onLayers = () => {}, onConvention = () => {} }) {
    this.client = client;
    this.viewer = viewer;
    this.readOptions = readOptions;
    this.onLayers = onLayers;
    this.onConvention = onConvention;
    this.nextId = 1;
    this._shown = null; // {id, files: {photo, depth}, source, format, label, note, width, height, rgba}
    this._live = null; // {controller, done}: the newest request
    this._pendingOpen = null; // the open of a new photo in flight, if any
    this._deferred = null; // the last adjust waiting for that open
  }

  get shown() {
    const s = this._shown;
    return s && { id: s.id, source: s.source, format: s.format, label: s.label, note: s.note, width: s.width, height: s.height };
  }

  /** Resolves once every request asked for so far has shown its depth or failed. */
  async settled() {
    let seen;
    while ([this._live?.done, this._deferred].some((p) => p && !seen?.includes(p))) {
      seen = [this._live?.done, this._deferred];
      await Promise.allSettled(seen);
    }
  }

  /**
   * Open dropped files: a photo, or a photo and its depth map. A lone image that looks like a depth map is
   * refused (err.code 'depth-map-alone') unless `asPhoto`.
   * @param {{asPhoto?: boolean}} [how]
   * @returns {Promise<{photoId: number, width: number, height: number, source: string, format: string|null,
   *          label: string|null, note: string|null, timings: object}>}
   *          once shown; rejects (AbortError when a newer request replaced it) with the shown photo kept
   */
  open(files, { asPhoto = false } = {}) {
    return this._opening((signal) => pairFiles(files, (file) => this._isDepthLike(file, signal))
      .then((pair) => this._open(this.nextId++, pair, signal, { checkConvention: true, askIfDepthMap: !asPhoto })));
  }

  /** Open a photo Blob and its depth map Blob (or null), e.g. the bundled sample. */
  openPair(pair) {
    return this._opening((signal) => this._open(this.nextId++, pair, signal));
  }

  /**
   * Show a photo and its display depth that did not come from the worker (the bundled sample's preview,
   * made by the same Python at build time), standing for `pair` until the worker holds it.
   */
  showPreview(pair, photo, texels) {
    this.viewer.show(photo, texels);
    this._shown = { id: 0, files: pair, source: 'file', format: null, label: null, note: null, ...photo };
  }

  /**
   * Post-process the shown photo's depth again with the current options. While a new photo is being
   * opened, this waits for it and then applies to whichever photo is shown (a setting never cancels a drop).
   */
  adjust() {
    if (this._pendingOpen) {
      const later = this._pendingOpen.then(() => this.adjust(), () => this.adjust());
      this._deferred = later;
      return later;
    }
    const shown = this._shown;
    if (!shown) return Promise.resolve(null);
    return this._start(async (signal) => {
      try {
        return await this._request(OPS.adjust, { photoId: shown.id, options: this.readOptions() }, signal,
          (part) => this._showDepth(shown, part));
      } catch (err) {
        // The worker holds another photo (an open it had committed was given up after all, or it was
        // restarted): give it the shown one again, with the current options.
        if (err.code === 'not-held') return this._open(shown.id, shown.files, signal);
        throw err;
      }
    });
  }

  /**
   * A piece of a depth brush stroke on the shown photo: points [x0, y0, x1, y1, ...] in photo pixels, brush
   * the 'brush' options by name; the first piece after a final one starts a stroke. A piece that is not
   * final answers a reduced display depth, shown at once (a quick look while painting); it is never aborted
   * (each piece changes the stroke), so send the next one once this one has settled. The final piece is
   * shown as an edit (see edit).
   * @returns {Promise<{canUndo: boolean, canRedo: boolean}|null>} null: no photo to paint on yet
   */
  stroke(points, brush, final) {
    const args = { points: Float32Array.from(points), brush, final };
    if (final) return this.edit(OPS.stroke, args);
    const shown = this._shown;
    if (!shown?.id || this._pendingOpen) return Promise.resolve(null);
    const onPart = (name, part) => {
      if (name === 'preview' && this._shown === shown && !this._pendingOpen) this._showDepth(shown, part);
    };
    return this.client.call(OPS.stroke, { ...args, photoId: shown.id, options: this.readOptions() }, { onPart });
  }

  /**
   * An edit of the shown photo's depth: OPS.popOut ({x, y, brush}), OPS.undo, OPS.redo, OPS.resetEdits, or
   * a stroke's final piece. Shown as an adjust is (display depth, then layers), and superseded like one.
   * @returns {Promise<{canUndo: boolean, canRedo: boolean}|null>} once shown; null: no photo to edit yet
   */
  edit(op, args = {}) {
    const shown = this._shown;
    if (!shown?.id || this._pendingOpen) return Promise.resolve(null);
    return this._start(async (signal) => {
      try {
        return await this._request(op, { ...args, photoId: shown.id, options: this.readOptions() }, signal, (part) => {
          this._showDepth(shown, part);
          return { canUndo: part.canUndo, canRedo: part.canRedo };
        });
      } catch (err) {
        if (err.code !== 'not-held') throw err;
        // a restarted worker holds the photo without its edits: show it so, and say what happened
        await this._open(shown.id, shown.files, signal);
        throw Object.assign(new Error('The image worker was restarted, so the depth edits were lost; please paint them again.'),
          { expected: true, code: 'edits-lost' });
      }
    });
  }

  /**
   * The shown photo as one JPEG carrying its depth as GDepth (a Blob), for export.
   * @returns {Promise<Blob>}
   */
  async gdepthJpeg() {
    const { data } = await this._askHeld(OPS.gdepthJpeg);
    return new Blob([data], { type: 'image/jpeg' });
  }

  /**
   * The shown photo as a textured 3D mesh of its two layers with its current depth, binary glTF (a Blob).
   * @returns {Promise<Blob>}
   */
  async meshGlb() {
    const { data } = await this._askHeld(OPS.meshGlb);
    return new Blob([data], { type: 'model/gltf-binary' });
  }

  /**
   * The shown photo as a 3D photo in one HTML file (a Blob), with the view's strength and focus.
   * @param {{strength: number, focus: number}} view
   * @returns {Promise<Blob>}
   */
  async photo3dHtml({ strength, focus }) {
    const { data } = await this._askHeld(OPS.photo3dHtml, { strength, focus });
    return new Blob([data], { type: 'text/html' });
  }

  // A request about the shown photo; a worker that holds another one (restarted) gets it again first.
  async _askHeld(op, args = {}) {
    const shown = this._shown;
    if (!shown) throw new Error('No photo is shown yet.');
    const ask = () => this.client.call(op, { ...args, photoId: shown.id });
    return ask().catch(async (err) => {
      if (err.code !== 'not-held') throw err;
      await this._start((signal) => this._open(shown.id, shown.files, signal));
      return ask();
    });
  }

  /** A restarted worker starts empty: give it the shown photo again, so options, layers and export work on it. */
  recover() {
    const shown = this._shown;
    if (shown) this._start((signal) => this._open(shown.id, shown.files, signal)).catch(() => {});
  }

  // An open of a new photo: superseded only by another open; settings wait for it (see adjust).
  _opening(work) {
    const done = this._start(work);
    this._pendingOpen = done;
    const settle = () => { if (this._pendingOpen === done) this._pendingOpen = null; };
    done.then(settle, settle);
    return done;
  }

  _start(work) {
    this._live?.controller.abort(superseded());
    const controller = new AbortController();
    const done = work(controller.signal);
    this._live = { controller, done };
    return done;
  }

  _isDepthLike(file, signal) {
    return file.arrayBuffer().then((bytes) => this.client.call(OPS.isDepthLike, { file: bytes }, { transfer: [bytes], signal }));
  }

  // checkConvention: a person's drop, whose depth map may be drawn black = near (the worker checks it
  // against the model); askIfDepthMap: a person's drop, which may be a depth map without its photo. Neither
  // for the bundled sample or a photo opened again.
  async _open(photoId, files, signal, { checkConvention = false, askIfDepthMap = false } = {}) {
    const readStart = performance.now();
    const [photo, depth] = await Promise.all([files.photo.arrayBuffer(), files.depth ? files.depth.arrayBuffer() : null]);
    const read = performance.now() - readStart; // the trace's first stage: the files' bytes in this thread
    signal.throwIfAborted();
    const args = { photoId, photo, depth, options: this.readOptions(), checkConvention, askIfDepthMap };
    return this._request(OPS.open, args, signal, (part) => {
      const { source, format, label, note, width, height, rgba, timings } = part;
      const arrived = performance.now();
      this._showDepth({ id: photoId, files, source, format, label, note, width, height, rgba }, part);
      // show: the viewer's textures made and uploaded, in this thread
      return { photoId, width, height, source, format, label, note,
        timings: { read, ...timings, show: performance.now() - arrived } };
    }, depth ? [photo, depth] : [photo]);
  }

  // One request whose 'depth' part is shown by onDepth (its value resolves the promise) and whose
  // 'layers' part goes to the viewer. Rejects only when the depth is not shown.
  _request(op, args, signal, onDepth, transfer = []) {
    return new Promise((resolve, reject) => {
      let result = null;
      const onPart = (name, value) => {
        if (name === 'depth') {
          result = onDepth(value);
          resolve(result);
        } else if (name === 'layers') {
          this._takeLayers(value, signal);
        } else if (name === 'convention') {
          this.onConvention(value); // the page flips its option, then adjusts
        }
      };
      this.client.call(op, args, { transfer, signal, onPart }).then(() => {
        if (!result) reject(new Error(`The worker finished ${op} without a depth.`));
      }, (err) => {
        if (result && !isAbort(err)) console.warn(`diorama: ${op} failed after showing its depth:`, err.message);
        reject(err); // no effect once resolved
      });
    });
  }

  _showDepth(shown, part) {
    this._shown = shown;
    this.viewer.show({ rgba: shown.rgba, width: shown.width, height: shown.height }, part.depth);
    this.onLayers('working');
  }

  // signal: the request's; once a newer request replaced it, its layers no longer say the view is ready.
  async _takeLayers(layers, signal) {
    if (layers.error) {
      console.warn('diorama: no layers for this photo:', layers.error);
      this.onLayers('failed');
      return;
    }
    const taken = await this.viewer.setLayers(layers);
    if (taken && !signal.aborted) this.onLayers('ready', layers.timings.layers);
  }
}
