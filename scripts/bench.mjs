// `npm run bench`: serves the pages with Vite, runs bench.html in headless Chromium (system
// browser, WebGPU on SwiftShader when there is no GPU), prints a table and writes
// bench/results.json.   node scripts/bench.mjs [--sizes 256,512,1024] [--lora N,in,out,r]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { openHeadless } from './headless.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const sizes = flag('sizes', '256,512,1024');
const lora = flag('lora', '1024,1024,1024,8');
const out = flag('out', 'bench/results.json');
const skinny = flag('skinny', '1024');
const ranks = flag('ranks', '1,4,16,64');
const step = flag('step', '256,1024,8');

const { url, browser, close } = await openHeadless('npm run bench', 5198);
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(`[page] ${m.text()}`));
  await page.goto(`${url}bench.html?sizes=${sizes}&lora=${lora}&skinny=${skinny}&ranks=${ranks}&step=${step}`);
  let last = '';
  while (!(await page.evaluate(() => window.__bench?.done))) {
    const status = await page.locator('#status').textContent();
    if (status !== last) console.error(`… ${(last = status)}`);
    await page.waitForTimeout(2000);
  }
  const report = await page.evaluate(() => window.__bench);
  if (report.error) throw new Error(`bench page failed: ${report.error}`);
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, platform: process.platform },
    browser: report.userAgent,
    adapter: report.adapter,
    peer: '@tensorflow/tfjs-backend-webgpu (matMul; variableGrads + train.adam for the training step), same GPUDevice, same page',
    method: 'one warm-up per side, then alternating rounds; medians of wall-clock time to queue completion',
    cases: report.rows,
    step_encoding: report.stepEncoding,
  };
  mkdirSync('bench', { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const pad = (s, n) => String(s).padEnd(n);
  console.log(`\n${pad('case', 44)}${pad('ours GFLOP/s', 14)}${pad('tfjs GFLOP/s', 14)}${pad('ours ÷ tfjs', 13)}max |ours − tfjs|`);
  for (const r of report.rows) {
    const diff = r.max_abs_diff === null ? '' : r.max_abs_diff.toExponential(1);
    console.log(`${pad(`${r.case} ${r.shape}`, 44)}${pad(r.ours_gflops.toFixed(3), 14)}${pad(r.tfjs_gflops.toFixed(3), 14)}${pad(`${r.ratio.toFixed(2)}×`, 13)}${diff}`);
  }
  const e = report.stepEncoding;
  console.log(`\nencoding one LoRA training step of ${e.model} (batch ${e.batch} × ${e.seq}, ${e.dispatches} dispatches) in the page: median ${e.median_ms.toFixed(2)} ms, fastest ${e.fastest_ms.toFixed(2)} ms`);
  console.log(`adapter: ${report.adapter.vendor} ${report.adapter.architecture} ${report.adapter.description}; wrote ${out}`);
} finally {
  await close();
}
