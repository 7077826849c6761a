// The workbench's autosave: the current run's adapter checkpoint (settings, step, A and B) in
// IndexedDB, written every 10 steps and on pause, so a reload or a crashed tab can resume the run.
import { DEFAULT_SETTINGS, type PlaygroundSettings } from '../settings/playground-settings.ts';
import { CHECKPOINT_STORE, run } from './library-db.ts';

export interface SavedCheckpoint {
  key: 'workbench';
  runId: string;
  label: string;
  settings: PlaygroundSettings;
  step: number;
  /** True once the run reached its steps: nothing to resume. */
  finished: boolean;
  tensors: Float32Array[];
  savedAt: string;
}

export function writeCheckpoint(c: Omit<SavedCheckpoint, 'key' | 'savedAt'>): Promise<unknown> {
  return run('readwrite', 'autosaved', (s) => s.put({ ...c, key: 'workbench', savedAt: new Date().toISOString() }), CHECKPOINT_STORE);
}

/** The autosaved checkpoint; settings an older version did not store take their defaults. */
export async function readCheckpoint(): Promise<SavedCheckpoint | undefined> {
  const saved = await run('readonly', 'read', (s) => s.get('workbench') as IDBRequest<SavedCheckpoint | undefined>, CHECKPOINT_STORE);
  return saved && { ...saved, settings: { ...DEFAULT_SETTINGS, ...saved.settings } };
}

export function clearCheckpoint(): Promise<unknown> {
  return run('readwrite', 'cleared', (s) => s.delete('workbench'), CHECKPOINT_STORE);
}
