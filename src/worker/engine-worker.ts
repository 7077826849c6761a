// The engine's thread: one Session (src/engine/session.ts) on this worker's WebGPU device, with the
// page's storage (IndexedDB) and the bundled model over HTTP, exposed to the page through comlink
// (the protocol: src/worker/protocol.ts; the calls: engine-api.ts). Everything heavy runs here:
// training, model and text parsing, tokenization, safetensors and zip serialization.
import * as Comlink from 'comlink';
import { Session } from '../engine/session.ts';
import { acquireGpu } from '../gpu/device.ts';
import { createEngineApi } from './engine-api.ts';
import { httpFolderReader } from './file-readers.ts';
import { idbCheckpoints, idbLibrary } from './idb-storage.ts';

// The page's root: a build has a relative base ('./', vite.config.ts) and this worker's file sits in
// its assets/ folder, one below the root, wherever the site is hosted; the dev server (and a build
// with an absolute --base) gives the root's path itself.
const PAGE_ROOT = new URL(import.meta.env.BASE_URL === './' ? '../' : import.meta.env.BASE_URL, import.meta.url);
const BUILTIN_MODEL = { name: 'byte-caps', url: new URL('models/byte-caps', PAGE_ROOT).href };

const session = new Session({
  acquireGpu: () => acquireGpu(),
  builtinModel: { name: BUILTIN_MODEL.name, read: httpFolderReader(BUILTIN_MODEL.url) },
  library: idbLibrary,
  checkpoints: idbCheckpoints,
});

Comlink.expose(createEngineApi(session));
