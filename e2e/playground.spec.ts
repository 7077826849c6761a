// Issue 5, the whole story in a real browser: sliders move the counts and the URL, training on
// the teacher task draws a falling loss, the inspector shows null base gradients and finite A/B
// norms, the fingerprint holds, merge keeps the outputs, both exports parse, and a reload brings
// the configuration and the runs back. No main-thread task over 50 ms while training.
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { readZip } from '../src/io/zip.ts';
import { watchPage } from './guards.ts';

async function setRange(page: Page, label: string, value: number) {
  await page.getByRole('slider', { name: label }).fill(String(value));
}

test('the playground story on the teacher task', async ({ page }) => {
  const guard = await watchPage(page);
  await page.addInitScript(() => {
    (window as unknown as { __longTasks: number[] }).__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) (window as unknown as { __longTasks: number[] }).__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto('/');
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');

  // Sliders: counts and URL follow before any training; α follows 2r while locked.
  await setRange(page, 'rank r', 8);
  await expect(page.getByTestId('value-alpha')).toHaveText('16');
  await expect(page.getByTestId('trainable-count')).toHaveText('1,024'); // 8·(64 + 64)
  await expect(page.getByTestId('peft-line')).toHaveText('trainable params: 1,024 || all params: 5,120 || trainable%: 20.0000');
  await expect(page).toHaveURL(/rank=8/);
  await expect(page).toHaveURL(/alpha=16/);
  await setRange(page, 'rank r', 4);
  await expect(page.getByTestId('trainable-count')).toHaveText('512');
  await page.getByLabel('steps').fill('40');
  await page.getByLabel('learning rate').fill('0.05');

  // Train: the chart gets points and the loss falls.
  await expect(page).toHaveURL(/lr=0\.05/);
  await page.waitForTimeout(300); // let the settings' re-render finish: only the run is measured
  await page.evaluate(() => ((window as unknown as { __longTasks: number[] }).__longTasks.length = 0));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('idle', { timeout: 240_000 });
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', '40');
  const [last, first] = [Number(await page.getByTestId('fact-loss').textContent()), Number(await page.getByTestId('fact-first').textContent())];
  expect(last).toBeLessThan(first * 0.5);
  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
  expect(longTasks.filter((d) => d > 50), `long tasks during training: ${longTasks.join(', ')} ms`).toEqual([]);

  // Inspector: the base gradient is null, A's and B's norms are finite numbers; fingerprint unchanged.
  await expect(page.getByTestId('base-grad')).toHaveText('null');
  for (const id of ['grad-a', 'grad-b']) expect(Number.isFinite(Number(await page.getByTestId(id).textContent()))).toBe(true);
  await expect(page.getByTestId('fingerprint-verdict')).toHaveText('unchanged');
  expect(await page.getByTestId('fingerprint-current').textContent()).toBe(await page.getByTestId('fingerprint-initial').textContent());

  // Merge on the GPU: outputs agree within float32 tolerance.
  await page.getByRole('button', { name: 'Merge on GPU' }).click();
  await expect(page.getByTestId('merge-state')).toHaveText('merged');
  expect(Number(await page.getByTestId('merge-diff').textContent())).toBeLessThan(1e-3);

  // Exports parse as safetensors with the expected keys and shapes.
  const [adapterZip] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download adapter' }).click()]);
  const adapter = await readZip(new Uint8Array(readFileSync(await adapterZip.path())));
  const adapterFile = [...adapter].find(([n]) => n.endsWith('adapter_model.safetensors'))![1];
  expect(parseSafetensors(adapterFile).tensors.map((t) => [t.name, t.shape])).toEqual([
    ['base_model.model.layer.lora_A.weight', [4, 64]],
    ['base_model.model.layer.lora_B.weight', [64, 4]],
  ]);
  // The teacher's merged export is one tensor, and its label and file names say so (not a model checkpoint).
  const [mergedZip] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download merged layer (safetensors, one 64×64 tensor)' }).click()]);
  expect(mergedZip.suggestedFilename()).toBe('teacher-r4-merged-layer-64x64.zip');
  const merged = await readZip(new Uint8Array(readFileSync(await mergedZip.path())));
  expect([...merged.keys()]).toEqual(['teacher-r4-merged-layer-64x64/merged-layer-64x64.safetensors']);
  expect(parseSafetensors([...merged.values()][0]).tensors.map((t) => [t.name, t.shape])).toEqual([['layer.weight', [64, 64]]]);
  await page.getByRole('button', { name: 'Unmerge' }).click();
  await expect(page.getByTestId('fingerprint-verdict')).toHaveText('unchanged');

  // A second run at another rank is overlaid; reload brings back the configuration and both runs.
  await page.getByRole('button', { name: 'Reset' }).click();
  await setRange(page, 'rank r', 2);
  await page.getByLabel('steps').fill('5');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('idle', { timeout: 240_000 });
  await expect(page.getByTestId('run-item')).toHaveCount(2);
  await page.reload();
  await expect(page.getByTestId('value-rank')).toHaveText('2');
  await expect(page.getByTestId('value-alpha')).toHaveText('4');
  await expect(page.getByTestId('run-item')).toHaveCount(2);
  await expect(page.getByTestId('run-item').first()).toContainText('teacher r=4');
  await guard.expectClean(); // no request left this origin; the strict CSP was never violated
});

test('a shared link restores the configuration, and bad values in it are named', async ({ page }) => {
  await page.goto('/?task=tiny-lm&rank=16&alpha=7&alphaLock=0&targets=q_proj,v_proj&steps=abc');
  await expect(page.getByTestId('value-rank')).toHaveText('16');
  await expect(page.getByTestId('value-alpha')).toHaveText('7');
  await expect(page.getByRole('checkbox', { name: 'q_proj' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'k_proj' })).not.toBeChecked();
  await expect(page.getByRole('alert').filter({ hasText: "steps must be a number" })).toBeVisible();
  // q_proj and v_proj of byte-caps: 2 layers × (16·(64+64) + 16·(64+32)) = 7,168
  await expect(page.getByTestId('trainable-count')).toHaveText('7,168');
});

test('tiny Llama: 14 LoRA modules with null base gradients, merge parity, base and adapted completions', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/?task=tiny-lm&rank=4&alpha=8&steps=3&batch=4&seq=16&lr=0.05');
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('idle', { timeout: 240_000 });
  await expect(page.getByTestId('inspector-row')).toHaveCount(14);
  await expect(page.getByTestId('base-grad').filter({ hasText: 'null' })).toHaveCount(14);
  await expect(page.getByTestId('step0-note')).toBeVisible(); // ‖∇A‖ = 0 at step 1
  await expect(page.getByTestId('fingerprint-verdict')).toHaveText('unchanged');
  await page.getByRole('button', { name: 'Merge on GPU' }).click();
  await expect(page.getByTestId('merge-state')).toHaveText('merged');
  // Against the low-rank path, so float rounding differs (deterministic run: never exactly 0).
  const diff = Number(await page.getByTestId('merge-diff').textContent());
  expect(diff).toBeLessThan(1e-3);
  expect(diff).toBeGreaterThan(0);
  // 64 tokens: q/k/v/o fold in evaluation (tokens·(in + out) ≥ 2·in·out), so the folded time is shown.
  await expect(page.getByTestId('merge-folded')).toBeVisible();
  // Times are medians with their spread, and the sentence about overhead is worded from them.
  await expect(page.getByTestId('merge-verdict')).toContainText(/^merged forward: [\d.]+ ms vs base [\d.]+ ms \(ratio [\d.]+\)/);
  // At 1280 px the report fits its panel: no horizontal scrolling, in the panel or the page.
  const widths = await page.evaluate(() => {
    const panel = document.querySelector('[aria-labelledby="merge-title"]')!;
    return { panel: panel.scrollWidth - panel.clientWidth, page: document.documentElement.scrollWidth - window.innerWidth };
  });
  expect(widths).toEqual({ panel: 0, page: 0 });
  // Try it while merged: the base column is the base itself (captioned so), the other the merged model.
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('gen-base-caption')).toHaveText('base model (its own weights: the merge set aside for this completion)');
  await expect(page.getByTestId('gen-adapted-caption')).toHaveText('merged model (W + s·B·A in the weights)');
  const mergedBase = (await page.getByTestId('gen-base-new').textContent())!;
  await page.getByRole('button', { name: 'Unmerge' }).click();
  await expect(page.getByTestId('fingerprint-verdict')).toHaveText('unchanged');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('gen-base-caption')).toHaveText('base model (adapter off)');
  await expect(page.getByTestId('gen-base')).toContainText('qQ');
  await expect(page.getByTestId('gen-adapted')).toContainText('qQ');
  expect(await page.getByTestId('gen-base-new').textContent()).toBe(mergedBase);
  // 7 prompt bytes and 20 new ones do not fit the run's 16 tokens: the panel says where it stopped.
  await page.getByLabel('new tokens').fill('20');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('gen-context')).toHaveText("stopped after 9 of 20 new tokens: this run's model reads at most 16 tokens (its sequence length) and the prompt takes 7; a run with a longer sequence length (up to the model's context of 64) can write more.");
});
