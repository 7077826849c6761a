// The page's storage, used by the Session inside the worker: the adapter library in IndexedDB
// (each adapter kept as the two files of its PEFT folder plus its training record, keyed by name;
// nothing is overwritten: saving an existing name is refused) and the autosaved checkpoint of the
// current run (settings, step, A and B, written every 10 steps and on pause, so a reload or a
// crashed tab can resume it). Storage errors (quota, private mode) surface as LibraryError messages.
import type { AdapterLibrary, CheckpointStore, SavedCheckpoint, StoredAdapter } from '../engine/types.ts';
import { DEFAULT_SETTINGS } from '../settings/playground-settings.ts';

export class LibraryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LibraryError';
  }
}

const DB_NAME = 'lora-playground';
const STORE = 'adapters';
/** Version 2 added the workbench's autosaved checkpoint. */
const DB_VERSION = 2;
const CHECKPOINT_STORE = 'checkpoints';

function explain(err: unknown, action: string): LibraryError {
  const e = err as DOMException | null;
  if (e?.name === 'QuotaExceededError') return new LibraryError(`browser storage is full, so the adapter could not be ${action}; export or delete some adapters and try again`);
  return new LibraryError(`the adapter library could not be ${action}: ${e?.message ?? String(err)}`);
}

let opening: Promise<IDBDatabase> | null = null;

function database(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new LibraryError('this browser has no IndexedDB, so adapters cannot be kept between visits; export them instead'));
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE, { keyPath: 'name' });
      if (!request.result.objectStoreNames.contains(CHECKPOINT_STORE)) request.result.createObjectStore(CHECKPOINT_STORE, { keyPath: 'key' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(explain(request.error, 'opened'));
  });
  opening.catch(() => (opening = null));
  return opening;
}

function run<T>(mode: IDBTransactionMode, action: string, body: (store: IDBObjectStore) => IDBRequest<T>, storeName = STORE): Promise<T> {
  return database().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(storeName, mode);
        const request = body(tx.objectStore(storeName));
        tx.oncomplete = () => resolve(request.result);
        tx.onerror = () => reject(explain(tx.error ?? request.error, action));
        tx.onabort = () => reject(explain(tx.error ?? request.error, action));
      }),
  );
}

export function listStoredAdapters(): Promise<StoredAdapter[]> {
  return run('readonly', 'read', (s) => s.getAll() as IDBRequest<StoredAdapter[]>).then((all) => all.sort((a, b) => a.name.localeCompare(b.name)));
}

export function getStoredAdapter(name: string): Promise<StoredAdapter | undefined> {
  return run('readonly', 'read', (s) => s.get(name) as IDBRequest<StoredAdapter | undefined>);
}

/** Adds an adapter; refuses a name already taken (add, not put: nothing is overwritten). */
export async function saveStoredAdapter(adapter: StoredAdapter): Promise<void> {
  if (await getStoredAdapter(adapter.name)) throw new LibraryError(`an adapter named ${adapter.name} already exists; choose another name or delete it first`);
  await run('readwrite', 'saved', (s) => s.add(adapter));
}

export async function deleteStoredAdapter(name: string): Promise<void> {
  await run('readwrite', 'deleted', (s) => s.delete(name));
}

export const idbLibrary: AdapterLibrary = {
  list: listStoredAdapters,
  get: getStoredAdapter,
  add: saveStoredAdapter,
  delete: deleteStoredAdapter,
};

export const idbCheckpoints: CheckpointStore = {
  async write(c) {
    await run('readwrite', 'autosaved', (s) => s.put({ ...c, key: 'workbench', savedAt: new Date().toISOString() }), CHECKPOINT_STORE);
  },
  /** The autosaved checkpoint; settings an older version did not store take their defaults. */
  async read() {
    const saved = await run('readonly', 'read', (s) => s.get('workbench') as IDBRequest<(SavedCheckpoint & { key: string }) | undefined>, CHECKPOINT_STORE);
    return saved && { ...saved, settings: saved.settings && { ...DEFAULT_SETTINGS, ...saved.settings } };
  },
  async clear() {
    await run('readwrite', 'cleared', (s) => s.delete('workbench'), CHECKPOINT_STORE);
  },
};
