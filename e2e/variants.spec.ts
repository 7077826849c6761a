// The LoRA variants from the page (issue 19): DoRA chosen with its control trains on the tiny Llama
// in the engine worker, the live count adds PEFT's magnitude vectors, and the adapter download is
// in PEFT's DoRA layout (use_dora, one lora_magnitude_vector per adapted module).
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { parseAdapter } from '../src/io/peft.ts';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { readZip } from '../src/io/zip.ts';

test('DoRA from the page: the count adds the magnitudes, the run trains, the download is PEFT DoRA', async ({ page }) => {
  await page.goto('/?task=tiny-lm&rank=4&alpha=8&targets=q_proj,v_proj&steps=2&batch=4&seq=16&lr=0.01');
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  // byte-caps: q_proj 64→64 and v_proj 64→32 in 2 layers, r = 4: 2 · 4·((64 + 64) + (64 + 32)).
  await expect(page.getByTestId('trainable-count')).toHaveText('1,792');
  await page.locator('summary', { hasText: 'variant:' }).click();
  await page.getByRole('checkbox', { name: 'DoRA' }).check();
  await expect(page.getByTestId('variant-summary')).toHaveText('DoRA');
  await expect(page.getByTestId('trainable-count')).toHaveText('1,984'); // + 2 · (64 + 32) magnitudes
  expect(new URL(page.url()).searchParams.get('dora')).toBe('1');

  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('idle', { timeout: 240_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download adapter' }).click()]);
  const files = await readZip(new Uint8Array(readFileSync(await download.path())));
  const entry = (suffix: string) => [...files].find(([name]) => name.endsWith(suffix))![1];
  const configText = new TextDecoder().decode(entry('adapter_config.json'));
  expect(JSON.parse(configText)).toMatchObject({ peft_type: 'LORA', use_dora: true, r: 4, lora_alpha: 8 });
  const tensors = parseSafetensors(entry('adapter_model.safetensors')).tensors;
  const magnitudes = tensors.filter((t) => t.name.endsWith('.lora_magnitude_vector')).map((t) => [t.name, t.shape]);
  expect(magnitudes.sort()).toEqual([
    ['base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector', [64]],
    ['base_model.model.model.layers.0.self_attn.v_proj.lora_magnitude_vector', [32]],
    ['base_model.model.model.layers.1.self_attn.q_proj.lora_magnitude_vector', [64]],
    ['base_model.model.model.layers.1.self_attn.v_proj.lora_magnitude_vector', [32]],
  ]);
  // Our own importer reads it back as a DoRA adapter (PEFT's layout, checked in src/io tests).
  const adapter = parseAdapter(configText, entry('adapter_model.safetensors'));
  expect([...adapter.modules.values()].every((m) => m.magnitude && m.magnitude.length === m.outDim)).toBe(true);
});
