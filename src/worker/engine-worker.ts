// The engine's thread: one Session (src/engine/session.ts) on this worker's WebGPU device, with the
// page's storage (IndexedDB) and file readers, exposed to the page through comlink
// (the protocol: src/worker/protocol.ts). Everything heavy runs here: training, model and text
// parsing, tokenization, safetensors and zip serialization.
import * as Comlink from 'comlink';
import { acquireGpu } from '../gpu/device.ts';
import { checkTextSize } from '../data/text-dataset.ts';
import { writeZip } from '../io/zip.ts';
import { Session } from '../engine/session.ts';
import type { Files } from '../engine/types.ts';
import { breakPass, installFaults } from './faults.ts';
import { httpFolderReader, pickedFilesReader } from './file-readers.ts';
import { idbCheckpoints, idbLibrary } from './idb-storage.ts';
import type { EngineApi, ZipExport } from './protocol.ts';

const BUILTIN_MODEL = { name: 'byte-caps', url: '/models/byte-caps' };

const session = new Session({
  acquireGpu: () => acquireGpu(),
  builtinModel: { name: BUILTIN_MODEL.name, read: httpFolderReader(new URL(BUILTIN_MODEL.url, self.location.origin).href) },
  library: idbLibrary,
  checkpoints: idbCheckpoints,
});

/** A folder's files as a .zip under `folder/`, its bytes transferred (not copied) to the page. */
function zipped(name: string, folder: string, files: Files): ZipExport {
  const zip = writeZip(Object.fromEntries(Object.entries(files).map(([n, c]) => [`${folder}/${n}`, c])));
  return Comlink.transfer({ name, zip }, [zip.buffer as ArrayBuffer]);
}

let runName = 'run';

const api: EngineApi = {
  async init(events, faults) {
    if (faults) installFaults(faults);
    session.on((e) => {
      if (e.type === 'run' && e.run?.settings) runName = `${e.run.settings.task}-r${e.run.settings.rank}`;
      events(e);
    });
    return session.start();
  },
  train: (s, proposal) => session.train(s, proposal),
  step: (s, proposal) => session.step(s, proposal),
  pause: () => session.pause(),
  reset: () => session.reset(),
  merge: () => session.merge(),
  unmerge: () => session.unmerge(),
  async exportRun(what) {
    const files = what === 'adapter' ? await session.exportAdapter() : await session.exportMerged();
    const name = `${runName}-${what}`;
    return zipped(`${name}.zip`, name, files);
  },
  generate: (prompt, maxNew, temperature, seed) => session.generate(prompt, maxNew, temperature, seed),
  interruptedRun: () => session.interruptedRun(),
  resumeInterruptedRun: () => session.resumeInterruptedRun(),
  discardInterruptedRun: () => session.discardInterruptedRun(),
  loadBuiltinModel: () => session.loadBuiltinModel(),
  async loadModelFiles(files) {
    const name = files.some((f) => f.name === 'config.json') ? 'your model' : files[0]?.name ?? 'your model';
    return session.loadModel(name, await pickedFilesReader(files));
  },
  async loadTextFile(file) {
    checkTextSize(file.name, file.size);
    return session.loadText(file.name, await file.text());
  },
  refreshLibrary: () => session.refreshLibrary(),
  saveAdapter: (name) => session.saveAdapter(name),
  activateAdapter: (name) => session.activateAdapter(name),
  evaluate: () => session.evaluate(),
  deleteAdapter: (name) => session.deleteAdapter(name),
  combine: (a, b, how, weights, name) => session.combine(a, b, how, weights, name),
  async importAdapter(files, name) {
    await session.importAdapter(await pickedFilesReader(files), name);
  },
  async exportStoredAdapter(name) {
    return zipped(`${name}-adapter.zip`, name, await session.storedAdapterFiles(name));
  },
  async exportActiveMerged() {
    const merged = await session.exportActiveMerged();
    return merged && zipped(`${merged.folder}.zip`, merged.folder, merged.files);
  },
  memory: () => session.memory(),
  loseDevice: (kind) => session.loseDevice(kind),
  breakPass,
};

Comlink.expose(api);
