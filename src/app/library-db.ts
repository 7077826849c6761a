// The page's adapter library in IndexedDB: each adapter is kept as the two files of its PEFT
// folder plus its training record, keyed by name. Nothing is overwritten: saving an existing
// name is refused. Storage errors (quota, private mode) surface as LibraryError messages.
export interface StoredAdapter {
  name: string;
  base: string;
  created: string;
  configJson: string; // adapter_config.json
  safetensors: Uint8Array; // adapter_model.safetensors
  modules: number; // LoRA layers it holds
  training: { task?: string; steps?: number; final_loss?: number; val_loss?: number; combined_from?: string[]; combination?: string; weights?: number[] };
}

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
export const CHECKPOINT_STORE = 'checkpoints';

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

export function run<T>(mode: IDBTransactionMode, action: string, body: (store: IDBObjectStore) => IDBRequest<T>, storeName = STORE): Promise<T> {
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
