// Files inside the worker: the bundled model over HTTP, and files the user picked (a folder's
// files chosen together, or a .zip of them), read and unzipped here, off the main thread. Picked
// files are Blobs the browser keeps on disk: a checkpoint is read from them one tensor at a time,
// also from inside a .zip where it is stored (deflated entries are inflated when opened).
import { blobFile, bytesFile, type OpenFile, type RandomAccessFile } from '../io/random-access.ts';

/** A model folder served next to the page (e.g. /models/byte-caps/), fetched whole (it is small). */
export function httpFolderReader(baseUrl: string): OpenFile {
  return async (name) => {
    const response = await fetch(`${baseUrl}/${name}`);
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`could not fetch ${baseUrl}/${name}: HTTP ${response.status}`);
    // Vite's dev server answers unknown paths with index.html: that is "missing", not a file.
    if ((response.headers.get('content-type') ?? '').includes('text/html')) return null;
    return bytesFile(new Uint8Array(await response.arrayBuffer()));
  };
}

/**
 * Picked files by name: a folder's files chosen together, or a .zip of them (recognised by its
 * first bytes; folders inside ignored, a file found by its own name).
 */
export async function pickedFilesReader(files: File[]): Promise<OpenFile> {
  const byName = new Map<string, () => Promise<RandomAccessFile>>();
  // The zip library is fetched when files are picked, not with the worker (scripts/first-load-bytes.mjs).
  const { isZip, openZip } = await import('../io/zip.ts');
  for (const file of files) {
    const first = new Uint8Array(await file.slice(0, 4).arrayBuffer());
    if (file.name.endsWith('.zip') || isZip(first)) {
      const zip = await openZip(file, file.name);
      for (const entry of zip.entries) byName.set(entry.name.split('/').pop()!, () => zip.open(entry.name));
    } else {
      byName.set(file.name, async () => blobFile(file));
    }
  }
  return async (name) => (await byName.get(name)?.()) ?? null;
}
