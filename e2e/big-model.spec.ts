// A 100 MB model picked from disk: the page reads and parses it without freezing. A Llama folder
// with random weights (scripts/make-model.mjs --preset big-test: 26M parameters, 104 MB of F32) is
// made once under the OS temp folder, never in the repo, and picked through the folder input as
// file paths; while it loads, no main-thread task may run over 50 ms.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { watchPage } from './guards.ts';

const GENERATOR = fileURLToPath(new URL('../scripts/make-model.mjs', import.meta.url));
const FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
const PREFIX = 'lora-playground-big-test-';
// Named after the generator's source: a changed generator (or preset) makes a new folder.
const DIR = join(tmpdir(), PREFIX + createHash('sha256').update(readFileSync(GENERATOR)).digest('hex').slice(0, 12));

interface Made {
  bytes: number;
  parameters: number;
}

/** The finished model.safetensors' size and parameter count, read from its header; null unless complete. */
function madeModel(dir: string): Made | null {
  if (!FILES.every((f) => existsSync(join(dir, f)))) return null;
  const path = join(dir, 'model.safetensors');
  const fd = openSync(path, 'r');
  try {
    const prefix = Buffer.alloc(8);
    if (readSync(fd, prefix, 0, 8, 0) !== 8) return null;
    const headerLength = Number(prefix.readBigUInt64LE(0));
    if (headerLength > 1_000_000) return null;
    const header = Buffer.alloc(headerLength);
    if (readSync(fd, header, 0, headerLength, 8) !== headerLength) return null;
    const entries = Object.entries(JSON.parse(header.toString('utf8')) as Record<string, { shape: number[]; data_offsets: [number, number] }>).filter(([k]) => k !== '__metadata__');
    const bytes = 8 + headerLength + Math.max(...entries.map(([, t]) => t.data_offsets[1]));
    if (statSync(path).size !== bytes) return null;
    return { bytes, parameters: entries.reduce((s, [, t]) => s + t.shape.reduce((a, b) => a * b, 1), 0) };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

let made: Made;

test.beforeAll(() => {
  let found = madeModel(DIR);
  if (!found) {
    // Folders of earlier generator versions are 100 MB each: only the current one is kept.
    for (const old of readdirSync(tmpdir()).filter((n) => n.startsWith(PREFIX))) rmSync(join(tmpdir(), old), { recursive: true, force: true });
    execFileSync(process.execPath, [GENERATOR, '--preset', 'big-test', '--out', DIR], { stdio: 'inherit' });
    found = madeModel(DIR);
  }
  expect(found, `${DIR} holds a complete model folder`).not.toBeNull();
  expect(found!.bytes, 'model.safetensors is at least 100 MB').toBeGreaterThanOrEqual(100_000_000);
  made = found!;
});

test('a 100 MB model folder loads from disk without a main-thread task over 50 ms', async ({ page }) => {
  const guard = await watchPage(page);
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: Math.round(e.startTime), duration: Math.round(e.duration) });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto('/');
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  await page.waitForTimeout(300); // let the first render settle: only the load is measured
  await page.evaluate(() => ((window as unknown as { __longTasks: unknown[] }).__longTasks.length = 0));
  const startedAt = await page.evaluate(() => performance.now());

  // Paths, not buffers: Playwright hands a local browser the files themselves.
  const started = Date.now();
  await page.getByLabel(/Your HF Llama folder/).setInputFiles(FILES.map((f) => join(DIR, f)));
  await expect(page.getByTestId('base-name')).toHaveText('your model', { timeout: 240_000 });
  const loadedMs = Date.now() - started;
  await expect(page.getByTestId('busy')).toHaveCount(0, { timeout: 240_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  const idleMs = Date.now() - started;
  // Two frames, so that the observer has been told of the last task.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));

  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks);
  const over = longTasks.filter((t) => t.duration > 50);
  const listing = over.map((t) => `${t.duration} ms at +${Math.round(t.start - startedAt)} ms`).join(', ');
  const summary =
    `${(made.bytes / 1e6).toFixed(1)} MB, ${made.parameters.toLocaleString('en-US')} parameters: 'your model' after ${loadedMs} ms, idle after ${idleMs} ms; ` +
    `${longTasks.length} long tasks, ${over.length} over 50 ms (longest ${Math.max(0, ...longTasks.map((t) => t.duration))} ms, ` +
    `${over.reduce((s, t) => s + t.duration, 0)} ms in all)${listing ? `: ${listing}` : ''}`;
  console.log(`big model: ${summary}`);
  test.info().annotations.push({ type: 'big-model', description: summary });

  const params = page.getByTestId('base-params');
  if ((await params.count()) > 0) expect.soft(await params.textContent(), 'the page reports the parameter count').toContain(made.parameters.toLocaleString('en-US'));

  expect(over, `main-thread tasks over 50 ms while loading the model: ${listing}`).toEqual([]);
  await guard.expectClean();
});
