// Every WGSL kernel against its CPU reference in a real headless Chromium (WebGPU on
// SwiftShader without a GPU): the browser and Node can differ.
import { expect, test } from '@playwright/test';

test('kernel-check page: every kernel matches its CPU reference in the browser', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/kernel-check.html');
  await page.waitForFunction(() => window.__kernelChecks?.done === true, undefined, { timeout: 580_000, polling: 1000 });
  const report = await page.evaluate(() => window.__kernelChecks);
  expect(report.error, 'the page could not run the checks').toBeUndefined();
  console.log(`adapter: ${report.adapter}; ${report.results.length} checks; quad kernels ${report.quadKernels ? 'on' : 'off'}`);
  // Where the browser has subgroups (SwiftShader does), the probe must accept its quads, so the
  // quad kernels — what X·Wᵀ and attention run — are among the checks.
  expect(report.quadKernels).toBe(report.features?.includes('subgroups'));
  const failures = report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);
  expect(failures).toEqual([]);
  // The same list vitest runs in Node; a page that silently skipped checks would fail here.
  expect(report.results.length).toBeGreaterThan(100);
  await expect(page.locator('#status')).toContainText(`${report.results.length} passed, 0 failed`);
});
