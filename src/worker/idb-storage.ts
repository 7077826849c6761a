// The page's storage, used by the Session inside the worker: the adapter library in IndexedDB
// (each adapter kept as the two files of its PEFT folder plus its training record, keyed by name;
// nothing is overwritten: saving an existing name is refused) and the autosaved checkpoint of the
// current run (settings, step, A and B, written every 10 steps and on pause, so a reload or a
// crashed tab can resume it). Through `idb`; every read and write is one transaction. Storage
// errors (quota, private mode, a newer page's database) surface as LibraryError messages.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { AdapterLibrary, CheckpointStore, SavedCheckpoint, StoredAdapter } from '../engine/types.ts';
import { DEFAULT_SETTINGS } from '../settings/playground-settings.ts';

export class LibraryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LibraryError';
  }
}

type StoredCheckpoint = SavedCheckpoint & { key: string };

interface PlaygroundDb extends DBSchema {
  adapters: { key: string; value: StoredAdapter };
  checkpoints: { key: string; value: StoredCheckpoint };
}

export const DB_NAME = 'lora-playground';
const CHECKPOINT_KEY = 'workbench';

/**
 * Step i takes the database from version i to i + 1; opening runs every step from the version a
 * browser holds up to the newest. Released steps never change (users' databases went through
 * them): a new store or index is a new step at the end.
 */
const UPGRADES: ((db: IDBPDatabase<PlaygroundDb>) => void)[] = [
  // 0 → 1: the adapter library, keyed by name.
  (db) => db.createObjectStore('adapters', { keyPath: 'name' }),
  // 1 → 2: the workbench's autosaved checkpoint, one record under the key 'workbench'.
  (db) => db.createObjectStore('checkpoints', { keyPath: 'key' }),
];
export const DB_VERSION = UPGRADES.length;

/** `failed` says what could not be done ("the adapter could not be saved"). */
function explain(err: unknown, failed: string): LibraryError {
  if (err instanceof LibraryError) return err;
  const e = err as DOMException | null;
  if (e?.name === 'QuotaExceededError') return new LibraryError(`browser storage is full (quota exceeded), so ${failed}; export or delete some adapters and try again`);
  if (e?.name === 'VersionError') return new LibraryError(`${failed}: a newer version of this page upgraded the adapter library in another tab; reload this tab`);
  return new LibraryError(`${failed}: ${e?.message ?? String(err)}`);
}

export interface IdbStorage {
  library: AdapterLibrary;
  checkpoints: CheckpointStore;
  /** Closes the connection (tests; the worker keeps it for its lifetime). */
  close(): Promise<void>;
}

/** The library and the autosave in the database `name` (one connection, opened on first use). */
export function createIdbStorage(name = DB_NAME): IdbStorage {
  let opening: Promise<IDBPDatabase<PlaygroundDb>> | null = null;
  const database = () => {
    if (typeof indexedDB === 'undefined') return Promise.reject(new LibraryError('this browser has no IndexedDB, so adapters cannot be kept between visits; export them instead'));
    opening ??= openDB<PlaygroundDb>(name, DB_VERSION, {
      upgrade(db, oldVersion) {
        for (let version = oldVersion; version < DB_VERSION; version++) UPGRADES[version](db);
      },
      // Another tab opens a newer version: let it upgrade; our next call reopens (and says to reload).
      blocking(_current, _blocked, event) {
        (event.target as IDBDatabase).close();
        opening = null;
      },
      terminated() {
        opening = null;
      },
    });
    const opened = opening;
    opened.catch(() => {
      if (opening === opened) opening = null;
    });
    return opened;
  };
  /** Runs one operation (one transaction); `failed` names it for an error. */
  const attempt = async <T>(failed: string, work: (db: IDBPDatabase<PlaygroundDb>) => Promise<T>): Promise<T> => {
    try {
      return await work(await database());
    } catch (err) {
      throw explain(err, failed);
    }
  };

  const library: AdapterLibrary = {
    list: () => attempt('the adapter library could not be read', async (db) => (await db.getAll('adapters')).sort((a, b) => a.name.localeCompare(b.name))),
    get: (adapter) => attempt('the adapter library could not be read', (db) => db.get('adapters', adapter)),
    /** `add`, not `put`, in one transaction: a name already taken fails the request itself, and nothing is overwritten. */
    add: (adapter) =>
      attempt('the adapter could not be saved', async (db) => {
        try {
          await db.add('adapters', adapter);
        } catch (err) {
          if ((err as DOMException)?.name === 'ConstraintError') throw new LibraryError(`an adapter named ${adapter.name} already exists; choose another name or delete it first`);
          throw err;
        }
      }),
    delete: (adapter) => attempt('the adapter could not be deleted', (db) => db.delete('adapters', adapter)),
  };

  const checkpoints: CheckpointStore = {
    write: (c) => attempt('the run could not be autosaved', async (db) => void (await db.put('checkpoints', { ...c, key: CHECKPOINT_KEY, savedAt: new Date().toISOString() }))),
    /** The autosaved checkpoint; settings an older version did not store take their defaults. */
    read: () =>
      attempt('the autosaved run could not be read', async (db) => {
        const saved = await db.get('checkpoints', CHECKPOINT_KEY);
        return saved && { ...saved, settings: saved.settings && { ...DEFAULT_SETTINGS, ...saved.settings } };
      }),
    clear: () => attempt('the autosaved run could not be cleared', (db) => db.delete('checkpoints', CHECKPOINT_KEY)),
  };

  return {
    library,
    checkpoints,
    async close() {
      const current = opening;
      opening = null;
      if (current) (await current.catch(() => null))?.close();
    },
  };
}

const pageStorage = createIdbStorage();
export const idbLibrary = pageStorage.library;
export const idbCheckpoints = pageStorage.checkpoints;
