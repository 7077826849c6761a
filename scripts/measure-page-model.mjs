#!/usr/bin/env node
// Measures a model folder in the page (production build, headless Chromium, WebGPU on whatever
// the browser has: SwiftShader here), loaded two ways: picked as local files, and by id from a
// local Hub (scripts/fake-hub.mjs serving the folder). Prints JSON: load time, the page's GPU
// estimate and live GPU bytes (read from the engine's memory panel), the engine worker's peak JS
// memory while loading and building the run (CDP Runtime.getHeapUsage: heap + ArrayBuffer
// backing stores, sampled every 50 ms), one LoRA step (r = 8, q_proj and v_proj on every layer,
// batch 1 × 64), the merge, and the merged download's size.
//
//   node scripts/measure-page-model.mjs --model DIR [--skip-files] [--skip-hub] [--verbose]
//
// --verbose logs the page's and the engine worker's console and, every 10 s, the page's progress line.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { build, preview } from 'vite';
import { startFakeHub } from './fake-hub.mjs';
import { chromiumPath } from './gpu-env.mjs';
import { CHROMIUM_ARGS } from './headless.mjs';

const { values } = parseArgs({ options: { model: { type: 'string' }, 'skip-hub': { type: 'boolean', default: false }, 'skip-files': { type: 'boolean', default: false }, verbose: { type: 'boolean', default: false } } });
if (!values.model) {
  console.error('measure-page-model: --model DIR is required');
  process.exit(2);
}
const DIR = values.model;
const FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
const REPO = 'local/real-model';

const hub = await startFakeHub({ port: 5196, repos: { [REPO]: { dir: DIR } } });
process.env.VITE_HF_ENDPOINT = hub.url;
process.env.VITE_HF_CDN = 'none';
const outDir = mkdtempSync(join(tmpdir(), 'lora-measure-dist-'));
await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
const server = await preview({ logLevel: 'warn', preview: { port: 5195, strictPort: false }, build: { outDir } });
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });

/** Samples the engine worker's JS memory (heap used + ArrayBuffer backing stores) every 50 ms. */
async function workerMemorySampler() {
  const cdp = await browser.newBrowserCDPSession();
  let worker;
  for (let i = 0; i < 100 && !worker; i++) {
    worker = (await cdp.send('Target.getTargets')).targetInfos.find((t) => t.type === 'worker' && t.url.includes('engine-worker'));
    if (!worker) await new Promise((r) => setTimeout(r, 100));
  }
  if (!worker) throw new Error('the engine worker was not found');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false });
  let id = 0;
  const pending = new Map();
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message);
    pending.get(m.id)?.(m.result);
    pending.delete(m.id);
  });
  const usage = () => new Promise((resolve) => {
    const i = ++id;
    pending.set(i, resolve);
    void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: i, method: 'Runtime.getHeapUsage' }) });
  });
  const bytes = async () => {
    const u = await usage();
    return u ? u.usedSize + u.backingStorageSize : 0;
  };
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await bytes());
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    now: bytes,
    resetPeak: async () => (peak = await bytes()),
    peak: () => peak,
    async stop() {
      running = false;
      await loop;
      await cdp.detach();
    },
  };
}

const SETTINGS = '?task=tiny-lm&rank=8&alpha=16&alphaLock=0&targets=q_proj,v_proj&batch=1&seq=64&steps=1';
const log = (message) => console.error(`measure-page-model: ${message}`);
const number = (text) => Number(String(text).replace(/[^0-9.]/g, ''));

async function openPage() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page.setDefaultTimeout(6 * 60_000);
  page.on('console', (m) => (m.type() === 'error' || values.verbose) && log(`page ${m.type()}: ${m.text()}`));
  page.on('worker', (w) => w.on('console', (m) => (m.type() === 'error' || values.verbose) && log(`worker ${m.type()}: ${m.text()}`)));
  if (values.verbose) {
    // What the page shows while it waits: the engine's progress line and the run's status.
    const timer = setInterval(() => void page.evaluate(() => [document.querySelector('[data-testid="busy"]')?.textContent, document.querySelector('[data-testid="run-status"]')?.textContent]).then((t) => log(`busy: ${t[0] ?? '—'}, status: ${t[1]}`), () => clearInterval(timer)), 10_000);
    page.on('close', () => clearInterval(timer));
  }
  await page.goto(url + SETTINGS);
  await page.getByTestId('adapter-architecture').filter({ hasNotText: /^$/ }).waitFor();
  return page;
}

async function idle(page) {
  await page.waitForFunction(() => !document.querySelector('[data-testid="busy"]')?.textContent?.trim(), undefined, { polling: 250 });
}

async function stepOnce(page) {
  const before = Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Step' }).click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) > n, before, { polling: 250 });
  await idle(page);
  return Date.now() - t0;
}

async function measure(how) {
  const page = await openPage();
  const memory = await workerMemorySampler();
  const before = await memory.now();
  await memory.resetPeak();
  const t0 = Date.now();
  if (how === 'files') {
    await page.getByLabel(/Your HF Llama folder/).setInputFiles(FILES.map((f) => join(DIR, f)));
  } else {
    await page.getByLabel('Hub model id or URL').fill(REPO);
    await page.getByLabel('Hub endpoint').fill(hub.url);
    await page.getByRole('button', { name: 'Download and load' }).click();
  }
  await page.waitForFunction(() => /BF16|F16/.test(document.querySelector('[data-testid="base-params"]')?.textContent ?? ''), undefined, { polling: 250 });
  const loadMs = Date.now() - t0;
  log(`${how}: loaded in ${loadMs} ms`);
  const peakLoading = memory.peak();
  const estimate = await page.getByTestId('base-estimate').textContent();
  const layers = number(/(\d+) layers/.exec(await page.getByText(/layers ×/).first().textContent())[1]);
  await page.getByLabel('last layer').fill(String(layers - 1));
  const firstStepMs = await stepOnce(page); // builds the run: every tensor read and uploaded, pipelines compiled
  log(`${how}: first step ${firstStepMs} ms`);
  const peakBuilding = memory.peak();
  const stepMs = await stepOnce(page);
  log(`${how}: step ${stepMs} ms`);
  const gpuBytes = (await page.getByTestId('memory-total').textContent()).trim();
  const result = {
    how, load_ms: loadMs, estimate, first_step_ms_including_upload: firstStepMs, step_ms: stepMs, gpu_memory_panel_total: gpuBytes,
    worker_js_memory: { before, peak_while_loading: peakLoading, peak_through_upload_and_steps: peakBuilding, largest_file_bytes: statSync(join(DIR, 'model.safetensors')).size },
  };
  if (how === 'files') {
    const t1 = Date.now();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download merged weights' }).click()]);
    const path = await download.path();
    result.merged_download = { bytes: statSync(path).size, ms: Date.now() - t1, name: download.suggestedFilename() };
    await idle(page);
    await page.getByRole('button', { name: 'Merge on GPU' }).click();
    await page.getByTestId('merge-ms').waitFor();
    result.merge_ms_engine = number(await page.getByTestId('merge-ms').textContent());
  }
  await memory.stop();
  await page.close();
  return result;
}

async function measureOrShow(how) {
  try {
    return await measure(how);
  } catch (err) {
    for (const [i, p] of browser.contexts().flatMap((c) => c.pages()).entries()) await p.screenshot({ path: join(tmpdir(), `measure-page-${how}-${i}.png`), fullPage: true }).catch(() => {});
    log(`${how} failed (screenshots in ${tmpdir()}/measure-page-${how}-*.png): ${err.message}`);
    throw err;
  }
}

const results = [];
if (!values['skip-files']) results.push(await measureOrShow('files'));
if (!values['skip-hub']) results.push(await measureOrShow('hub'));
console.log(JSON.stringify({ runtime: 'Chromium (production build)', browser: browser.version(), results }, null, 2));
await browser.close();
await server.close();
await hub.close();
process.exit(0);
