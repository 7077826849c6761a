// kernel-check.html: runs every kernel check in this browser and shows the results. The e2e
// tests read window.__kernelChecks once `done` is true.
import { acquireGpu } from '../gpu/device.ts';
import { allKernelChecks } from './all-checks.ts';
import type { CheckResult } from './check.ts';

interface KernelCheckReport {
  done: boolean;
  adapter?: string;
  /** Whether the quad matmul runs here (and its checks are in the list). */
  quadKernels?: boolean;
  features?: string[];
  results: CheckResult[];
  error?: string;
}

declare global {
  interface Window {
    __kernelChecks: KernelCheckReport;
  }
}

const report: KernelCheckReport = { done: false, results: [] };
window.__kernelChecks = report;
const status = document.getElementById('status')!;
const body = document.querySelector('#results tbody')!;

function addRow(result: CheckResult) {
  const row = document.createElement('tr');
  for (const text of [result.name, result.ok ? 'pass' : 'FAIL', result.detail]) {
    const cell = document.createElement('td');
    cell.textContent = text;
    row.append(cell);
  }
  body.append(row);
}

async function run() {
  const gpu = await acquireGpu();
  report.adapter = `${gpu.adapter.vendor} ${gpu.adapter.architecture} ${gpu.adapter.description}`.trim();
  report.quadKernels = gpu.quadKernels;
  report.features = [...gpu.features];
  const checks = allKernelChecks(gpu);
  for (const [i, check] of checks.entries()) {
    status.textContent = `${i + 1}/${checks.length}: ${check.name} (adapter: ${report.adapter})`;
    let result: CheckResult;
    try {
      result = await check.run(gpu);
    } catch (err) {
      result = { name: check.name, ok: false, detail: `threw: ${(err as Error).message}` };
    }
    report.results.push(result);
    addRow(result);
  }
  const failed = report.results.filter((r) => !r.ok).length;
  status.textContent = `${report.results.length - failed} passed, ${failed} failed on ${report.adapter}`;
  gpu.device.destroy();
}

run()
  .catch((err) => {
    report.error = (err as Error).message;
    status.textContent = `error: ${report.error}`;
  })
  .finally(() => {
    report.done = true;
  });
