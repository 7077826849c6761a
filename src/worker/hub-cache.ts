// The page's Hub download cache, in Cache Storage (the worker's side of HubStorage, src/io/hub.ts).
// Complete files live in one cache under their resolve URLs; a download in progress lives in
// another, as numbered chunks of a few MiB, so a half-written file is never visible as a file.
// Finishing a file puts one Response whose body is the chunks' Blobs joined (the browser keeps
// them on disk), then drops the chunks. Files are read back as Blobs, a range at a time.
import { HubError, hubModelKey, resolveUrl, type CachedHubModel, type HubModelRef, type HubStorage } from '../io/hub.ts';
import { blobFile } from '../io/random-access.ts';

const COMPLETE = 'lora-playground-hub';
const PARTIAL = 'lora-playground-hub-partial';
const ENTRY = '.lora-playground-model.json';
const CHUNK_BYTES = 4 * 1024 * 1024;

const modelPrefix = (m: HubModelRef) => resolveUrl(m, '');
const chunkUrl = (m: HubModelRef, file: string, index: number) => `${resolveUrl(m, file)}?chunk=${String(index).padStart(6, '0')}`;

function storageError(err: unknown): never {
  const e = err as Error;
  if (e?.name === 'QuotaExceededError') throw new HubError("the browser's storage for this page is full: delete cached models (or adapters) to make room", 'storage');
  throw new HubError(`the browser refused to store the download (${e?.name ?? 'error'}: ${e?.message ?? err})`, 'storage');
}

async function chunks(m: HubModelRef, file: string): Promise<{ url: string; index: number }[]> {
  const cache = await caches.open(PARTIAL);
  const prefix = `${resolveUrl(m, file)}?chunk=`;
  return (await cache.keys())
    .map((r) => r.url)
    .filter((u) => u.startsWith(prefix))
    .map((url) => ({ url, index: Number(url.slice(prefix.length)) }))
    .sort((a, b) => a.index - b.index);
}

async function partialBlob(m: HubModelRef, file: string): Promise<Blob | null> {
  const list = await chunks(m, file);
  if (!list.length) return null;
  const cache = await caches.open(PARTIAL);
  const blobs: Blob[] = [];
  for (const [i, c] of list.entries()) {
    const response = await cache.match(c.url);
    if (!response || c.index !== i) return null; // a gap: not a usable partial
    blobs.push(await response.blob());
  }
  return new Blob(blobs);
}

async function deleteChunks(m: HubModelRef, file: string): Promise<void> {
  const cache = await caches.open(PARTIAL);
  for (const c of await chunks(m, file)) await cache.delete(c.url);
}

export function cacheHubStorage(): HubStorage {
  return {
    async open(m, file) {
      const response = await (await caches.open(COMPLETE)).match(resolveUrl(m, file));
      return response ? blobFile(await response.blob()) : null;
    },
    async partialSize(m, file) {
      const blob = await partialBlob(m, file);
      if (!blob) await deleteChunks(m, file); // a partial with a gap is dropped: the file starts again
      return blob?.size ?? 0;
    },
    async openPartial(m, file, offset) {
      const held = offset === 0 ? [] : await chunks(m, file);
      if (offset === 0) await deleteChunks(m, file);
      const cache = await caches.open(PARTIAL);
      let next = held.length;
      let buffer: Uint8Array[] = [];
      let buffered = 0;
      const flush = async () => {
        if (!buffered) return;
        const blob = new Blob(buffer as BlobPart[]);
        buffer = [];
        buffered = 0;
        try {
          await cache.put(chunkUrl(m, file, next), new Response(blob, { headers: { 'content-type': 'application/octet-stream' } }));
        } catch (err) {
          storageError(err);
        }
        next++;
      };
      return {
        async write(chunk) {
          buffer.push(chunk.slice());
          buffered += chunk.byteLength;
          if (buffered >= CHUNK_BYTES) await flush();
        },
        close: flush,
      };
    },
    async readPartial(m, file) {
      const blob = await partialBlob(m, file);
      return blob ? blobFile(blob) : null;
    },
    async commit(m, file) {
      const blob = await partialBlob(m, file);
      if (!blob) throw new HubError(`${file}: the partial download disappeared before it was stored`, 'storage');
      try {
        await (await caches.open(COMPLETE)).put(resolveUrl(m, file), new Response(blob, { headers: { 'content-type': 'application/octet-stream' } }));
      } catch (err) {
        storageError(err);
      }
      await deleteChunks(m, file);
    },
    discardPartial: deleteChunks,
    async writeEntry(entry) {
      const { key: _key, bytes: _bytes, ...rest } = entry;
      try {
        await (await caches.open(COMPLETE)).put(resolveUrl(entry, ENTRY), new Response(JSON.stringify(rest), { headers: { 'content-type': 'application/json' } }));
      } catch (err) {
        storageError(err);
      }
    },
    async list() {
      const complete = await caches.open(COMPLETE);
      const partial = await caches.open(PARTIAL);
      const [completeKeys, partialKeys] = [(await complete.keys()).map((r) => r.url), (await partial.keys()).map((r) => r.url)];
      const models: CachedHubModel[] = [];
      for (const url of completeKeys.filter((u) => u.endsWith(`/${ENTRY}`))) {
        try {
          const raw = (await (await complete.match(url))!.json()) as Omit<CachedHubModel, 'key' | 'bytes'>;
          const ref = { endpoint: raw.endpoint, repo: raw.repo, revision: raw.revision };
          const prefix = modelPrefix(ref);
          let bytes = 0;
          for (const u of completeKeys.filter((k) => k.startsWith(prefix) && k !== url)) bytes += (await (await complete.match(u))?.blob())?.size ?? 0;
          for (const u of partialKeys.filter((k) => k.startsWith(prefix))) bytes += (await (await partial.match(u))?.blob())?.size ?? 0;
          models.push({ ...raw, ...ref, key: hubModelKey(ref), bytes });
        } catch {
          // unreadable entry: skipped (Delete all still clears it)
        }
      }
      return models.sort((a, b) => a.key.localeCompare(b.key));
    },
    async delete(m) {
      const prefix = modelPrefix(m);
      for (const name of [COMPLETE, PARTIAL]) {
        const cache = await caches.open(name);
        for (const r of await cache.keys()) if (r.url.startsWith(prefix)) await cache.delete(r);
      }
    },
  };
}
