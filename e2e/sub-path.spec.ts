// Issue 20, item 5: the production build works as a static site under a sub-path. A plain file
// server (no fallback to index.html, nothing but dist/ under /lora-playground/) serves the dist/
// folder the webServer of playwright.config.ts has just built; the page loads, the deferred
// sections arrive, the engine worker finds the bundled model under the sub-path, one Step trains
// and the adapter's download holds the cluster script (issue 20, item 6). Every request the page
// makes must stay under the sub-path.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { watchPage } from './guards.ts';

const DIST = resolve(import.meta.dirname, '..', 'dist');
const PREFIX = '/lora-playground/';
const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.json': 'application/json', '.wasm': 'application/wasm',
};

let server: Server;
let origin = '';
const requested: string[] = [];

test.beforeAll(async () => {
  expect(existsSync(join(DIST, 'index.html')), 'dist/ is built by the webServer of playwright.config.ts').toBe(true);
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const path = decodeURIComponent(url.pathname);
    requested.push(path);
    if (path === PREFIX.slice(0, -1)) {
      res.writeHead(301, { location: `${PREFIX}${url.search}` }).end(); // what static hosts do for a folder
      return;
    }
    const file = path.startsWith(PREFIX) ? normalize(join(DIST, path.slice(PREFIX.length))) : '';
    const target = file.startsWith(DIST) && existsSync(file) && statSync(file).isDirectory() ? join(file, 'index.html') : file;
    if (!target.startsWith(DIST) || !existsSync(target)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream' }).end(readFileSync(target));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://localhost:${(server.address() as AddressInfo).port}`;
});

test.afterAll(() => new Promise<void>((done) => server.close(() => done())));

test('dist/ served under /lora-playground/: the page, its deferred sections, the bundled model, one Step and the adapter with its cluster script', async ({ page }) => {
  const guard = await watchPage(page);
  await page.goto(`${origin}/lora-playground?task=tiny-lm&rank=2&alpha=4&steps=1&batch=2&seq=8`);
  await expect(page).toHaveURL(new RegExp(`^${origin}${PREFIX}\\?.*task=tiny-lm`));
  // The sections below the first screen come from a chunk fetched after it shows.
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  await expect(page.getByRole('heading', { name: 'GPU memory (live)' })).toBeVisible();
  await expect(page.getByRole('link', { name: /Check every GPU kernel/ })).toHaveAttribute('href', 'kernel-check.html');

  // One Step of the tiny Llama: the worker fetches the bundled model from under the sub-path.
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(page.getByTestId('fact-step')).toHaveText('1', { timeout: 120_000 });
  expect(Number(await page.getByTestId('fact-loss').textContent())).toBeGreaterThan(0);
  expect(requested).toContain(`${PREFIX}models/byte-caps/config.json`);
  expect(requested).toContain(`${PREFIX}models/byte-caps/model.safetensors`);
  expect(requested.filter((p) => !p.startsWith(PREFIX) && p !== PREFIX.slice(0, -1)), 'requests outside the sub-path').toEqual([]);

  // The adapter export of a language-model run carries the cluster script, its accelerate configs
  // and the text (src/io/python-script.ts); entry names are stored as plain text in a zip's headers.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download adapter' }).click()]);
  const zip = readFileSync((await download.path())!).toString('latin1');
  for (const name of ['adapter_config.json', 'adapter_model.safetensors', 'train_lora.py', 'accelerate_fsdp.yaml', 'accelerate_deepspeed.yaml', 'corpus-b-lines.txt']) {
    expect(zip, name).toContain(`tiny-lm-r2-adapter/${name}`);
  }
  await guard.expectClean();

  // The kernel check page resolves under the sub-path too (its scripts load; the checks are e2e/kernels.spec.ts's).
  const kernelCheck = await page.request.get(`${origin}${PREFIX}kernel-check.html`);
  expect(kernelCheck.status()).toBe(200);
  for (const src of [...(await kernelCheck.text()).matchAll(/src="([^"]+)"/g)].map((m) => m[1])) {
    expect((await page.request.get(new URL(src, `${origin}${PREFIX}kernel-check.html`).href)).status(), src).toBe(200);
  }
});
