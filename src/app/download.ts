// Downloads on the main thread: the worker has already written the .zip, as a file on disk where
// the browser has the origin private file system (src/worker/export-archive.ts); this only hands
// it to the browser, without reading it into memory.
export function downloadZip(archiveName: string, zip: Blob): void {
  const url = URL.createObjectURL(zip);
  const a = document.createElement('a');
  a.href = url;
  a.download = archiveName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
