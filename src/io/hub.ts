// Models from the Hugging Face Hub (or anything serving its URL layout), for the page's worker and
// the CLI alike: `{endpoint}/{repo}/resolve/{revision}/{file}`. What it does, protocol only:
// parse and check a model id or URL; fetch config.json (its architecture is checked before any
// weight is fetched), tokenizer.json (+ tokenizer_config.json), and model.safetensors or
// model.safetensors.index.json with its shards; per-file progress; cancel (AbortSignal); resume an
// interrupted download with `Range: bytes=N-` (a 206 is accepted only with the matching
// Content-Range, anything else starts the file again); refuse an HTML page where JSON or
// safetensors were expected, a size that disagrees with Content-Length, and a safetensors file
// whose header does not describe exactly the bytes received — all before a file is declared
// complete. Storage is behind HubStorage: Cache Storage in the worker (src/worker/hub-cache.ts),
// a folder in the CLI (src/cli/hub-folder.ts); a partial download is never visible as a file.
import { parseLlamaConfigText } from './hf-checkpoint.ts';
import type { OpenFile, RandomAccessFile } from './random-access.ts';
import { readHeaderLength, parseSafetensorsHeader, SafetensorsError } from './safetensors.ts';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export class HubError extends Error {
  constructor(
    message: string,
    readonly kind: 'input' | 'http' | 'html' | 'corrupt' | 'network' | 'cancelled' | 'config' | 'storage' = 'http',
  ) {
    super(message);
    this.name = 'HubError';
  }
}

/** One model at one revision of one endpoint. */
export interface HubModelRef {
  endpoint: string; // origin (and path prefix, if any), no trailing slash
  repo: string; // ORG/NAME (or a legacy NAME)
  revision: string;
}

/** What a download reports, per file, at most every PROGRESS_MS and at each file's end. */
export interface HubProgress {
  file: string;
  state: 'cached' | 'downloading' | 'done' | 'failed';
  received: number;
  /** null when the server did not say. */
  total: number | null;
  /** bytes per second over the last seconds; null before there is a measure. */
  rate: number | null;
  /** seconds left at that rate; null when unknown. */
  eta: number | null;
  /** the byte this attempt started from: > 0 when it resumed a partial download. */
  resumedFrom: number;
}

/** A model in storage: complete (every file there and checked), or a download that was interrupted. */
export interface CachedHubModel extends HubModelRef {
  key: string; // storage key of the model (hubModelKey)
  complete: boolean;
  /** Complete files: name → bytes (for an incomplete model, those finished so far). */
  files: Record<string, number>;
  /** Bytes held, partial downloads included. */
  bytes: number;
  updated: string; // ISO date
}

export interface PartialWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Keeps what was written (a later download resumes from it). */
  close(): Promise<void>;
}

/** Where downloads go. Complete files and partial ones are kept apart: a partial file is never opened as a file. */
export interface HubStorage {
  /** A complete file, or null. */
  open(model: HubModelRef, file: string): Promise<RandomAccessFile | null>;
  /** Bytes held of an unfinished download (0: none). */
  partialSize(model: HubModelRef, file: string): Promise<number>;
  /** Writes a partial download from byte `offset`: 0 starts anew (what was there is dropped), else it must equal partialSize. */
  openPartial(model: HubModelRef, file: string, offset: number): Promise<PartialWriter>;
  readPartial(model: HubModelRef, file: string): Promise<RandomAccessFile | null>;
  /** The partial download becomes the complete file, at once (a rename, one cache put). */
  commit(model: HubModelRef, file: string): Promise<void>;
  discardPartial(model: HubModelRef, file: string): Promise<void>;
  /** Records the model: first incomplete (when its download starts), complete once every file is there. */
  writeEntry(entry: CachedHubModel): Promise<void>;
  /** Every model held, complete or not; `bytes` counts what storage holds now. */
  list(): Promise<CachedHubModel[]>;
  /** Deletes every file of the model, complete or partial. */
  delete(model: HubModelRef): Promise<void>;
}

// ── ids, revisions, URLs ──────────────────────────────────────────────────────────────────────

const NAME_PART = /^[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9_])?$/;

/** ORG/NAME (or NAME) as the Hub allows it: letters, digits, `-_.`, no `--` or `..`, ≤ 96 characters a part. */
export function checkRepoId(repo: string): string {
  const parts = repo.split('/');
  const ok = parts.length >= 1 && parts.length <= 2 && parts.every((p) => NAME_PART.test(p) && !p.includes('--') && !p.includes('..'));
  if (!ok) throw new HubError(`${JSON.stringify(repo)} is not a Hugging Face model id: expected ORG/NAME (letters, digits, - _ .), e.g. HuggingFaceTB/SmolLM2-135M`, 'input');
  return repo;
}

/** A branch, tag, commit or refs/pr/N: no `..`, no spaces or control characters. */
export function checkRevision(revision: string): string {
  if (!/^[\w.\-/]{1,200}$/.test(revision) || revision.includes('..') || revision.startsWith('/') || revision.endsWith('/')) {
    throw new HubError(`${JSON.stringify(revision)} is not a revision: a branch, tag or commit such as main or v1.0`, 'input');
  }
  return revision;
}

/** An endpoint: http(s) origin with an optional path prefix, no query, no credentials. */
export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    throw new HubError(`${JSON.stringify(endpoint)} is not an endpoint URL such as ${DEFAULT_HUB_ENDPOINT}`, 'input');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new HubError(`${JSON.stringify(endpoint)} is not an endpoint URL such as ${DEFAULT_HUB_ENDPOINT} (http or https, no credentials or query)`, 'input');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * `ORG/NAME`, `hf:ORG/NAME`, either with `@REVISION`, or a model URL such as
 * https://huggingface.co/ORG/NAME (also …/tree/REV, …/resolve/REV/FILE). A URL's origin becomes
 * the endpoint; otherwise `endpoint` (default the Hub's).
 */
export function parseHubModel(input: string, o: { endpoint?: string; revision?: string } = {}): HubModelRef {
  const text = input.trim();
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new HubError(`${JSON.stringify(input)} is not a URL`, 'input');
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const at = parts.findIndex((p) => p === 'tree' || p === 'resolve' || p === 'blob');
    const repoParts = at < 0 ? parts : parts.slice(0, at);
    if (repoParts.length === 0) throw new HubError(`${JSON.stringify(input)} names no model: expected a URL such as ${DEFAULT_HUB_ENDPOINT}/ORG/NAME`, 'input');
    const repo = repoParts.slice(-2).join('/');
    const prefix = repoParts.slice(0, -2).join('/');
    const revision = at >= 0 && parts[at + 1] ? parts[at + 1] : o.revision ?? 'main';
    return { endpoint: normalizeEndpoint(`${url.origin}/${prefix}`), repo: checkRepoId(repo), revision: checkRevision(revision) };
  }
  const bare = text.replace(/^hf:/i, '');
  const [repo, revision, ...more] = bare.split('@');
  if (more.length) throw new HubError(`${JSON.stringify(input)} has more than one @revision`, 'input');
  return {
    endpoint: normalizeEndpoint(o.endpoint ?? DEFAULT_HUB_ENDPOINT),
    repo: checkRepoId(repo),
    revision: checkRevision(revision ?? o.revision ?? 'main'),
  };
}

/** Does the text name a Hub model (hf:…, or an http(s) URL) rather than a local folder? */
export function looksLikeHubModel(text: string): boolean {
  return /^hf:/i.test(text) || /^https?:\/\//i.test(text);
}

export function resolveUrl(m: HubModelRef, file: string): string {
  return `${m.endpoint}/${m.repo}/resolve/${encodeURIComponent(m.revision)}/${file}`;
}

/** A short, storage-safe key of the model: host, repo and revision. */
export function hubModelKey(m: HubModelRef): string {
  const host = new URL(m.endpoint).host.replace(/[^\w.-]/g, '_');
  return `${host}/${m.repo}/${encodeURIComponent(m.revision)}`;
}

/** The name the model goes by (adapter_config.json's base_model_name_or_path): the Hub id, with the revision unless main. */
export function hubModelName(m: HubModelRef): string {
  return m.revision === 'main' ? m.repo : `${m.repo}@${m.revision}`;
}

/** Shard names in an index: plain *.safetensors names beside it, no folders, no way out. */
function checkShardName(name: unknown): string {
  if (typeof name !== 'string' || !/^[\w.-]+\.safetensors$/.test(name) || name.includes('..')) {
    throw new HubError(`model.safetensors.index.json names the shard ${JSON.stringify(name)}; shards must be plain *.safetensors file names`, 'corrupt');
  }
  return name;
}

/** The shard names of an index (sorted, unique). */
export function shardNames(indexText: string): string[] {
  let index: { weight_map?: unknown };
  try {
    index = JSON.parse(indexText);
  } catch (err) {
    throw new HubError(`model.safetensors.index.json is not valid JSON: ${(err as Error).message}`, 'corrupt');
  }
  const map = index?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new HubError('model.safetensors.index.json has no weight_map object', 'corrupt');
  const names = [...new Set(Object.values(map).map(checkShardName))].sort();
  if (!names.length) throw new HubError('model.safetensors.index.json names no shard', 'corrupt');
  return names;
}

// ── one file ──────────────────────────────────────────────────────────────────────────────────

export interface FetchOptions {
  fetch?: typeof fetch;
  signal?: AbortSignal;
  onProgress?: (p: HubProgress) => void;
  /** Attempts per file after a dropped connection or a 5xx (each resumes with Range); default 3. */
  attempts?: number;
  /** Milliseconds between attempts; default 500. */
  retryDelayMs?: number;
  /** Checks each URL before it is fetched and the final URL after redirects (the page: its CSP's list). */
  allowUrl?: (url: string) => string | null;
  /** Clock, for tests. */
  now?: () => number;
}

const PROGRESS_MS = 100;
const RATE_WINDOW_MS = 3000;

class RateMeter {
  private samples: { t: number; bytes: number }[] = [];
  constructor(private readonly now: () => number) {}
  add(bytes: number): void {
    const t = this.now();
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - this.samples[0].t > RATE_WINDOW_MS) this.samples.shift();
  }
  rate(): number | null {
    if (this.samples.length < 2) return null;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const dt = (last.t - first.t) / 1000;
    return dt > 0.05 ? (last.bytes - first.bytes) / dt : null;
  }
}

function cancelled(signal?: AbortSignal): boolean {
  return !!signal?.aborted;
}

function cancelError(file: string): HubError {
  return new HubError(`download cancelled during ${file}; what was received is kept and the next download resumes it`, 'cancelled');
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

/** A 206's Content-Range must start where we asked and name the total: `bytes N-M/TOTAL`. */
function parseContentRange(header: string | null): { start: number; end: number; total: number | null } | null {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  return m ? { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) } : null;
}

const looksLikeHtml = (first: Uint8Array) => {
  let i = 0;
  while (i < first.length && (first[i] === 0x20 || first[i] === 0x0a || first[i] === 0x0d || first[i] === 0x09 || first[i] === 0xef || first[i] === 0xbb || first[i] === 0xbf)) i++;
  return first[i] === 0x3c; // '<'
};

function httpMessage(m: HubModelRef, file: string, status: number, url: string): string {
  const where = `${hubModelName(m)} (${m.endpoint})`;
  if (status === 404) return `${file} is not in ${where}: HTTP 404 for ${url}`;
  if (status === 401 || status === 403) return `${where} refused ${file} (HTTP ${status}): the model does not exist, or it is private or gated — this tool sends no access token`;
  if (status === 429) return `${m.endpoint} is rate-limiting downloads (HTTP 429); try again later`;
  return `${file} from ${where}: HTTP ${status} for ${url}`;
}

/** Checks a finished download before it is declared complete. */
async function verifyDownloaded(file: string, data: RandomAccessFile): Promise<void> {
  if (file.endsWith('.json')) {
    const bytes = await data.read(0, data.size);
    try {
      JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (err) {
      throw new HubError(`${file} is not valid JSON (${(err as Error).message}); the download was discarded`, 'corrupt');
    }
  } else if (file.endsWith('.safetensors')) {
    try {
      const headerLength = readHeaderLength(await data.read(0, Math.min(8, data.size)), data.size);
      parseSafetensorsHeader(await data.read(8, headerLength), data.size - 8 - headerLength);
    } catch (err) {
      if (!(err instanceof SafetensorsError)) throw err;
      throw new HubError(`${file} is not a whole safetensors file (${err.message}); the download was discarded`, 'corrupt');
    }
  }
}

/**
 * One file into storage, resuming a partial download when there is one. Returns the complete
 * file, or null for a 404 when `optional`. A failed file leaves no complete file; what was received
 * before a dropped connection or a cancel is kept as a partial download, anything found corrupt is dropped.
 */
export async function downloadFile(storage: HubStorage, m: HubModelRef, file: string, o: FetchOptions & { optional?: boolean } = {}): Promise<RandomAccessFile | null> {
  const now = o.now ?? (() => Date.now());
  const doFetch = o.fetch ?? fetch;
  const existing = await storage.open(m, file);
  if (existing) {
    o.onProgress?.({ file, state: 'cached', received: existing.size, total: existing.size, rate: null, eta: null, resumedFrom: 0 });
    return existing;
  }
  const url = resolveUrl(m, file);
  const refused = o.allowUrl?.(url);
  if (refused) throw new HubError(refused, 'input');
  const attempts = o.attempts ?? 3;
  let lastNetworkError: Error | null = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (cancelled(o.signal)) throw cancelError(file);
    if (attempt > 1) await sleep(o.retryDelayMs ?? 500, o.signal);
    if (cancelled(o.signal)) throw cancelError(file);
    const result = await attemptFile(storage, m, file, url, doFetch, o, now);
    if (result.kind === 'done') return result.file;
    if (result.kind === 'missing') return null;
    lastNetworkError = result.error;
  }
  throw new HubError(`${file}: the connection dropped ${attempts} times (${lastNetworkError?.message ?? 'network error'}); what was received is kept and the next download resumes it`, 'network');
}

type Attempt = { kind: 'done'; file: RandomAccessFile } | { kind: 'missing' } | { kind: 'retry'; error: Error };

async function attemptFile(storage: HubStorage, m: HubModelRef, file: string, url: string, doFetch: typeof fetch, o: FetchOptions & { optional?: boolean }, now: () => number): Promise<Attempt> {
  let offset = await storage.partialSize(m, file);
  let response: Response;
  try {
    response = await doFetch(url, { signal: o.signal, redirect: 'follow', headers: offset > 0 ? { Range: `bytes=${offset}-` } : {} });
  } catch (err) {
    if (cancelled(o.signal)) throw cancelError(file);
    if (o.allowUrl && err instanceof TypeError) {
      // A redirect the page's CSP blocks surfaces as a bare network error.
      return { kind: 'retry', error: new Error(`${(err as Error).message} (if ${m.endpoint} redirected to another host, the page's Content-Security-Policy may not allow it)`) };
    }
    return { kind: 'retry', error: err as Error };
  }
  const finalRefused = response.url && o.allowUrl?.(response.url);
  if (finalRefused) {
    await response.body?.cancel().catch(() => {});
    throw new HubError(`${file}: ${url} redirected to ${response.url}, which is not allowed (${finalRefused})`, 'input');
  }
  if (response.status === 404 && o.optional) {
    await response.body?.cancel().catch(() => {});
    return { kind: 'missing' };
  }
  if (response.status === 416 && offset > 0) {
    // The partial is not a prefix of this file (or is all of it, which we cannot tell): start again.
    await response.body?.cancel().catch(() => {});
    await storage.discardPartial(m, file);
    return { kind: 'retry', error: new Error('the server refused to resume (HTTP 416); starting the file again') };
  }
  if (response.status >= 500) {
    await response.body?.cancel().catch(() => {});
    return { kind: 'retry', error: new Error(`HTTP ${response.status}`) };
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel().catch(() => {});
    throw new HubError(httpMessage(m, file, response.status, url), 'http');
  }
  const contentType = response.headers.get('content-type') ?? '';
  if (/text\/html/i.test(contentType)) {
    await response.body?.cancel().catch(() => {});
    await storage.discardPartial(m, file);
    throw new HubError(`${file} from ${hubModelName(m)}: the server sent an HTML page (${response.status}, ${contentType}) where ${file.endsWith('.json') ? 'JSON' : 'a safetensors file'} was expected — an error or login page, or a wrong endpoint (${response.url || url})`, 'html');
  }
  let total: number | null;
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get('content-range'));
    if (!range || range.start !== offset) {
      // Not the range we asked for: start the file again (never splice mismatched bytes).
      await response.body?.cancel().catch(() => {});
      await storage.discardPartial(m, file);
      return { kind: 'retry', error: new Error(`the server answered a resume with Content-Range ${JSON.stringify(response.headers.get('content-range'))}; starting the file again`) };
    }
    total = range.total;
  } else {
    offset = 0; // a 200 is the whole file, whatever we asked
    const length = response.headers.get('content-encoding') ? null : response.headers.get('content-length');
    const linked = response.headers.get('x-linked-size');
    total = linked !== null && /^\d+$/.test(linked) ? Number(linked) : length !== null && /^\d+$/.test(length) ? Number(length) : null;
  }
  if (!response.body) throw new HubError(`${file}: the server sent no body`, 'network');

  const resumedFrom = offset;
  const writer = await storage.openPartial(m, file, offset);
  const meter = new RateMeter(now);
  let received = offset;
  meter.add(received);
  let lastReport = 0;
  const report = (state: HubProgress['state'], force = false) => {
    const t = now();
    if (!force && t - lastReport < PROGRESS_MS) return;
    lastReport = t;
    const rate = meter.rate();
    o.onProgress?.({ file, state, received, total, rate, eta: rate && total !== null ? Math.max(0, (total - received) / rate) : null, resumedFrom });
  };
  report('downloading', true);
  const reader = response.body.getReader();
  let first = true;
  let failure: Error | null = null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (first && value.length && offset === 0) {
        first = false;
        if ((file.endsWith('.json') || file.endsWith('.safetensors')) && looksLikeHtml(value.subarray(0, 64))) {
          throw new HubError(`${file} from ${hubModelName(m)}: the server sent an HTML page where ${file.endsWith('.json') ? 'JSON' : 'a safetensors file'} was expected — an error or login page, or a wrong endpoint (${response.url || url})`, 'html');
        }
      }
      await writer.write(value);
      received += value.length;
      meter.add(received);
      if (total !== null && received > total) throw new HubError(`${file}: received more than the ${total} bytes the server announced`, 'corrupt');
      report('downloading');
    }
  } catch (err) {
    failure = err as Error;
    reader.cancel().catch(() => {});
  }
  await writer.close();
  if (failure) {
    if (failure instanceof HubError) {
      await storage.discardPartial(m, file);
      report('failed', true);
      throw failure;
    }
    if (cancelled(o.signal)) {
      report('failed', true);
      throw cancelError(file);
    }
    report('failed', true);
    return { kind: 'retry', error: failure };
  }
  if (total !== null && received < total) {
    // The body ended early without an error: a connection closed cleanly mid-file. Resume it.
    report('failed', true);
    return { kind: 'retry', error: new Error(`the body ended at ${received} of ${total} bytes`) };
  }
  const partial = await storage.readPartial(m, file);
  if (!partial || partial.size !== received) {
    await storage.discardPartial(m, file);
    throw new HubError(`${file}: storage holds ${partial?.size ?? 0} bytes after receiving ${received}; the download was discarded`, 'corrupt');
  }
  try {
    await verifyDownloaded(file, partial);
  } catch (err) {
    await storage.discardPartial(m, file);
    report('failed', true);
    throw err;
  }
  await storage.commit(m, file);
  total = received;
  report('done', true);
  const complete = await storage.open(m, file);
  if (!complete) throw new HubError(`${file}: storage lost the file just written`, 'corrupt');
  return { kind: 'done', file: complete };
}

// ── a whole model ─────────────────────────────────────────────────────────────────────────────

export interface DownloadedModel {
  model: HubModelRef;
  name: string;
  files: Record<string, number>;
  open: OpenFile;
}

/** An OpenFile over the model's complete files in storage. */
export function storageOpener(storage: HubStorage, m: HubModelRef): OpenFile {
  return (name) => storage.open(m, name);
}

const readText = async (f: RandomAccessFile) => new TextDecoder().decode(await f.read(0, f.size));

/**
 * Every file the loader needs, in storage: config.json first (an unsupported architecture is
 * refused before any weight is fetched), the tokenizer, then the weights. A model already complete
 * in storage is not fetched again.
 */
export async function downloadModel(storage: HubStorage, m: HubModelRef, o: FetchOptions = {}): Promise<DownloadedModel> {
  const name = hubModelName(m);
  const key = hubModelKey(m);
  const cached = (await storage.list()).find((c) => c.key === key && c.complete);
  const files: Record<string, number> = {};
  if (cached) {
    // Complete: nothing to fetch, as long as every file is still there.
    let whole = true;
    for (const [file, size] of Object.entries(cached.files)) {
      const f = await storage.open(m, file);
      if (!f || f.size !== size) whole = false;
      else o.onProgress?.({ file, state: 'cached', received: size, total: size, rate: null, eta: null, resumedFrom: 0 });
    }
    if (whole) return { model: m, name, files: cached.files, open: storageOpener(storage, m) };
  }
  const entry = (complete: boolean): CachedHubModel => ({ ...m, key, complete, files, bytes: Object.values(files).reduce((s, b) => s + b, 0), updated: new Date().toISOString() });
  await storage.writeEntry(entry(false));
  try {
    await fetchModelFiles(storage, m, files, o);
  } catch (err) {
    // A dropped connection or a cancel keeps what was received, to resume; anything else (a
    // missing file, an HTML page, a corrupt file, an unsupported model) leaves nothing behind.
    const kind = err instanceof HubError ? err.kind : 'network';
    if (kind !== 'network' && kind !== 'cancelled') await storage.delete(m);
    throw err;
  }
  await storage.writeEntry(entry(true));
  return { model: m, name, files, open: storageOpener(storage, m) };
}

async function fetchModelFiles(storage: HubStorage, m: HubModelRef, files: Record<string, number>, o: FetchOptions): Promise<void> {
  const name = hubModelName(m);
  const get = async (file: string, optional = false) => {
    const f = await downloadFile(storage, m, file, { ...o, optional });
    if (f) files[file] = f.size;
    return f;
  };
  const config = await get('config.json', true);
  if (!config) throw new HubError(`${name} has no config.json at ${m.endpoint}/${m.repo}/resolve/${m.revision}/ (HTTP 404): is the id right, and is it a transformers model?`, 'http');
  try {
    parseLlamaConfigText(await readText(config));
  } catch (err) {
    throw new HubError(`${name}: ${(err as Error).message}`, 'config');
  }
  const tokenizer = await get('tokenizer.json', true);
  if (!tokenizer) throw new HubError(`${name} has no tokenizer.json (HTTP 404); text cannot be tokenized without the model's own tokenizer`, 'http');
  await get('tokenizer_config.json', true);
  const single = await get('model.safetensors', true);
  if (!single) {
    const index = await get('model.safetensors.index.json', true);
    if (!index) throw new HubError(`${name} has neither model.safetensors nor model.safetensors.index.json (HTTP 404 for both); only safetensors checkpoints are read`, 'http');
    for (const shard of shardNames(await readText(index))) {
      const f = await get(shard, true);
      if (!f) throw new HubError(`model.safetensors.index.json of ${name} names ${shard}, which the repository does not have (HTTP 404)`, 'http');
    }
  }
}

/** "12.3 MiB of 40.0 MiB · 5.1 MiB/s · 6 s left" */
export function describeProgress(p: HubProgress, formatBytes: (n: number) => string): string {
  if (p.state === 'cached') return `${formatBytes(p.received)} (cached)`;
  if (p.state === 'done') return `${formatBytes(p.received)} done`;
  const parts = [p.total !== null ? `${formatBytes(p.received)} of ${formatBytes(p.total)}` : formatBytes(p.received)];
  if (p.rate !== null) parts.push(`${formatBytes(p.rate)}/s`);
  if (p.eta !== null) parts.push(`${p.eta < 60 ? Math.ceil(p.eta) + ' s' : Math.ceil(p.eta / 60) + ' min'} left`);
  if (p.resumedFrom > 0) parts.push(`resumed at ${formatBytes(p.resumedFrom)}`);
  if (p.state === 'failed') parts.push('interrupted');
  return parts.join(' · ');
}
