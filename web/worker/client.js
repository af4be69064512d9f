// Page side of the pipeline worker: promise per request, progress callback, restart on crash.
export class PipelineClient {
  constructor({ onProgress = () => {}, onCrash = () => {} } = {}) {
    this.onProgress = onProgress;
    this.onCrash = onCrash;
    this.pending = new Map();
    this.nextId = 1;
    this.start();
  }

  start() {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'diorama-pipeline' });
    this.worker.onmessage = ({ data }) => {
      if (data.progress) return this.onProgress(data.progress);
      const request = this.pending.get(data.id);
      if (!request) return;
      this.pending.delete(data.id);
      if (data.error) request.reject(Object.assign(new Error(data.error.message), { expected: data.error.expected }));
      else request.resolve(data.result);
    };
    // An uncaught error or a dead worker (e.g. out of memory): fail what is pending, boot a new one.
    this.worker.onerror = (event) => {
      event.preventDefault?.();
      this.restart('The image worker stopped unexpectedly and was restarted. Please try again.');
    };
  }

  restart(message) {
    this.worker.terminate();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const request of pending) request.reject(Object.assign(new Error(message), { expected: true }));
    this.start();
    this.onCrash(message);
  }

  call(op, args = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }
}
