// The worker's handlers of TEST_OPS (protocol.js): requests that tests and benchmarks make through
// window.diorama, never the app itself. Each gets the worker state, the request's args and its context, as
// worker.js's handlers do, and returns {value, transfer}.
import { TEST_OPS } from './protocol.js';
import { timeModel } from './depth-model.js';
import { takeArray } from './py-arrays.js';

export const testHandlers = {
  async [TEST_OPS.timeModel]({ modelUrl }, { height, width, runs }, { progress }) {
    return { value: await timeModel(modelUrl, height, width, runs, progress), transfer: [] };
  },
  async [TEST_OPS.rawDepth]({ studio }) {
    const { data, shape: [height, width] } = takeArray(studio.require_raw_depth());
    return { value: { data, width, height }, transfer: [data.buffer] };
  },
  async [TEST_OPS.importModules]({ pyodide, lateStdlib }, { names }) {
    const importModule = pyodide.pyimport('importlib').import_module;
    const failed = {};
    for (const name of names) {
      try {
        importModule(name).destroy();
      } catch (err) {
        failed[name] = String(err.message).trim().split('\n').pop();
      }
    }
    importModule.destroy();
    return { value: { failed, lateFetched: lateStdlib.installed }, transfer: [] };
  },
  async [TEST_OPS.memory]({ pyodide }) {
    return { value: { wasm: pyodide._module?.HEAPU8?.length ?? null }, transfer: [] };
  },
};
