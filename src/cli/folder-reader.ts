// Node's side of OpenFile for a model folder: an existing folder's files, read at offsets
// (src/cli/folder-opener.ts), so a checkpoint is never read whole into memory; null for a missing file.
import { stat } from 'node:fs/promises';
import type { OpenFile } from '../io/random-access.ts';
import { SettingError } from '../settings/schema.ts';
import { folderOpener } from './folder-opener.ts';

export async function folderReader(dir: string): Promise<OpenFile> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new SettingError(`${dir} is not a folder`);
  return folderOpener(dir);
}
