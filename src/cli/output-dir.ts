// Writes files into an output folder so that a crash never leaves a half-written file: each
// file goes to a temporary name first and is then renamed over the final one.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeFilesAtomically(dir: string, files: Record<string, string | Uint8Array>): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    const temporary = `${path}.tmp-${process.pid}`;
    writeFileSync(temporary, content);
    renameSync(temporary, path);
    written.push(path);
  }
  return written;
}
