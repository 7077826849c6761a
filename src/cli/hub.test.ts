// Models from the Hub, in Node: src/io/hub.ts with the CLI's folder storage against a local
// server with the Hub's URL layout and its faults (scripts/fake-hub.mjs) — a redirect, 404s, HTML
// pages, a truncated shard, an index naming a missing shard, a dropped connection that resumes
// with Range, a cancel, an unsupported architecture — and `--model hf:ORG/NAME` through the CLI.
// No request leaves localhost: every URL is the local server's.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BYTE_LEVEL_TOKENIZER_CONFIG, byteLevelTokenizerJson } from '../data/tokenizer.ts';
import { llamaCheckpointFiles, llamaShardedCheckpointFiles } from '../io/hf-checkpoint.ts';
import { downloadModel, hubModelKey, HubError, parseHubModel, type HubModelRef, type HubProgress } from '../io/hub.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { initLlamaWeights, validateLlamaConfig } from '../model/config.ts';
import { seededRandom } from '../util/random.ts';
import { folderOpener } from './folder-opener.ts';
import { folderHubStorage } from './hub-folder.ts';
import { main } from './main.ts';
// @ts-expect-error plain JS test server shared with the e2e tests
import { startFakeHub } from '../../scripts/fake-hub.mjs';

interface FakeHub {
  url: string;
  requests: { method: string; path: string; range: string | null; status: number; dropped?: number }[];
  repos: Record<string, Record<string, unknown> & { dir: string }>;
  reset(): void;
  close(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../bin/lora-playground.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'lora-hub-'));
const config = validateLlamaConfig({
  model_type: 'llama', vocab_size: 256, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2,
  num_attention_heads: 2, num_key_value_heads: 1, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 16, tie_word_embeddings: true,
});
const weights = initLlamaWeights(config, seededRandom(5));

function writeFolder(name: string, files: Record<string, string | Uint8Array>): string {
  const dir = join(root, 'src', name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

const tokenizer = { 'tokenizer.json': byteLevelTokenizerJson(), 'tokenizer_config.json': BYTE_LEVEL_TOKENIZER_CONFIG };
const sharded = writeFolder('sharded', { ...llamaShardedCheckpointFiles(config, weights, 12_000, 'BF16'), ...tokenizer });
const single = writeFolder('single', { ...llamaCheckpointFiles(config, weights), ...tokenizer });
const shards = readdirSync(sharded).filter((f) => /^model-.*\.safetensors$/.test(f)).sort();
const gpt2 = writeFolder('gpt2', { 'config.json': JSON.stringify({ model_type: 'gpt2', n_layer: 2 }), ...tokenizer, 'model.safetensors': readFileSync(join(single, 'model.safetensors')) });

let hub: FakeHub;
let cacheCount = 0;
const freshCache = () => join(root, `cache-${cacheCount++}`);
const ref = (repo: string): HubModelRef => parseHubModel(repo, { endpoint: hub.url });
const fast = { retryDelayMs: 20 };

async function failure(p: Promise<unknown>): Promise<HubError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(HubError);
  return err as HubError;
}

/** Every file under a folder, relative. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name).slice(dir.length + 1)).sort();
}

beforeAll(async () => {
  hub = await startFakeHub({
    repos: {
      'test-org/sharded': { dir: sharded },
      'test-org/single': { dir: single, redirect: false },
      'test-org/no-config': { dir: sharded, missing: ['config.json'] },
      'test-org/html-config': { dir: sharded, html: ['config.json'] },
      'test-org/html-shard': { dir: sharded, htmlBody: [shards[1]] },
      'test-org/truncated': { dir: sharded, truncate: { [shards[1]]: 5000 } },
      'test-org/missing-shard': { dir: sharded, missing: [shards[1]] },
      'test-org/drop': { dir: sharded, dropOnce: { [shards[0]]: 0.5 } },
      'test-org/drop-no-range': { dir: sharded, dropOnce: { [shards[0]]: 0.5 }, ignoreRange: true },
      'test-org/slow': { dir: sharded, rate: 40_000 },
      'test-org/gpt2': { dir: gpt2 },
    },
  });
});

afterAll(async () => {
  await hub?.close();
});

describe('model ids and URLs', () => {
  it('reads ids, hf: ids, revisions and URLs', () => {
    expect(parseHubModel('HuggingFaceTB/SmolLM2-135M')).toEqual({ endpoint: 'https://huggingface.co', repo: 'HuggingFaceTB/SmolLM2-135M', revision: 'main' });
    expect(parseHubModel('hf:org/name@v1.0', { endpoint: 'http://localhost:9/' })).toEqual({ endpoint: 'http://localhost:9', repo: 'org/name', revision: 'v1.0' });
    expect(parseHubModel('https://huggingface.co/org/name')).toMatchObject({ endpoint: 'https://huggingface.co', repo: 'org/name', revision: 'main' });
    expect(parseHubModel('https://hf.example/mirror/org/name/tree/refs%2Fpr%2F1')).toMatchObject({ endpoint: 'https://hf.example/mirror', repo: 'org/name', revision: 'refs/pr/1' });
    expect(parseHubModel('https://huggingface.co/org/name/resolve/main/config.json')).toMatchObject({ repo: 'org/name', revision: 'main' });
    expect(parseHubModel('gpt2')).toMatchObject({ repo: 'gpt2' });
  });

  it.each([
    ['org/na me', 'not a Hugging Face model id'],
    ['../etc/passwd', 'not a Hugging Face model id'],
    ['org/name/extra', 'not a Hugging Face model id'],
    ['org--x/name', 'not a Hugging Face model id'],
    ['org/name@../../x', 'not a revision'],
    ['hf:org/name@a@b', 'more than one @revision'],
    ['https://huggingface.co/', 'names no model'],
  ])('refuses %j', (input, message) => {
    expect(() => parseHubModel(input)).toThrow(message);
  });

  it('refuses an endpoint with credentials or a query', () => {
    expect(() => parseHubModel('org/name', { endpoint: 'https://user:pw@hf.co' })).toThrow('no credentials');
    expect(() => parseHubModel('org/name', { endpoint: 'ftp://hf.co' })).toThrow('http or https');
  });
});

describe('downloads from a local Hub', () => {
  it('fetches a sharded model through the LFS redirect, with progress, into a loadable folder', async () => {
    const storage = folderHubStorage(freshCache());
    const m = ref('test-org/sharded');
    const progress: HubProgress[] = [];
    hub.reset();
    const got = await downloadModel(storage, m, { onProgress: (p) => progress.push(p) });
    expect(got.name).toBe('test-org/sharded');
    expect(Object.keys(got.files).sort()).toEqual(['config.json', 'model.safetensors.index.json', ...shards, 'tokenizer.json', 'tokenizer_config.json'].sort());
    for (const f of Object.keys(got.files)) expect(readFileSync(join(storage.dir(m), f)).equals(readFileSync(join(sharded, f))), f).toBe(true);
    // model.safetensors was asked for first (404), then the index; shards came through the CDN redirect.
    expect(hub.requests.filter((r) => r.path.endsWith('/model.safetensors')).map((r) => r.status)).toEqual([404]);
    expect(hub.requests.filter((r) => r.path.includes(shards[0])).map((r) => r.status)).toEqual([302, 200]);
    expect(hub.requests.every((r) => r.range === null)).toBe(true);
    const done = progress.filter((p) => p.state === 'done');
    expect(done.map((p) => p.file).sort()).toEqual(Object.keys(got.files).sort());
    expect(done.every((p) => p.received === p.total)).toBe(true);
    // Listed complete, with its size; the folder loads like any model folder.
    const [entry] = await storage.list();
    expect(entry).toMatchObject({ repo: 'test-org/sharded', revision: 'main', complete: true, key: hubModelKey(m) });
    expect(entry.bytes).toBe(Object.values(got.files).reduce((a, b) => a + b, 0));
    const folder = await loadModelFolder(folderOpener(storage.dir(m)));
    expect(folder.config.hidden_size).toBe(16);
    expect(folder.tokenizer).not.toBeNull();
    // A second download is served from the cache: no request at all.
    hub.reset();
    const again = await downloadModel(storage, m, {});
    expect(again.files).toEqual(got.files);
    expect(hub.requests).toEqual([]);
    // Delete removes it all.
    await storage.delete(m);
    expect(await storage.list()).toEqual([]);
    expect(existsSync(storage.dir(m))).toBe(false);
  });

  it('fetches a single-file model served directly', async () => {
    const storage = folderHubStorage(freshCache());
    const got = await downloadModel(storage, ref('test-org/single'), {});
    expect(Object.keys(got.files).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  });

  it('a dropped connection resumes with Range, and the bytes equal the source', async () => {
    const cache = freshCache();
    const storage = folderHubStorage(cache);
    const m = ref('test-org/drop');
    hub.reset();
    const progress: HubProgress[] = [];
    await downloadModel(storage, m, { ...fast, onProgress: (p) => progress.push(p) });
    const shardRequests = hub.requests.filter((r) => r.path.startsWith('/cdn-lfs/') && r.path.endsWith(shards[0]));
    expect(shardRequests).toHaveLength(2);
    const droppedAt = shardRequests[0].dropped!;
    expect(droppedAt).toBeGreaterThan(0);
    expect(shardRequests[1]).toMatchObject({ range: `bytes=${droppedAt}-`, status: 206 });
    expect(readFileSync(join(storage.dir(m), shards[0])).equals(readFileSync(join(sharded, shards[0])))).toBe(true);
    expect(progress.some((p) => p.file === shards[0] && p.resumedFrom === droppedAt)).toBe(true);
    expect(filesUnder(cache).some((f) => f.endsWith('.part'))).toBe(false);
  });

  it('a server that ignores Range restarts the file from zero, never splicing', async () => {
    const storage = folderHubStorage(freshCache());
    const m = ref('test-org/drop-no-range');
    hub.reset();
    await downloadModel(storage, m, fast);
    const shardRequests = hub.requests.filter((r) => r.path.startsWith('/cdn-lfs/') && r.path.endsWith(shards[0]));
    expect(shardRequests.map((r) => r.status)).toEqual([200, 200]);
    expect(shardRequests[1].range).not.toBeNull();
    expect(readFileSync(join(storage.dir(m), shards[0])).equals(readFileSync(join(sharded, shards[0])))).toBe(true);
  });

  it('cancel keeps only the partial download, and the next download resumes it', async () => {
    const cache = freshCache();
    const storage = folderHubStorage(cache);
    const m = ref('test-org/slow');
    const abort = new AbortController();
    const err = await failure(downloadModel(storage, m, {
      signal: abort.signal,
      onProgress: (p) => {
        if (p.file === shards[0] && p.state === 'downloading' && p.received > 4000) abort.abort();
      },
    }));
    expect(err.kind).toBe('cancelled');
    expect(err.message).toContain('cancelled');
    expect(existsSync(join(storage.dir(m), shards[0]))).toBe(false); // no complete file
    const partSize = readFileSync(join(storage.dir(m), `${shards[0]}.part`)).length;
    expect(partSize).toBeGreaterThan(4000);
    expect((await storage.list()).map((e) => [e.repo, e.complete])).toEqual([['test-org/slow', false]]);
    hub.reset();
    hub.repos['test-org/slow'].rate = undefined;
    await downloadModel(storage, m, {});
    const resumed = hub.requests.find((r) => r.path.startsWith('/cdn-lfs/') && r.path.endsWith(shards[0]));
    expect(resumed).toMatchObject({ range: `bytes=${partSize}-`, status: 206 });
    expect(readFileSync(join(storage.dir(m), shards[0])).equals(readFileSync(join(sharded, shards[0])))).toBe(true);
    expect((await storage.list()).map((e) => e.complete)).toEqual([true]);
    hub.repos['test-org/slow'].rate = 40_000;
  });

  it.each([
    ['test-org/no-config', 'no config.json', 'http'],
    ['test-org/nope', 'HTTP 401', 'http'],
    ['test-org/html-config', 'HTML page', 'html'],
    ['test-org/html-shard', 'HTML page', 'html'],
    ['test-org/truncated', 'not a whole safetensors file', 'corrupt'],
    ['test-org/missing-shard', `names ${shards[1]}, which the repository does not have`, 'http'],
    ['test-org/gpt2', 'gpt2', 'config'],
  ])('%s: one clear message, nothing left in the cache, the cached model untouched', async (repo, message, kind) => {
    const cache = freshCache();
    const storage = folderHubStorage(cache);
    await downloadModel(storage, ref('test-org/single'), {});
    const before = filesUnder(cache);
    hub.reset();
    const err = await failure(downloadModel(storage, ref(repo), fast));
    expect(err.message).toContain(message);
    expect(err.kind).toBe(kind);
    expect(err.message.split('\n')).toHaveLength(1);
    expect(filesUnder(cache)).toEqual(before);
    expect((await storage.list()).map((e) => e.repo)).toEqual(['test-org/single']);
    if (repo === 'test-org/gpt2') expect(hub.requests.some((r) => r.path.endsWith('.safetensors'))).toBe(false); // refused before the weights
  });
});

describe('lora-playground with --model hf:ORG/NAME', () => {
  it('eval downloads into the cache folder, names the model by its id, and reuses the cache', async () => {
    const cache = freshCache();
    const text = join(root, 'text.txt');
    writeFileSync(text, 'aA bB cC line 1\naA bB cC line 2\n'.repeat(4));
    const saved = process.env.LORA_PLAYGROUND_CACHE;
    process.env.LORA_PLAYGROUND_CACHE = cache;
    try {
      const run = async (argv: string[]) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main(argv, (s) => out.push(s), (s) => err.push(s));
        return { code, out: out.join('\n'), err: err.join('\n') };
      };
      hub.reset();
      const r = await run(['eval', '--model', 'hf:test-org/sharded', '--hub-endpoint', hub.url, '--text', text, '--seq-len', '8']);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ model: 'test-org/sharded', loss: expect.any(Number) });
      expect(existsSync(join(cache, ...hubModelKey(ref('test-org/sharded')).split('/'), shards[0]))).toBe(true);
      hub.reset();
      const url = await run(['eval', '--model', `${hub.url}/test-org/sharded`, '--text', text, '--seq-len', '8']);
      expect(url.code, url.err).toBe(0);
      expect(hub.requests).toEqual([]); // from the cache
      // PEFT files name the real base: the Hub id.
      const out = join(root, 'hub-train-out');
      const t = await run(['train', '--task', 'text', '--model', 'hf:test-org/sharded', '--hub-endpoint', hub.url, '--text', text, '--steps', '2', '--rank', '2', '--batch', '2', '--seq-len', '8', '--quiet', '--out', out]);
      expect(t.code, t.err).toBe(0);
      expect(JSON.parse(readFileSync(join(out, 'adapter', 'adapter_config.json'), 'utf8')).base_model_name_or_path).toBe('test-org/sharded');
      const bad = await run(['eval', '--model', 'hf:test-org/html-config', '--hub-endpoint', hub.url, '--text', text]);
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/^lora-playground: config\.json from test-org\/html-config: the server sent an HTML page/);
      const flag = await run(['eval', '--model', 'some/folder', '--hub-endpoint', hub.url, '--text', text]);
      expect(flag.code).toBe(2);
      expect(flag.err).toContain('--hub-endpoint is for --model hf:ORG/NAME');
    } finally {
      if (saved === undefined) delete process.env.LORA_PLAYGROUND_CACHE;
      else process.env.LORA_PLAYGROUND_CACHE = saved;
    }
  });

  it('Ctrl-C during the download leaves only .part files; the next run resumes them', async () => {
    const cache = freshCache();
    const text = join(root, 'text2.txt');
    writeFileSync(text, 'aA bB cC line 1\n'.repeat(8));
    const args = [BIN, 'eval', '--model', 'hf:test-org/slow', '--hub-endpoint', hub.url, '--text', text, '--seq-len', '8'];
    const env = { ...process.env, LORA_PLAYGROUND_CACHE: cache };
    const dir = join(cache, ...hubModelKey(ref('test-org/slow')).split('/'));
    hub.reset();
    const child = spawn(process.execPath, args, { env });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setInterval(() => {
      const part = join(dir, `${shards[0]}.part`);
      if (existsSync(part) && readFileSync(part).length > 2000) {
        clearInterval(timer);
        child.kill('SIGINT');
      }
    }, 50);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearInterval(timer);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('cancelled');
    expect(existsSync(join(dir, shards[0]))).toBe(false);
    const partSize = readFileSync(join(dir, `${shards[0]}.part`)).length;
    hub.reset();
    hub.repos['test-org/slow'].rate = undefined;
    try {
      const second = spawn(process.execPath, args, { env });
      let out = '';
      let err2 = '';
      second.stdout.on('data', (c) => (out += c));
      second.stderr.on('data', (c) => (err2 += c));
      expect(await new Promise<number | null>((resolve) => second.on('exit', resolve)), err2).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ model: 'test-org/slow' });
      const resumed = hub.requests.find((r) => r.path.startsWith('/cdn-lfs/') && r.path.endsWith(shards[0]));
      expect(resumed?.range).toBe(`bytes=${partSize}-`);
      expect(filesUnder(dir).filter((f) => f.endsWith('.part'))).toEqual([]);
    } finally {
      hub.repos['test-org/slow'].rate = 40_000;
    }
  });
});
