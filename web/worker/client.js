// Page side of the pipeline worker: a promise per request (partial results by callback, abortable like
// Squoosh's worker calls), progress callback, restart on crash.
//
// A worker can die three ways, and each ends in restart(): a new worker, every pending request
// rejected with a message for people, onCrash(message) so the page can say so. A worker whose wasm heap
// grew large (it never shrinks) is replaced too, quietly, once idle: onReplaced().
// - an uncaught error (onerror), e.g. a failed module load;
// - a broken runtime: a reply whose error is `fatal` (Pyodide ran out of memory or crashed);
// - silence: closed, killed or hung, which fires no event. A heartbeat notices: the client pings
//   every heartbeatMs and replaces a worker that has not answered for deadAfterMs, unless the worker
//   announced a long silent step ({quietFor: ms}: starting Python, matching a stereo pair's two views on a
//   slow phone).
//   Both are settable (setHeartbeat), so a test of a hung worker takes seconds.
import { PipelineError, ERRORS } from './protocol.js';

const HEARTBEAT_MS = 2000;
// Generous: pings wait while the worker's thread runs one long synchronous step (Pyodide's start,
// decoding a 48 MP photo, the depth model on a slow phone), which takes seconds, not tens of seconds.
const DEAD_AFTER_MS = 20000;
const CRASHED = 'The image worker stopped unexpectedly (perhaps this device ran out of memory) and was restarted; '
  + 'the photo on screen and its edits are kept. A smaller photo should work.';
// A worker whose WebAssembly memory grew past this (it never shrinks) is replaced once it is idle, so the
// page returns to its normal footprint after a large photo (see restart: a quiet one, no message).
const REPLACE_HEAP_BYTES = 2 ** 30;
// The signal number Pyodide raises as KeyboardInterrupt when it finds it in an interrupt buffer.
const SIGINT = 2;

export class PipelineClient {
  constructor({ onProgress = () => {}, onCrash = () => {}, onReplaced = () => {}, heartbeatMs = HEARTBEAT_MS,
    deadAfterMs = DEAD_AFTER_MS } = {}) {
    this.onProgress = onProgress;
    this.onCrash = onCrash;
    this.onReplaced = onReplaced;
    this.replaceHeapAbove = REPLACE_HEAP_BYTES;
    this.pending = new Map();
    this.nextId = 1;
    this.restarts = 0;
    this.heartbeatMs = heartbeatMs;
    this.deadAfterMs = deadAfterMs;
    this.start();
  }

  /** How often the worker is pinged, and after how long without an answer it counts as dead (ms). */
  setHeartbeat({ heartbeatMs = this.heartbeatMs, deadAfterMs = this.deadAfterMs }) {
    Object.assign(this, { heartbeatMs, deadAfterMs });
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs);
  }

  start() {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'diorama-pipeline' });
    this.worker.onmessage = ({ data }) => {
      if (data.pong !== undefined) { this.pingSentAt = null; return; }
      if (data.quietFor !== undefined) { this.quietUntil = performance.now() + data.quietFor; return; }
      if (data.progress) return this.onProgress(data.progress);
      const request = this.pending.get(data.id);
      if (!request) return; // given up (cancelled or superseded): whatever it still sends is dropped here
      if (data.error?.fatal) return this.restart(CRASHED);
      if (data.part) return request.onPart(data.part, data.value);
      this.finish(data.id);
      if (data.error) request.reject(PipelineError.fromMessage(data.error));
      else request.resolve(data.result);
      if (data.heap > this.replaceHeapAbove && this.pending.size === 0) this.restart(null);
    };
    // An uncaught error or a dead worker (e.g. out of memory): fail what is pending, boot a new one.
    this.worker.onerror = (event) => {
      event.preventDefault?.();
      this.restart(CRASHED);
    };
    this.pingSentAt = null;
    this.quietUntil = 0;
    this.lastBeat = performance.now();
    this.setHeartbeat({});
  }

  beat() {
    const now = performance.now();
    // Timers of a hidden or frozen page run late (and its worker may have been frozen too): start over.
    if (now - this.lastBeat > 2 * this.heartbeatMs) this.pingSentAt = null;
    this.lastBeat = now;
    if (this.pingSentAt === null) {
      this.pingSentAt = now;
      this.worker.postMessage({ ping: now });
    } else if (now - this.pingSentAt > this.deadAfterMs && now > this.quietUntil) {
      this.restart(CRASHED);
    }
  }

  // message: why, for people (a crash); null: a quiet replacement of an idle worker whose memory grew large
  // (nothing is pending then).
  restart(message) {
    this.worker.terminate();
    this.restarts += 1;
    const pending = [...this.pending.values()];
    for (const request of pending) request.stopListening();
    this.pending.clear();
    for (const request of pending) request.reject(new PipelineError(ERRORS.crashed, message));
    this.start();
    if (message === null) this.onReplaced();
    else this.onCrash(message);
  }

  /**
   * One request (see protocol.js). Rejects with an AbortError as soon as `signal` aborts: the worker is
   * told to skip the request or stop it at its next step, and nothing it still sends for it arrives.
   * @param {string} op
   * @param {object} [args]
   * @param {{transfer?: Transferable[], signal?: AbortSignal, onPart?: (name: string, value: any) => void}} [options]
   */
  call(op, args = {}, { transfer = [], signal = null, onPart = () => {} } = {}) {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.nextId++;
    // On a cross-origin isolated page, the request's own interrupt flag (shared memory, read by Pyodide between
    // Python steps) stops its long Python work at once instead of at the next checkpoint; one per request, so a
    // late write can never stop another request.
    const interrupt = signal && globalThis.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.finish(id);
        if (interrupt) Atomics.store(interrupt, 0, SIGINT);
        this.worker.postMessage({ cancel: id });
        reject(signal.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve, reject, onPart, stopListening: () => signal?.removeEventListener('abort', onAbort) });
      // sentAt (ms since the epoch, comparable across threads): the worker's trace counts the wait from here,
      // including the time its thread was still busy with a long synchronous step before it saw the message
      this.worker.postMessage({ id, op, args, interrupt, sentAt: performance.timeOrigin + performance.now() }, transfer);
    });
  }

  finish(id) {
    this.pending.get(id)?.stopListening();
    this.pending.delete(id);
  }
}
