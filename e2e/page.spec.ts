// The first page: shows the adapter it got, or says clearly that there is none.
import { expect, test } from '@playwright/test';

test('shows the WebGPU adapter and its limits', async ({ page }) => {
  await page.goto('/');
  const panel = page.getByTestId('adapter-panel');
  await expect(panel).toBeVisible();
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  await expect(panel).toContainText('Largest storage binding');
  await expect(page.getByTestId('param-summary')).toContainText('65,536');
});

test('without navigator.gpu, says so and keeps the parameter counts working', async ({ page }) => {
  // Both threads lose WebGPU: the page's, and the engine worker's (which applies window.__loraFaults).
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
    (window as unknown as { __loraFaults: object }).__loraFaults = { noWebGpu: true };
  });
  await page.goto('/');
  const alert = page.getByTestId('gpu-unavailable');
  await expect(alert).toContainText('navigator.gpu is missing');
  await expect(alert).toContainText('Chrome or Edge 113+');
  // Said at the top of the page, above the controls, and Train and Step are off.
  const banner = page.getByTestId('no-webgpu');
  await expect(banner).toContainText('training is off');
  expect((await banner.boundingBox())!.y).toBeLessThan((await page.getByRole('heading', { name: 'Train', exact: true }).boundingBox())!.y);
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Step', exact: true })).toBeDisabled();
  await page.getByRole('spinbutton', { name: 'rank r' }).fill('16');
  await expect(page.getByTestId('param-summary')).toContainText('131,072');
});

test('a rank larger than the layer is refused with the reason', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('spinbutton', { name: 'out features' }).fill('4');
  await expect(page.getByRole('alert').filter({ hasText: 'larger than min(in, out) = 4' })).toBeVisible();
});
