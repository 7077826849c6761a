// Node's side of ReadFile: files of a local folder, null for a missing one, one clear error otherwise.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadFile } from '../io/model-folder.ts';
import { SettingError } from '../settings/schema.ts';

export async function folderReader(dir: string): Promise<ReadFile> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new SettingError(`${dir} is not a folder`);
  return async (name) => {
    try {
      return new Uint8Array(await readFile(join(dir, name)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new SettingError(`cannot read ${join(dir, name)}: ${(err as Error).message}`);
    }
  };
}
