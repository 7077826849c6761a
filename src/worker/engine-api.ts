// The EngineApi (src/worker/protocol.ts) over one Session: what the worker exposes to the page.
// Kept apart from the worker's entry (engine-worker.ts), so the app-layer tests can drive the
// page controller against a real Session in Node, with no worker and no browser.
import * as Comlink from 'comlink';
import { checkTextSize } from '../data/text-dataset.ts';
import type { Session } from '../engine/session.ts';
import type { Files } from '../engine/types.ts';
import { writeZip } from '../io/zip.ts';
import { breakPass, installFaults } from './faults.ts';
import { pickedFilesReader } from './file-readers.ts';
import type { EngineApi, ZipExport } from './protocol.ts';

/** A folder's files as a .zip under `folder/`, its bytes transferred (not copied) to the page. */
function zipped(name: string, folder: string, files: Files): ZipExport {
  const zip = writeZip(Object.fromEntries(Object.entries(files).map(([n, c]) => [`${folder}/${n}`, c])));
  return Comlink.transfer({ name, zip }, [zip.buffer as ArrayBuffer]);
}

export function createEngineApi(session: Session): EngineApi {
  let runName = 'run';
  return {
    async init(events, faults) {
      if (faults) installFaults(faults);
      session.on((e) => {
        if (e.type === 'run' && e.run?.settings) runName = e.run.settings.full && e.run.settings.task === 'tiny-lm' ? `${e.run.settings.task}-full` : `${e.run.settings.task}-r${e.run.settings.rank}`;
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
    resumeInterruptedRun: (runId) => session.resumeInterruptedRun(runId),
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
}
