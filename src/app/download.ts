// Downloads on the main thread: the worker has already serialized the .zip (src/worker/engine-worker.ts);
// this only hands its bytes to the browser.
export function downloadZip(archiveName: string, zip: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([zip as BlobPart], { type: 'application/zip' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = archiveName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
