// A model by its Hub id, in the page, from a local server with the Hub's URL layout
// (scripts/fake-hub.mjs on localhost:5198 — the page is built with VITE_HF_ENDPOINT pointing
// there, playwright.config.ts): the LFS redirect, per-file progress, a transfer that drops halfway
// and resumes with Range, Cancel and Resume, the clear message for a 404 and for an HTML page with
// the loaded model still in place, an endpoint the CSP does not allow refused before any request,
// the cached model listed with its size, loaded again with no request, and deleted.
// No request leaves localhost.
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { BYTE_LEVEL_TOKENIZER_CONFIG, byteLevelTokenizerJson } from '../src/data/tokenizer.ts';
import { llamaShardedCheckpointFiles } from '../src/io/hf-checkpoint.ts';
import { initLlamaWeights, validateLlamaConfig } from '../src/model/config.ts';
import { formatBytes } from '../src/util/format-bytes.ts';
import { seededRandom } from '../src/util/random.ts';
import { watchPage } from './guards.ts';
// @ts-expect-error plain JS test server shared with the unit tests
import { startFakeHub } from '../scripts/fake-hub.mjs';

const HUB_PORT = 5198; // the port the page's build allows (playwright.config.ts)
const HUB = `http://localhost:${HUB_PORT}`;

interface FakeHub {
  requests: { method: string; path: string; range: string | null; status: number; dropped?: number }[];
  repos: Record<string, Record<string, unknown>>;
  reset(): void;
  close(): Promise<void>;
}

let hub: FakeHub;
let dir: string;
let shards: string[];
let total: number;

test.beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), 'lora-e2e-hub-')), 'model');
  mkdirSync(dir);
  const config = validateLlamaConfig({
    model_type: 'llama', vocab_size: 256, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 64, tie_word_embeddings: true,
  });
  const files = { ...llamaShardedCheckpointFiles(config, initLlamaWeights(config, seededRandom(7)), 40_000), 'tokenizer.json': byteLevelTokenizerJson(), 'tokenizer_config.json': BYTE_LEVEL_TOKENIZER_CONFIG };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  shards = readdirSync(dir).filter((f) => /^model-.*\.safetensors$/.test(f)).sort();
  total = readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  hub = await startFakeHub({
    port: HUB_PORT,
    repos: {
      'test-org/tiny': { dir, dropOnce: { [shards[0]]: 0.5 }, rate: 200_000 },
      'test-org/slow': { dir, rate: 8_000 },
      'test-org/missing': { dir, missing: ['config.json'] },
      'test-org/html': { dir, html: ['config.json'] },
    },
  });
});

test.afterAll(async () => {
  await hub?.close();
});

test('a model by Hub id: progress, a dropped transfer resumed, errors, cancel, the cache', async ({ page }) => {
  const guard = await watchPage(page, { allowHosts: [`localhost:${HUB_PORT}`] });
  page.on('dialog', (d) => void d.accept());
  await page.goto('/');
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain(`connect-src 'self' ${HUB};`);

  const model = page.getByLabel('Hub model id or URL');
  const go = page.getByRole('button', { name: 'Download and load' });
  await expect(page.getByLabel('Hub endpoint')).toHaveValue(HUB);
  await expect(page.getByLabel('revision')).toHaveValue('main');

  // A model by id, through the LFS redirect; the first shard's transfer drops halfway and resumes.
  await model.fill('test-org/tiny');
  await go.click();
  await expect(page.getByTestId('hub-progress')).toBeVisible();
  await expect(page.getByTestId('base-name')).toHaveText('test-org/tiny', { timeout: 60_000 });
  for (const f of ['config.json', 'tokenizer.json', 'model.safetensors.index.json', ...shards]) {
    await expect(page.getByTestId(`hub-file-${f}`)).toHaveAttribute('data-state', 'done');
    await expect(page.getByTestId(`hub-file-${f}`)).toContainText('done');
  }
  const first = hub.requests.filter((r) => r.path.startsWith('/cdn-lfs/test-org/tiny/') && r.path.endsWith(shards[0]));
  expect(first).toHaveLength(2);
  expect(first[0].dropped).toBeGreaterThan(0);
  expect(first[1]).toMatchObject({ range: `bytes=${first[0].dropped}-`, status: 206 });
  const cachedTiny = page.getByTestId('cached-test-org/tiny');
  await expect(cachedTiny.getByTestId('cached-size')).toHaveText(formatBytes(total));

  // Errors: one clear message each; the model loaded before stays.
  await model.fill('test-org/missing');
  await go.click();
  await expect(page.getByTestId('message')).toContainText('has no config.json');
  await model.fill('test-org/html');
  await go.click();
  await expect(page.getByTestId('message')).toContainText('the server sent an HTML page');
  await expect(page.getByTestId('base-name')).toHaveText('test-org/tiny');
  await expect(page.getByTestId('cached-test-org/html')).toHaveCount(0);
  await expect(page.getByTestId('cached-test-org/missing')).toHaveCount(0);

  // An endpoint the page's CSP does not allow: refused before any request.
  hub.reset();
  await page.getByLabel('Hub endpoint').fill('https://example.com');
  await model.fill('org/name');
  await go.click();
  await expect(page.getByTestId('message')).toContainText("Content-Security-Policy allows connections to http://localhost:5198 only");
  await page.getByLabel('Hub endpoint').fill(HUB);

  // Cancel mid-shard keeps the partial download; Resume continues it with Range.
  await model.fill('test-org/slow');
  await go.click();
  await expect(page.getByTestId(`hub-file-${shards[0]}`)).toHaveAttribute('data-state', 'downloading');
  await expect(page.getByTestId(`hub-file-${shards[0]}`)).toContainText(/\/s/); // a rate, then time left
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('message')).toContainText('cancelled');
  await expect(page.getByTestId('cached-test-org/slow')).toContainText('(incomplete)');
  hub.repos['test-org/slow'].rate = undefined;
  hub.reset();
  await page.getByRole('button', { name: 'load test-org/slow' }).click();
  await expect(page.getByTestId('base-name')).toHaveText('test-org/slow', { timeout: 60_000 });
  const resumed = hub.requests.find((r) => r.path.startsWith('/cdn-lfs/test-org/slow/') && r.path.endsWith(shards[0]));
  expect(resumed?.range).toMatch(/^bytes=[1-9]\d*-$/);
  expect(resumed?.status).toBe(206);

  // After a reload: the cache is listed with sizes; Load needs no request; Delete removes it.
  await page.reload();
  await expect(cachedTiny.getByTestId('cached-size')).toHaveText(formatBytes(total));
  hub.reset();
  await page.getByRole('button', { name: 'load test-org/tiny' }).click();
  await expect(page.getByTestId('base-name')).toHaveText('test-org/tiny', { timeout: 60_000 });
  expect(hub.requests).toEqual([]);
  await page.getByRole('button', { name: 'delete cached test-org/tiny' }).click();
  await expect(cachedTiny).toHaveCount(0);
  await expect(page.getByTestId('cached-test-org/slow')).toHaveCount(1);
  await guard.expectClean();
});
