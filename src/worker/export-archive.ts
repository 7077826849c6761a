// Exports leave the worker as a .zip File. In the browser the archive is written entry by entry
// into a file of the origin private file system (on disk, not in memory), so a merged model is
// held once, as its files, while it is zipped, and the page downloads that file (src/app/download.ts).
// Where there is no such file system (Node, where the page's controller is tested; a browser
// without it) or writing it fails (a full disk), the archive is built as a Blob instead.
import type { Files } from '../engine/types.ts';
import type { ZipExport } from './protocol.ts';

const FOLDER = 'exports';
/** An export's file is kept this long: the page's download reads it after we return it. */
const KEEP_MS = 10 * 60_000;

async function exportsFolder(): Promise<FileSystemDirectoryHandle | null> {
  try {
    if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle(FOLDER, { create: true });
    return 'createWritable' in FileSystemFileHandle.prototype ? folder : null;
  } catch {
    return null;
  }
}

/** Deletes the exports older than KEEP_MS (their downloads are long done; big files otherwise stay on disk). */
async function dropOldExports(folder: FileSystemDirectoryHandle, now: number): Promise<void> {
  for await (const [name, handle] of folder as unknown as AsyncIterable<[string, FileSystemHandle]>) {
    if (handle.kind !== 'file') continue;
    const file = await (handle as FileSystemFileHandle).getFile().catch(() => null);
    if (!file || now - file.lastModified > KEEP_MS) await folder.removeEntry(name).catch(() => undefined);
  }
}

/** `files` as `archive` (a .zip name), each under `folder/`. */
export async function exportArchive(archive: string, folder: string, files: Files): Promise<ZipExport> {
  const entries = Object.fromEntries(Object.entries(files).map(([name, content]) => [`${folder}/${name}`, content]));
  // The zip library is fetched with the first export, not with the worker (scripts/first-load-bytes.mjs).
  const { writeZipBlob, writeZipTo } = await import('../io/zip.ts');
  const dir = await exportsFolder();
  if (dir) {
    const now = Date.now();
    await dropOldExports(dir, now);
    const fileName = `${now}-${archive}`; // unique: an earlier export of the same name may still be downloading
    try {
      const handle = await dir.getFileHandle(fileName, { create: true });
      await writeZipTo(await handle.createWritable(), entries);
      return { name: archive, zip: await handle.getFile() };
    } catch {
      await dir.removeEntry(fileName).catch(() => undefined); // then in memory, below
    }
  }
  return { name: archive, zip: await writeZipBlob(entries) };
}
