// The main thread's handle on the engine: starts the engine worker (src/worker/engine-worker.ts)
// and wraps it with comlink, so every EngineApi call (src/worker/protocol.ts) is an async message.
// Events come back through a proxied callback.
import * as Comlink from 'comlink';
import type { SessionEvent } from '../engine/types.ts';
import type { Faults } from '../worker/faults.ts';
import type { EngineApi } from '../worker/protocol.ts';
import type { Engine } from './controller.ts';

/** `onCrash` hears of a worker that failed to load or died: the page then says so instead of waiting. */
export function startEngineWorker(onCrash: (message: string) => void): Engine {
  const worker = new Worker(new URL('../worker/engine-worker.ts', import.meta.url), { type: 'module', name: 'lora-engine' });
  worker.addEventListener('error', (e) => onCrash(e.message || 'the engine worker could not be loaded'));
  const remote = Comlink.wrap<EngineApi>(worker);
  return new Proxy({} as Engine, {
    get(_, key: keyof EngineApi) {
      if (key === 'init') {
        return (events: (e: SessionEvent) => void, faults: Faults | null) => remote.init(Comlink.proxy(events), faults);
      }
      // Callbacks (a download's progress) cross as comlink proxies: the worker calls back into this thread.
      return (...args: unknown[]) => (remote[key] as unknown as (...a: unknown[]) => unknown)(...args.map((a) => (typeof a === 'function' ? Comlink.proxy(a) : a)));
    },
  });
}
