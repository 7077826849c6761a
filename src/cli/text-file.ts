// Reads the user's .txt / .jsonl file from disk, refusing an oversized one before reading it.
import { readFile, stat } from 'node:fs/promises';
import { checkTextSize, parseTextFile } from '../data/text-dataset.ts';
import { SettingError } from '../settings/schema.ts';

export async function readTextDocuments(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new SettingError(`cannot read the text file ${path}`);
  checkTextSize(path, info.size);
  return parseTextFile(path, await readFile(path, 'utf8'));
}
