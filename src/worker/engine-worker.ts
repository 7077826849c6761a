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

const BUILTIN_MODEL = { name: 'byte-caps', url: '/models/byte-caps' };

const session = new Session({
  acquireGpu: () => acquireGpu(),
  builtinModel: { name: BUILTIN_MODEL.name, read: httpFolderReader(new URL(BUILTIN_MODEL.url, self.location.origin).href) },
  library: idbLibrary,
  checkpoints: idbCheckpoints,
});

Comlink.expose(createEngineApi(session));
