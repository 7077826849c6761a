// The page's Hub download cache, in Cache Storage (the worker's side of HubStorage, src/io/hub.ts).
// A download in progress lives in one cache as numbered chunks of a few MiB; finishing a file
// moves its chunks, one at a time, into the cache of complete files, then writes a marker naming
// how many there are, so a half-moved file is never visible as a file. Moving chunk by chunk keeps
// the storage a file needs at its size plus one chunk: joining the chunks into one Response first
// needed twice the file, which a private window's in-memory quota refused for a 269 MB shard.
// Files are read back as one Blob over the chunks' Blobs (the browser keeps them on disk), a
// range at a time. Files that an earlier version stored whole, under their resolve URL, still open.
import { HubError, hubModelKey, resolveUrl, type CachedHubModel, type HubModelRef, type HubStorage } from '../io/hub.ts';
import { blobFile } from '../io/random-access.ts';

const COMPLETE = 'lora-playground-hub';
const PARTIAL = 'lora-playground-hub-partial';
const ENTRY = '.lora-playground-model.json';
const CHUNK_BYTES = 4 * 1024 * 1024;

const modelPrefix = (m: HubModelRef) => resolveUrl(m, '');
const chunkUrl = (m: HubModelRef, file: string, index: number) => `${resolveUrl(m, file)}?chunk=${String(index).padStart(6, '0')}`;
/** Written last when a file is complete: its body is the number of chunks. */
const markerUrl = (m: HubModelRef, file: string) => `${resolveUrl(m, file)}?chunks`;

function storageError(err: unknown): never {
  const e = err as Error;
  if (e?.name === 'QuotaExceededError') throw new HubError("the browser's storage for this page is full: delete cached models (or adapters) to make room", 'storage');
  throw new HubError(`the browser refused to store the download (${e?.name ?? 'error'}: ${e?.message ?? err})`, 'storage');
}

async function chunks(m: HubModelRef, file: string, cacheName = PARTIAL): Promise<{ url: string; index: number }[]> {
  const cache = await caches.open(cacheName);
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

/**
 * Chunks in the complete cache without their marker: a commit that stopped part-way (the tab
 * closed, the quota ran out). The partial left behind has a gap and starts again, so these only
 * hold storage: dropped before the file downloads again.
 */
async function dropUnmarked(m: HubModelRef, file: string): Promise<void> {
  const complete = await caches.open(COMPLETE);
  if (await complete.match(markerUrl(m, file))) return;
  for (const c of await chunks(m, file, COMPLETE)) await complete.delete(c.url);
}

export function cacheHubStorage(): HubStorage {
  return {
    async open(m, file) {
      const complete = await caches.open(COMPLETE);
      const whole = await complete.match(resolveUrl(m, file)); // stored whole by an earlier version
      if (whole) return blobFile(await whole.blob());
      const marker = await complete.match(markerUrl(m, file));
      if (!marker) return null;
      const count = Number(await marker.text());
      const blobs: Blob[] = [];
      for (let i = 0; i < count; i++) {
        const chunk = await complete.match(chunkUrl(m, file, i));
        if (!chunk) return null; // a chunk went missing (cleared by the browser): download again
        blobs.push(await chunk.blob());
      }
      return blobFile(new Blob(blobs));
    },
    async partialSize(m, file) {
      await dropUnmarked(m, file);
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
      const list = await chunks(m, file);
      if (!list.length || list.some((c, i) => c.index !== i)) throw new HubError(`${file}: the partial download disappeared before it was stored`, 'storage');
      const [complete, partial] = [await caches.open(COMPLETE), await caches.open(PARTIAL)];
      // An older copy of the file goes first (either layout): its marker before its chunks.
      await complete.delete(markerUrl(m, file));
      await complete.delete(resolveUrl(m, file));
      for (const c of await chunks(m, file, COMPLETE)) await complete.delete(c.url);
      try {
        for (const c of list) {
          const response = await partial.match(c.url);
          if (!response) throw new HubError(`${file}: the partial download disappeared before it was stored`, 'storage');
          await complete.put(c.url, response);
          await partial.delete(c.url);
        }
        await complete.put(markerUrl(m, file), new Response(String(list.length), { headers: { 'content-type': 'text/plain' } }));
      } catch (err) {
        if (err instanceof HubError) throw err;
        storageError(err);
      }
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
