// Issue 17: the page as an instrument. The first screen holds Train, the loss and the run's
// numbers; s, the floor and the spectrum on the page are the engine's and agree with a float64
// reference computed here; a teacher run at r = 2 ends on the floor the page draws; the rank
// sweep orders its losses by rank; nothing scrolls sideways at 1280 or 1920 px.
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { readZip } from '../src/io/zip.ts';
import { loraDeltaReference, svdReference } from '../src/reference/svd.ts';

const TEACHER = '/?task=teacher&rank=2&alpha=4&alphaLock=1&steps=60&lr=0.05&seed=0';

async function ready(page: Page) {
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
}

async function trainToEnd(page: Page, steps: number) {
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('idle', { timeout: 240_000 });
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(steps));
}

async function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

async function trainBottom(page: Page): Promise<number> {
  const box = (await page.getByRole('button', { name: 'Train', exact: true }).boundingBox())!;
  return box.y + box.height;
}

test('the first screen: Train, s from the engine, the floor reached at r = 2, the spectrum against a float64 SVD, no sideways scroll', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(TEACHER);
  await ready(page);
  expect(await trainBottom(page)).toBeLessThanOrEqual(800);
  // α is locked to 2r: its slider does not move, and s = α/r is written out.
  await expect(page.getByRole('slider', { name: 'alpha α' })).toBeDisabled();
  await expect(page.getByTestId('scale-line')).toContainText('s = α/r = 4/2 = 2');

  await trainToEnd(page, 60);
  expect(await trainBottom(page)).toBeLessThanOrEqual(800);
  const chart = (await page.getByTestId('loss-chart').boundingBox())!;
  expect(chart.y + chart.height).toBeLessThanOrEqual(800); // the live loss is on the first screen too
  await expect(page.getByTestId('engine-scale')).toHaveText('2'); // the scale the run's LoRA layer holds

  // The floor: drawn dashed from the engine's run, equal to the spectra's floor from ΔW*'s
  // discarded singular values; the run's final validation loss ends within 5 % of it.
  const floor = Number(await page.getByTestId('floor-line').getAttribute('data-floor'));
  // ΔW* = W_T − W₀ has k = 4 singular values equal to √d = 8; r = 2 leaves two of them, and inputs
  // uniform in [−1, 1] (variance 1/3) make the expected MSE Σ discarded σ² / (3·d) = 2·64/192.
  expect(floor).toBeCloseTo((2 * 64) / (3 * 64), 6);
  await expect(page.getByTestId('spectrum-panel')).toHaveAttribute('data-step', '60');
  // Two computations of one number (the task's (k − r)/k of the untrained loss; Σ discarded σ*²/(3d)
  // from ΔW*'s f32 singular values): equal to f32 rounding.
  expect(Math.abs(Number(await page.getByTestId('spectrum-floor').getAttribute('data-value')) - floor)).toBeLessThan(1e-6 * floor);
  expect(Number(await page.getByTestId('fact-floor').textContent())).toBeCloseTo(floor, 3);
  const finalLoss = Number(await page.getByTestId('fact-validation').textContent());
  expect(Math.abs(finalLoss - floor) / floor, `final validation loss ${finalLoss} against the floor ${floor}`).toBeLessThan(0.05);

  // The spectrum the page shows is the SVD of s·B·A of the adapter it exports (float64 reference here).
  const [zip] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download adapter' }).click()]);
  const files = await readZip(new Uint8Array(readFileSync(await zip.path())));
  const st = parseSafetensors([...files].find(([n]) => n.endsWith('adapter_model.safetensors'))![1]);
  const tensor = (suffix: string) => st.tensors.find((t) => t.name.endsWith(suffix))!;
  const [a, b] = [tensor('lora_A.weight'), tensor('lora_B.weight')];
  const [r, d] = a.shape;
  const delta = loraDeltaReference(st.get(b.name), st.get(a.name), d, r, d, 2);
  const expected = Array.from(svdReference(delta, d, d).s.slice(0, r));
  const shown = (await page.getByTestId('spectrum-sv-student').getAttribute('data-values'))!.split(',').map(Number);
  expect(shown).toHaveLength(r);
  shown.forEach((sv, i) => expect(Math.abs(sv - expected[i])).toBeLessThan(1e-5 * expected[0]));
  const erank = Number(await page.getByTestId('spectrum-erank-student').getAttribute('data-value'));
  const p = expected.map((s) => s / expected.reduce((x, y) => x + y, 0));
  expect(erank).toBeCloseTo(Math.exp(-p.reduce((h, q) => h + (q > 0 ? q * Math.log(q) : 0), 0)), 4);

  // After a merge, still nothing wider than the window, at both sizes.
  await page.getByRole('button', { name: 'Merge on GPU' }).click();
  await expect(page.getByTestId('merge-state')).toHaveText('merged');
  expect(await sidewaysOverflow(page)).toBe(0);
  await page.setViewportSize({ width: 1920, height: 1080 });
  expect(await sidewaysOverflow(page)).toBe(0);
  await page.evaluate(() => window.scrollTo(0, 0)); // the downloads and the merge scrolled to their section
  expect(await trainBottom(page)).toBeLessThanOrEqual(1080);
  expect(await trainBottom(page)).toBeGreaterThan(0);
});

test('the chart reads on its own: log and linear, one task at a time, numbered runs in a table', async ({ page }) => {
  await page.goto('/?task=teacher&rank=2&alpha=4&steps=5&lr=0.05');
  await ready(page);
  await trainToEnd(page, 5);
  const svg = page.getByTestId('loss-chart').locator('svg');
  await expect(svg).toHaveAttribute('data-scale', 'log');
  await page.getByRole('button', { name: 'linear' }).click();
  await expect(svg).toHaveAttribute('data-scale', 'linear');
  await expect(page.getByTestId('run-item')).toHaveCount(1);
  await expect(page.getByTestId('run-item')).toContainText('1');
  // The language-model task's chart does not hold the teacher's run.
  await page.getByLabel('chart task').selectOption('tiny-lm');
  await expect(page.getByTestId('run-item')).toHaveCount(0);
  await expect(page.getByText('1 run of the other task hidden')).toBeVisible();
});

test('at r = 33 on the 64×64 layer the page says LoRA has more parameters than the layer', async ({ page }) => {
  await page.goto('/?task=teacher&rank=33&alpha=66');
  await expect(page.getByTestId('more-than-full')).toContainText('1.03× the base');
  await expect(page.getByText('fewer than full fine-tuning')).toHaveCount(0);
});

test('the rank sweep: r = 1, 2, 4, 8 with one seed, losses ordered by rank, each on the floor the engine states', async ({ page }) => {
  await page.goto('/?task=teacher&rank=4&alpha=8&alphaLock=1&steps=60&lr=0.05&seed=0');
  await ready(page);
  await page.getByRole('button', { name: 'Run the sweep' }).click();
  await expect(page.getByRole('button', { name: 'Run the sweep' })).toBeEnabled({ timeout: 280_000 });
  const point = async (rank: number) => {
    const row = page.getByTestId(`sweep-r=${rank}`);
    return { loss: Number(await row.getAttribute('data-loss')), floor: Number(await row.getAttribute('data-floor')) };
  };
  const [r1, r2, r4, r8] = [await point(1), await point(2), await point(4), await point(8)];
  expect(r1.loss).toBeGreaterThan(r2.loss);
  expect(r2.loss).toBeGreaterThan(r4.loss);
  expect(r1.floor).toBeGreaterThan(r2.floor);
  expect([r4.floor, r8.floor]).toEqual([0, 0]); // ΔW* has rank 4
  expect(Math.abs(r2.loss - r2.floor) / r2.floor).toBeLessThan(0.05);
  expect(r8.loss).toBeLessThan(0.05 * r2.floor);
  await expect(page.getByTestId('run-item')).toHaveCount(4);
  await expect(page.getByTestId('value-rank')).toHaveText('4'); // the settings came back
});

test('the language model on one screen too: Train, the loss, the accuracy beside it; nothing wider than the window', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/?task=tiny-lm&rank=4&alpha=8&targets=all-linear&steps=10&batch=4&seq=16&lr=0.02');
  await ready(page);
  await trainToEnd(page, 10);
  await page.evaluate(() => window.scrollTo(0, 0));
  expect(await trainBottom(page)).toBeLessThanOrEqual(800);
  expect((await page.getByTestId('loss-chart').boundingBox())!.y).toBeLessThan(800);
  await expect(page.getByTestId('accuracy-lines')).toHaveAttribute('data-values', /^0:[\d.]+,10:[\d.]+$/);
  await expect(page.getByTestId('spectrum-panel')).toHaveAttribute('data-step', '10');
  expect(await sidewaysOverflow(page)).toBe(0);
  await page.setViewportSize({ width: 1920, height: 1080 });
  expect(await sidewaysOverflow(page)).toBe(0);
});
