// The CLI's Hub download cache: a folder (default ~/.cache/lora-playground/hub, or
// $LORA_PLAYGROUND_CACHE), one sub-folder per endpoint host, repo and revision, holding the
// model's files under their own names — a model folder the loader reads like any other. A file
// is downloaded to NAME.part and renamed when it is whole and checked, so a file under its own
// name is always complete; Ctrl-C leaves only .part files, which the next run resumes.
import { mkdir, open as openHandle, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { hubModelKey, type CachedHubModel, type HubModelRef, type HubStorage } from '../io/hub.ts';
import { fileAt } from './folder-opener.ts';

const ENTRY = '.lora-playground-model.json';

export function defaultHubCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.LORA_PLAYGROUND_CACHE || join(homedir(), '.cache', 'lora-playground', 'hub');
}

/** A plain file name of the model (the hub layer checks shard names; this is the last guard). */
function safeName(file: string): string {
  if (!/^[\w.-]+$/.test(file) || file.includes('..')) throw new Error(`refusing to store ${JSON.stringify(file)}: not a plain file name`);
  return file;
}

export function folderHubStorage(root: string): HubStorage & { dir(m: HubModelRef): string } {
  const dir = (m: HubModelRef) => join(root, ...hubModelKey(m).split('/'));
  const path = (m: HubModelRef, file: string) => join(dir(m), safeName(file));
  const part = (m: HubModelRef, file: string) => `${path(m, file)}.part`;
  const sizeOf = async (p: string) => (await stat(p).catch(() => null))?.size ?? 0;

  async function entries(folder: string, depth: number, found: string[]): Promise<void> {
    const items = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const item of items) {
      if (item.isFile() && item.name === ENTRY) found.push(folder);
      else if (item.isDirectory() && depth < 4) await entries(join(folder, item.name), depth + 1, found);
    }
  }

  return {
    dir,
    open: (m, file) => fileAt(path(m, file)),
    partialSize: (m, file) => sizeOf(part(m, file)),
    async openPartial(m, file, offset) {
      await mkdir(dir(m), { recursive: true });
      const p = part(m, file);
      if (offset !== 0 && (await sizeOf(p)) !== offset) throw new Error(`${p} is not ${offset} bytes long`);
      const handle = await openHandle(p, offset === 0 ? 'w' : 'a');
      return {
        // Each chunk reaches the file (the OS) before the next is read: a killed run keeps all it received.
        write: async (chunk) => {
          await handle.write(chunk);
        },
        close: () => handle.close(),
      };
    },
    readPartial: (m, file) => fileAt(part(m, file)),
    commit: (m, file) => rename(part(m, file), path(m, file)),
    discardPartial: (m, file) => rm(part(m, file), { force: true }),
    async writeEntry(entry) {
      const { key: _key, bytes: _bytes, ...rest } = entry;
      await mkdir(dir(entry), { recursive: true });
      const target = join(dir(entry), ENTRY);
      await writeFile(`${target}.tmp`, `${JSON.stringify(rest, null, 2)}\n`);
      await rename(`${target}.tmp`, target);
    },
    async list() {
      const folders: string[] = [];
      await entries(root, 0, folders);
      const models: CachedHubModel[] = [];
      for (const folder of folders.sort()) {
        try {
          const raw = JSON.parse(await readFile(join(folder, ENTRY), 'utf8')) as Omit<CachedHubModel, 'key' | 'bytes'>;
          const names = (await readdir(folder)).filter((n) => n !== ENTRY);
          let bytes = 0;
          for (const n of names) bytes += await sizeOf(join(folder, n));
          const ref = { endpoint: raw.endpoint, repo: raw.repo, revision: raw.revision };
          models.push({ ...raw, ...ref, key: hubModelKey(ref), bytes });
        } catch {
          // not ours, or half-written by another version: skipped
        }
      }
      return models;
    },
    delete: (m) => rm(dir(m), { recursive: true, force: true }),
  };
}
