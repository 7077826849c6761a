// Node's side of OpenFile (src/io/random-access.ts): files of a local folder read at offsets
// through a file handle, so a shard is never read whole into memory. (Written for the Hub
// download cache, src/cli/hub-folder.ts; the model loader can use it as it is.)
import { open as openHandle, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenFile, RandomAccessFile } from '../io/random-access.ts';

/** The file at `path`, or null when there is none. Each read opens, reads and closes: nothing is left open. */
export async function fileAt(path: string): Promise<RandomAccessFile | null> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
    throw err;
  });
  if (!info) return null;
  if (!info.isFile()) return null;
  const size = info.size;
  return {
    size,
    async read(offset, length) {
      if (!(offset >= 0 && length >= 0 && offset + length <= size)) {
        throw new RangeError(`bytes ${offset}..${offset + length} run past the end of ${path} (${size} bytes; is it truncated?)`);
      }
      const handle = await openHandle(path, 'r');
      try {
        const bytes = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(bytes, done, length - done, offset + done);
          if (bytesRead === 0) throw new RangeError(`${path} ended at byte ${offset + done} (it changed while being read)`);
          done += bytesRead;
        }
        return bytes;
      } finally {
        await handle.close();
      }
    },
  };
}

/** The files of folder `dir` by name (plain names only: no way out of the folder). */
export function folderOpener(dir: string): OpenFile {
  return async (name) => {
    if (name.includes('/') || name.includes('\\') || name === '..' || name === '.') return null;
    return fileAt(join(dir, name));
  };
}
