// The CLI's adapter library: a folder with one sub-folder per adapter, each a PEFT adapter folder
// (adapter_config.json, adapter_model.safetensors) plus training.json (steps, final loss, where it
// came from). Saving writes a hidden temporary folder and renames it, so an interrupted save never
// leaves a half adapter, and an existing name is never overwritten.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkAdapterName } from '../adapters/names.ts';
import type { AdapterLibrary, StoredAdapter } from '../engine/types.ts';
import { adapterFolderFiles, parseAdapter, type ParsedAdapter } from '../io/peft.ts';

export { checkAdapterName };
import { SettingError } from '../settings/schema.ts';

export const DEFAULT_LIBRARY = 'adapters';

export interface TrainingRecord {
  task?: string;
  base?: string | null;
  steps?: number;
  final_loss?: number;
  val_loss?: number;
  combined_from?: string[];
  combination?: string;
  weights?: number[];
  created: string;
}

export interface LibraryEntry {
  name: string;
  dir: string;
  adapter: ParsedAdapter;
  training: TrainingRecord | null;
}

/** Reads a PEFT adapter folder (a library entry or any folder PEFT wrote). */
export function readAdapterFolder(dir: string): ParsedAdapter {
  let config: string;
  let tensors: Uint8Array;
  try {
    config = readFileSync(join(dir, 'adapter_config.json'), 'utf8');
    tensors = new Uint8Array(readFileSync(join(dir, 'adapter_model.safetensors')));
  } catch (err) {
    throw new SettingError(`${dir} is not an adapter folder (adapter_config.json + adapter_model.safetensors): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseAdapter(config, tensors);
}

export function listLibrary(library: string): { entries: LibraryEntry[]; unreadable: { name: string; why: string }[] } {
  const entries: LibraryEntry[] = [];
  const unreadable: { name: string; why: string }[] = [];
  if (!existsSync(library)) return { entries, unreadable };
  for (const item of readdirSync(library, { withFileTypes: true })) {
    if (!item.isDirectory() || item.name.startsWith('.')) continue;
    const dir = join(library, item.name);
    try {
      const training = existsSync(join(dir, 'training.json')) ? (JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8')) as TrainingRecord) : null;
      entries.push({ name: item.name, dir, adapter: readAdapterFolder(dir), training });
    } catch (err) {
      unreadable.push({ name: item.name, why: (err as Error).message });
    }
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  return { entries, unreadable };
}

export function saveToLibrary(library: string, name: string, files: Record<string, string | Uint8Array>, record: TrainingRecord): string {
  checkAdapterName(name);
  const dir = join(library, name);
  if (existsSync(dir)) throw new SettingError(`the library already has an adapter named ${name} (${dir}); choose another name or delete it first`);
  mkdirSync(library, { recursive: true });
  const temporary = join(library, `.${name}.tmp-${process.pid}`);
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary);
  for (const [file, content] of Object.entries({ ...files, 'training.json': `${JSON.stringify(record, null, 2)}\n` })) writeFileSync(join(temporary, file), content);
  renameSync(temporary, dir);
  return dir;
}

export function deleteFromLibrary(library: string, name: string): string {
  checkAdapterName(name);
  const dir = join(library, name);
  if (!existsSync(join(dir, 'adapter_config.json'))) throw new SettingError(`the library ${library} has no adapter named ${name}`);
  rmSync(dir, { recursive: true });
  return dir;
}

/** The library folder as the Session's AdapterLibrary (src/engine/types.ts): what `train --save` writes through. */
export function folderLibrary(library: string): AdapterLibrary {
  const stored = (e: LibraryEntry): StoredAdapter => {
    const files = adapterFolderFiles(e.adapter);
    return {
      name: e.name, base: e.training?.base ?? e.adapter.baseModelNameOrPath ?? '', created: e.training?.created ?? '', modules: e.adapter.modules.size,
      configJson: files['adapter_config.json'] as string, safetensors: files['adapter_model.safetensors'] as Uint8Array, training: e.training ?? {},
    };
  };
  return {
    list: async () => listLibrary(library).entries.map(stored),
    get: async (name) => {
      const entry = listLibrary(library).entries.find((e) => e.name === name);
      return entry && stored(entry);
    },
    add: async (a) => {
      saveToLibrary(library, a.name, { 'adapter_config.json': a.configJson, 'adapter_model.safetensors': a.safetensors }, { ...a.training, base: a.base || null, created: a.created });
    },
    delete: async (name) => {
      deleteFromLibrary(library, name);
    },
  };
}
