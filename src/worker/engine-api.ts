// The EngineApi (src/worker/protocol.ts) over one Session: what the worker exposes to the page.
// Kept apart from the worker's entry (engine-worker.ts), so the app-layer tests can drive the
// page controller against a real Session in Node, with no worker and no browser.
import { checkTextSize } from '../data/text-dataset.ts';
import type { Session } from '../engine/session.ts';
import { downloadModel, HubError, parseHubModel } from '../io/hub.ts';
import { allowedHubEndpoints, hubConnectSources, refuseUnlessAllowed } from '../io/hub-endpoints.ts';
import { exportArchive } from './export-archive.ts';
import { breakPass, installFaults } from './faults.ts';
import { pickedFilesReader } from './file-readers.ts';
import { cacheHubStorage } from './hub-cache.ts';
import type { EngineApi } from './protocol.ts';

/**
 * The Hub endpoints this build may reach (VITE_HF_ENDPOINT; the page's CSP allows the same), and
 * the URLs they may redirect to. The worker checks them itself: a page's meta CSP may not bind it.
 */
const HUB_ENV = (import.meta as { env?: Record<string, string | undefined> }).env ?? {};

export function createEngineApi(session: Session, hub = { endpoints: HUB_ENV.VITE_HF_ENDPOINT, cdn: HUB_ENV.VITE_HF_CDN }): EngineApi {
  let runName = 'run';
  let hubDownload: AbortController | null = null;
  const hubStorage = () => {
    if (typeof caches === 'undefined') throw new HubError('this browser offers no Cache Storage here (a private window, or an insecure origin): models cannot be downloaded', 'storage');
    return cacheHubStorage();
  };
  const endpoints = allowedHubEndpoints(hub.endpoints);
  const sources = hubConnectSources(hub.endpoints, hub.cdn);
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
    async exportRun(what, dtype) {
      const files = what === 'adapter' ? await session.exportAdapter() : await session.exportMerged(dtype);
      // A merged export of one file other than a model's (the teacher's one layer) is named after that file.
      const only = Object.keys(files);
      const single = what === 'merged' && only.length === 1 && only[0] !== 'model.safetensors' ? only[0].replace(/\.safetensors$/, '') : null;
      const name = `${runName}-${single ?? what}`;
      return exportArchive(`${name}.zip`, name, files);
    },
    generate: (prompt, maxNew, temperature, seed) => session.generate(prompt, maxNew, temperature, seed),
    spectra: () => session.spectra(),
    interruptedRun: () => session.interruptedRun(),
    resumeInterruptedRun: (runId) => session.resumeInterruptedRun(runId),
    discardInterruptedRun: () => session.discardInterruptedRun(),
    loadBuiltinModel: () => session.loadBuiltinModel(),
    async loadModelFiles(files) {
      const name = files.some((f) => f.name === 'config.json') ? 'your model' : files[0]?.name ?? 'your model';
      return session.loadModel(name, await pickedFilesReader(files));
    },
    async loadHubModel(request, onProgress) {
      if (hubDownload) throw new HubError('a download is already running: wait for it or cancel it', 'input');
      const model = parseHubModel(request.model, { endpoint: request.endpoint, revision: request.revision });
      if (!endpoints.includes(model.endpoint)) {
        throw new HubError(refuseUnlessAllowed(endpoints.map((e) => new URL(e).origin), `${model.endpoint}/`) ?? `${model.endpoint} is not an allowed endpoint (${endpoints.join(', ')})`, 'input');
      }
      const storage = hubStorage();
      const abort = (hubDownload = new AbortController());
      let downloaded;
      try {
        downloaded = await downloadModel(storage, model, { signal: abort.signal, onProgress, allowUrl: (url) => refuseUnlessAllowed(sources, url) });
      } finally {
        hubDownload = null;
      }
      return session.loadModel(request.name?.trim() || downloaded.name, downloaded.open);
    },
    cancelHubDownload() {
      hubDownload?.abort();
    },
    listHubCache: () => (typeof caches === 'undefined' ? Promise.resolve([]) : cacheHubStorage().list()),
    async deleteHubCache(key) {
      if (hubDownload) throw new HubError('a download is running: cancel it before deleting cached models', 'input');
      const storage = hubStorage();
      const entry = (await storage.list()).find((e) => e.key === key);
      if (entry) await storage.delete(entry);
      return storage.list();
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
      return exportArchive(`${name}-adapter.zip`, name, await session.storedAdapterFiles(name));
    },
    async exportActiveMerged() {
      const merged = await session.exportActiveMerged();
      return merged && exportArchive(`${merged.folder}.zip`, merged.folder, merged.files);
    },
    memory: () => session.memory(),
    loseDevice: (kind) => session.loseDevice(kind),
    breakPass,
  };
}
