// Writes files into an output folder so that a crash never leaves a half-written file: each
// file goes to a temporary name first and is then renamed over the final one.
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * DIR/checkpoints/step-NNNNNN: written in a hidden temporary folder, then renamed into place, so a
 * checkpoint on disk is always whole; only the newest two are kept.
 */
export function writeCheckpoint(outDir: string, step: number, files: Record<string, string | Uint8Array>): string {
  const root = join(outDir, 'checkpoints');
  mkdirSync(root, { recursive: true });
  const name = `step-${String(step).padStart(6, '0')}`;
  const temporary = join(root, `.${name}.tmp-${process.pid}`);
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary);
  for (const [file, content] of Object.entries(files)) writeFileSync(join(temporary, file), content);
  const final = join(root, name);
  rmSync(final, { recursive: true, force: true });
  renameSync(temporary, final);
  const all = readdirSync(root).filter((n) => /^step-\d+$/.test(n)).sort();
  for (const old of all.slice(0, -2)) rmSync(join(root, old), { recursive: true, force: true });
  return final;
}
