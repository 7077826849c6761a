// Issue 7 in the browser: each way WebGPU can be missing is named, and what needs no GPU keeps
// working; while a run trains, actions that would touch its weights wait (disabled with a reason)
// and the run's weights come out untouched. The engine runs in a Web Worker, so faults are
// injected there: a test sets window.__loraFaults before the page loads and the worker patches
// its own WebGPU and IndexedDB globals with them (src/worker/faults.ts).
import { expect, test, type Page } from '@playwright/test';

/** Faults the engine worker applies to its own globals at start (src/worker/faults.ts). */
function injectFaults(page: Page, faults: Record<string, unknown>) {
  return page.addInitScript((f) => ((window as unknown as { __loraFaults: unknown }).__loraFaults = f), faults);
}

test('requestAdapter() returning null is named; counts and the scale calculator still work', async ({ page }) => {
  await injectFaults(page, { adapterNull: true });
  await page.goto('/');
  await expect(page.getByTestId('gpu-unavailable')).toContainText('requestAdapter() returned null');
  await page.getByRole('slider', { name: 'rank r' }).fill('8');
  await expect(page.getByTestId('trainable-count')).toHaveText('1,024');
  await expect(page.getByTestId('scale-llama-2-7b-2')).toContainText('13.5 GB');
  // Training is off, and the top of the page says why (not a refusal after a click).
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeDisabled();
  await expect(page.getByTestId('no-webgpu')).toContainText('requestAdapter() returned null');
});

test('requestDevice() failing is named', async ({ page }) => {
  await injectFaults(page, { deviceError: 'simulated: the device could not be created' });
  await page.goto('/');
  await expect(page.getByTestId('gpu-unavailable')).toContainText('refused to create a device');
  await expect(page.getByTestId('gpu-unavailable')).toContainText('simulated');
});

test('while training, merge, export, reset, task and model changes wait; pausing leaves the weights intact', async ({ page }) => {
  await page.goto('/?task=teacher&steps=100000&lr=0.01');
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('running');
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBeGreaterThan(3);
  for (const name of ['Merge on GPU', 'Download adapter', 'Download merged layer (safetensors, one 64×64 tensor)', 'Reset', 'Train', 'Step']) {
    await expect(page.getByRole('button', { name, exact: true })).toBeDisabled();
  }
  await expect(page.getByRole('combobox', { name: 'task', exact: true })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Load the bundled model' })).toBeDisabled();
  await expect(page.getByTestId('library-blocked')).toContainText('pause it first');
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('paused');
  const pausedAt = Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
  await expect(page.getByRole('button', { name: 'Merge on GPU' })).toBeEnabled();
  await expect(page.getByTestId('fingerprint-verdict')).toHaveText('unchanged');
  // Step continues the same run from where it paused.
  await page.getByRole('button', { name: 'Step' }).click();
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(pausedAt + 1));
  await expect(page.getByTestId('run-item')).toHaveCount(1);
});

for (const kind of ['destroy', 'reset'] as const) {
  test(`device lost mid-run (${kind}): reported, a new device, the adapter restored from its last checkpoint, training resumes`, async ({ page }) => {
    await page.goto('/?task=teacher&steps=100000&lr=0.01');
    await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    const points = async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
    await expect.poll(points, { timeout: 120_000 }).toBeGreaterThan(24); // checkpoints at steps 10 and 20
    const firstLoss = Number(await page.getByTestId('fact-first').textContent());
    await page.evaluate((k) => (window as unknown as { __loraPlayground: { loseDevice(k: string): void } }).__loraPlayground.loseDevice(k), kind);
    const notice = page.getByTestId('workbench-notice');
    await expect(notice).toContainText('The GPU device was lost', { timeout: 60_000 });
    await expect(notice).toContainText(kind === 'destroy' ? 'destroyed' : 'unknown');
    const restored = Number(/restored from step (\d+)/.exec((await notice.textContent())!)![1]);
    expect(restored).toBeGreaterThanOrEqual(20);
    expect(restored % 10).toBe(0);
    await expect(page.getByTestId('run-status')).toHaveText('paused');
    await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(restored)); // history up to the checkpoint is kept
    await expect(page.getByTestId('adapter-architecture')).not.toHaveText(''); // the GPU panel shows the new device
    // Resume: the same run continues from the checkpoint, with the adapter's progress intact.
    await page.getByRole('button', { name: 'Step' }).click();
    await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(restored + 1));
    const resumed = Number(await page.getByTestId('fact-loss').textContent());
    expect(resumed).toBeLessThan(firstLoss * 0.9);
    await expect(page.getByTestId('run-item')).toHaveCount(1);
    await expect(page.getByTestId('fingerprint-verdict')).toHaveText('unchanged');
  });
}

test('reloading the tab mid-run offers to resume from the autosaved checkpoint', async ({ page }) => {
  await page.goto('/?task=teacher&steps=100000&lr=0.01&rank=3&alpha=6');
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const points = async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
  await expect.poll(points, { timeout: 120_000 }).toBeGreaterThan(24);
  const firstLoss = Number(await page.getByTestId('fact-first').textContent());
  await page.reload(); // mid-run: the loop dies with the page
  const offer = page.getByTestId('resume-offer');
  await expect(offer).toContainText('teacher r=3');
  const step = Number(/at step (\d+)/.exec((await offer.textContent())!)![1]);
  expect(step).toBeGreaterThanOrEqual(20);
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('paused');
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(step));
  await expect(page.getByTestId('value-rank')).toHaveText('3');
  await page.getByRole('button', { name: 'Step' }).click();
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(step + 1));
  const resumed = Number(await page.getByTestId('fact-loss').textContent());
  expect(resumed).toBeLessThan(firstLoss * 0.9); // the adapter's progress came back, not a fresh B = 0
  await expect(page.getByTestId('run-item')).toHaveCount(1);
  // A finished run is not offered again.
  await page.getByLabel('steps').fill(String(step + 2));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('idle');
  await page.reload();
  await expect(page.getByTestId('run-item')).toHaveCount(1);
  await expect(page.getByTestId('resume-offer')).toHaveCount(0);
});

test('a full browser storage is reported, and training goes on', async ({ page }) => {
  await injectFaults(page, { checkpointQuota: true }); // IDBObjectStore.put on 'checkpoints' throws QuotaExceededError
  await page.goto('/?task=teacher&steps=12&lr=0.01');
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('idle', { timeout: 120_000 });
  await expect(page.getByTestId('workbench-notice')).toContainText('autosave failed');
  await expect(page.getByTestId('workbench-notice')).toContainText('quota');
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', '12');
});

test("a run over the device's limits is refused before anything is allocated, naming the limit and what to change", async ({ page }) => {
  // A device reporting a 1 MiB storage-binding limit (real ones report ≥ 128 MiB).
  await injectFaults(page, { maxStorageBufferBindingSize: 1 << 20 });
  await page.goto('/?task=tiny-lm&batch=64&seq=64&steps=5');
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const notice = page.getByTestId('workbench-notice');
  await expect(notice).toContainText("over this device's maxStorageBufferBindingSize of 1.0 MiB");
  await expect(notice).toContainText('use shorter sequences or a smaller batch');
  await expect(page.getByTestId('run-item')).toHaveCount(0); // no run was started
  await expect(page.getByTestId('run-status')).toHaveText('idle');
});

test('a learning rate of 10 (SGD, no clipping) stops at the first non-finite step; the adapter rolls back and the run continues at a lower rate', async ({ page }) => {
  await page.goto('/?task=teacher&optimizer=sgd&lr=10&maxGradNorm=0&steps=60');
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('paused', { timeout: 120_000 });
  const notice = (await page.getByTestId('workbench-notice').textContent())!;
  const match = /training stopped at step (\d+): (the loss is (NaN|Infinity)|a gradient is non-finite \(student\.lora_[AB]\.weight\))/.exec(notice);
  expect(match, notice).not.toBeNull();
  const stoppedAt = Number(match![1]);
  expect(stoppedAt).toBeGreaterThan(1);
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(stoppedAt - 1)); // the failed step applied nothing
  await expect(page.getByTestId('fingerprint-verdict')).toHaveText('unchanged');
  // Rolled back to finite weights: the merge (which refuses non-finite results) goes through.
  await page.getByRole('button', { name: 'Merge on GPU' }).click();
  await expect(page.getByTestId('merge-state')).toHaveText('merged');
  await page.getByRole('button', { name: 'Unmerge' }).click();
  await expect(page.getByTestId('fingerprint-verdict')).toHaveText('unchanged');
  // A lower rate with clipping back on continues the same run to its last step.
  await page.getByLabel('learning rate').fill('0.01');
  await page.getByLabel('clip grad norm (0 = off)').fill('1');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('idle', { timeout: 240_000 });
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', '60');
  await expect(page.getByTestId('run-item')).toHaveCount(1);
  const last = Number(await page.getByTestId('fact-loss').textContent());
  expect(Number.isFinite(last)).toBe(true);
});

test('validation errors from the device become messages: a rejected step applies nothing; an error outside the steps restores the checkpoint', async ({ page }) => {
  // Arms a real device error in the worker: the next dispatch in a pass whose label starts with the
  // armed label asks for 2^30 workgroups, over maxComputeWorkgroupsPerDimension, so WebGPU rejects
  // that command buffer (src/worker/faults.ts).
  await injectFaults(page, {});
  await page.goto('/?task=teacher&steps=100000&lr=0.01');
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  const points = async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
  const notice = page.getByTestId('workbench-notice');
  const breakNext = (label: string) => page.evaluate((l) => (window as unknown as { __loraPlayground: { breakPass(l: string): Promise<void> } }).__loraPlayground.breakPass(l), label);

  // A training step's submission is rejected: it fails inside the steps' error scope, nothing is applied.
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(points, { timeout: 120_000 }).toBeGreaterThan(3);
  await breakNext('teacher.step');
  await expect(page.getByTestId('run-status')).toHaveText('paused', { timeout: 60_000 });
  const failed = Number(/step (\d+) failed on the GPU: WebGPU rejected/.exec((await notice.textContent())!)![1]);
  await expect(notice).toContainText('No update was applied');
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(failed - 1));
  await expect(page.getByTestId('fingerprint-verdict')).toHaveText('unchanged');
  await page.getByRole('button', { name: 'Step' }).click();
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(failed));

  // The validation pass (outside the steps' scope) is rejected: the run stops and goes back to its last checkpoint.
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(points, { timeout: 120_000 }).toBeGreaterThan(failed + 12); // past a checkpoint every 10 steps
  await breakNext('teacher.eval');
  await expect(page.getByTestId('run-status')).toHaveText('paused', { timeout: 60_000 });
  const text = (await notice.textContent())!;
  const noticedAfter = Number(/The GPU reported an error during the run \(noticed after step (\d+)\)/.exec(text)![1]);
  const restored = Number(/restored from its checkpoint at step (\d+)/.exec(text)![1]);
  expect(restored, text).toBeGreaterThan(failed); // checkpoints: every 10 steps, and after Step or Pause
  expect(restored, text).toBeLessThan(noticedAfter);
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(restored));
  await page.getByRole('button', { name: 'Step' }).click();
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(restored + 1));
  await expect(page.getByTestId('run-item')).toHaveCount(1);
  await expect(page.getByTestId('fingerprint-verdict')).toHaveText('unchanged');
});
