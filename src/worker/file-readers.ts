// Files inside the worker: the bundled model over HTTP, and files the user picked (a folder's
// files chosen together, or a .zip of them), read and unzipped here, off the main thread. Picked
// files are Blobs the browser keeps on disk: a checkpoint is read from them one tensor at a time.
import { blobFile, bytesFile, type OpenFile } from '../io/random-access.ts';
import { readZip } from '../io/zip.ts';

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

/** Picked files by name: a folder's files chosen together, or a .zip of them (folders inside ignored). */
export async function pickedFilesReader(files: File[]): Promise<OpenFile> {
  const byName = new Map<string, Uint8Array | File>();
  for (const file of files) {
    if (file.name.endsWith('.zip')) {
      for (const [path, data] of readZip(new Uint8Array(await file.arrayBuffer()))) byName.set(path.split('/').pop()!, data);
    } else {
      byName.set(file.name, file);
    }
  }
  return async (name) => {
    const f = byName.get(name);
    if (!f) return null;
    return f instanceof Uint8Array ? bytesFile(f) : blobFile(f);
  };
}
