// The page's IndexedDB storage in Node, on fake-indexeddb (an in-memory IndexedDB that follows the
// specification, structured clone included): databases written by released versions open in this
// one without loss, every save is one transaction, and storage errors read as what to do.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlaygroundSettings } from '../settings/playground-settings.ts';
import { DEFAULT_SETTINGS } from '../settings/playground-settings.ts';
import type { SavedCheckpoint, StoredAdapter } from '../engine/types.ts';
import { writeVersion1, writeVersion2 } from './fixtures/released-idb-writers.ts';
import { createIdbStorage, DB_VERSION, LibraryError, type IdbStorage } from './idb-storage.ts';

function adapter(name: string, seed: number): StoredAdapter {
  return {
    name,
    base: 'byte-caps',
    created: `2025-0${seed}-01T12:00:00.000Z`,
    configJson: JSON.stringify({ peft_type: 'LORA', r: 4 * seed }),
    safetensors: new Uint8Array(64).map((_, i) => (i * seed) % 256),
    modules: 2 * seed,
    training: { task: 'tiny-lm', steps: 10 * seed, final_loss: 1.5 / seed },
  };
}

const checkpoint = (settings: PlaygroundSettings | null): Omit<SavedCheckpoint, 'savedAt'> => ({
  runId: 'run-7',
  label: 'tiny-lm r=4',
  settings,
  step: 30,
  finished: false,
  tensors: [new Float32Array([1.5, -2, 0.25]), new Float32Array([3, 4])],
  base: 'byte-caps',
  text: 'built-in',
  recent: [{ step: 29, loss: 2.5 }, { step: 30, loss: 2.25 }] as SavedCheckpoint['recent'],
  data: 'byte-caps:20 tensors',
});

let dbCount = 0;
const opened: IdbStorage[] = [];
/** A fresh database name for each test (fake-indexeddb keeps them all in this process). */
const freshName = () => `lora-playground-test-${++dbCount}`;
const storage = (name: string) => {
  const s = createIdbStorage(name);
  opened.push(s);
  return s;
};
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

async function rawVersion(name: string): Promise<{ version: number; stores: string[] }> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const found = { version: db.version, stores: [...db.objectStoreNames].sort() };
  db.close();
  return found;
}

describe('IndexedDB storage: released databases open without loss', () => {
  it('version 2 (adapters and the autosaved run): every adapter byte and the checkpoint survive', async () => {
    const name = freshName();
    const adapters = [adapter('zeta', 1), adapter('alpha', 2), adapter('mid', 3)];
    const settings = { ...DEFAULT_SETTINGS, task: 'tiny-lm', rank: 4 } as PlaygroundSettings;
    await writeVersion2(name, adapters, checkpoint(settings));
    const { library, checkpoints } = storage(name);
    expect(await library.list()).toEqual([adapters[1], adapters[2], adapters[0]]); // by name
    expect(await library.get('mid')).toEqual(adapters[2]);
    const saved = await checkpoints.read();
    expect(saved).toMatchObject({ ...checkpoint(settings), key: 'workbench' });
    expect(saved!.tensors[0]).toBeInstanceOf(Float32Array);
    expect(Array.from(saved!.tensors[0])).toEqual([1.5, -2, 0.25]);
    expect(await rawVersion(name)).toEqual({ version: DB_VERSION, stores: ['adapters', 'checkpoints'] });
  });

  it('version 1 (the library alone) upgrades step by step: adapters kept, the checkpoint store added and usable', async () => {
    const name = freshName();
    const adapters = [adapter('first', 1), adapter('second', 2)];
    await writeVersion1(name, adapters);
    expect(await rawVersion(name)).toEqual({ version: 1, stores: ['adapters'] });
    const { library, checkpoints } = storage(name);
    expect(await library.list()).toEqual(adapters);
    expect(await checkpoints.read()).toBeUndefined();
    await checkpoints.write(checkpoint(null));
    expect((await checkpoints.read())!.step).toBe(30);
    expect(await rawVersion(name)).toEqual({ version: DB_VERSION, stores: ['adapters', 'checkpoints'] });
  });

  it("a checkpoint an older page wrote with fewer settings reads with today's defaults for the rest", async () => {
    const name = freshName();
    await writeVersion2(name, [], checkpoint({ task: 'teacher', rank: 8 } as PlaygroundSettings));
    const saved = await storage(name).checkpoints.read();
    expect(saved!.settings).toEqual({ ...DEFAULT_SETTINGS, task: 'teacher', rank: 8 });
  });
});

describe('IndexedDB storage: writing', () => {
  it('saves in one transaction; a name already taken is refused by that same request, the stored adapter unchanged', async () => {
    const { library } = storage(freshName());
    await library.list(); // opened (its own transaction)
    const transaction = IDBDatabase.prototype.transaction;
    let transactions = 0;
    IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<typeof transaction>) {
      transactions++;
      return transaction.apply(this, args);
    };
    try {
      await library.add(adapter('kept', 1));
      expect(transactions).toBe(1);
      await expect(library.add({ ...adapter('kept', 2) })).rejects.toThrow(new LibraryError('an adapter named kept already exists; choose another name or delete it first'));
      expect(transactions).toBe(2);
    } finally {
      IDBDatabase.prototype.transaction = transaction;
    }
    expect(await library.get('kept')).toEqual(adapter('kept', 1));
    await library.delete('kept');
    expect(await library.list()).toEqual([]);
  });

  it('the autosave: written over, read back, cleared', async () => {
    const { checkpoints } = storage(freshName());
    await checkpoints.write(checkpoint(null));
    await checkpoints.write({ ...checkpoint(null), step: 40 });
    const saved = await checkpoints.read();
    expect(saved!.step).toBe(40);
    expect(Date.parse(saved!.savedAt)).toBeGreaterThan(Date.now() - 60_000);
    await checkpoints.clear();
    expect(await checkpoints.read()).toBeUndefined();
  });

  it('a full storage says so and what to do (as src/worker/faults.ts simulates it in the page)', async () => {
    const { checkpoints } = storage(freshName());
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
      if (this.name === 'checkpoints') throw new DOMException('simulated: the quota is exhausted', 'QuotaExceededError');
      return put.apply(this, args);
    };
    try {
      await expect(checkpoints.write(checkpoint(null))).rejects.toThrow(
        'browser storage is full (quota exceeded), so the run could not be autosaved; export or delete some adapters and try again',
      );
    } finally {
      IDBObjectStore.prototype.put = put;
    }
  });

  it('a database a newer page upgraded is not opened: reload', async () => {
    const name = freshName();
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.open(name, DB_VERSION + 1);
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(request.error);
    });
    await expect(storage(name).library.list()).rejects.toThrow('the adapter library could not be read: a newer version of this page upgraded the adapter library in another tab; reload this tab');
  });
});
