// Issue 4 in the browser: load the bundled model, train an adapter (with the page's one trainer),
// keep it in the IndexedDB library, export it (a ZIP of PEFT files), import it back, switch adapters without reloading
// the base, evaluate, combine, export the merged model, delete, and find the library after a reload.
import { readFileSync } from 'node:fs';
import { expect, test, type Download, type Page } from '@playwright/test';
import { parseAdapter } from '../src/io/peft.ts';
import { parseSafetensors } from '../src/io/safetensors.ts';
import { readZip } from '../src/io/zip.ts';
import { watchPage } from './guards.ts';

async function filesOf(download: Download): Promise<Map<string, Uint8Array>> {
  return readZip(new Uint8Array(readFileSync(await download.path())));
}

async function idle(page: Page) {
  await expect(page.getByTestId('busy')).toHaveCount(0, { timeout: 240_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
}

test('adapter library: train, save, export, import, switch, evaluate, combine, merge, delete, reload', async ({ page }) => {
  const guard = await watchPage(page);
  page.on('dialog', (d) => void d.accept());
  await page.goto('/?task=tiny-lm&rank=4&alpha=8&targets=all-linear&steps=6&batch=4&seq=16&lr=0.02');
  await page.getByRole('button', { name: 'Load the bundled model' }).click();
  await expect(page.getByTestId('base-name')).toHaveText('byte-caps');
  await expect(page.getByTestId('text-name')).toContainText('tokens');

  // The page's one trainer trains the run; the library keeps it.
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('idle', { timeout: 240_000 });
  await idle(page);
  await expect(page.getByTestId('save-run')).toContainText('step 6');
  await page.getByLabel('adapter name').fill('first');
  await page.getByRole('button', { name: 'Save to library' }).click();
  await idle(page);
  const row = page.getByTestId('adapter-first');
  await expect(row).toContainText('all-linear');
  await expect(row).toContainText('14'); // modules
  await expect(page.getByTestId('active-adapter')).toHaveText('first');

  // Export: a ZIP holding a PEFT folder that parses, with the trained (non-zero) B matrices.
  const [adapterDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'export first' }).click()]);
  const exported = await filesOf(adapterDownload);
  const config = new TextDecoder().decode(exported.get('first/adapter_config.json'));
  const tensors = exported.get('first/adapter_model.safetensors')!;
  const adapter = parseAdapter(config, tensors);
  expect(adapter.modules.size).toBe(14);
  expect(JSON.parse(config)).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: 'all-linear' });
  expect(parseSafetensors(tensors).tensors[0].name).toMatch(/^base_model\.model\.model\.layers\.0\./);
  expect([...adapter.modules.values()].some((m) => m.loraB.some((x) => x !== 0))).toBe(true);

  // Import the downloaded ZIP under another name, then evaluate base vs adapter.
  await page.getByLabel('import name').fill('again');
  await page.getByLabel('adapter files').setInputFiles({ name: 'first-adapter.zip', mimeType: 'application/zip', buffer: readFileSync(await adapterDownload.path()) });
  await idle(page);
  await expect(page.getByTestId('adapter-again')).toContainText('import');
  await page.getByRole('button', { name: 'Evaluate on the text' }).click();
  await idle(page);
  await page.getByRole('button', { name: 'Use the base model' }).click();
  await idle(page);
  await expect(page.getByTestId('active-adapter')).toHaveText('base model');
  await page.getByRole('button', { name: 'Evaluate on the text' }).click();
  await idle(page);
  const lossOf = async (id: string) => Number((await page.getByTestId(id).textContent())!.split(': ')[1].split(' ')[0]);
  const [adapted, base] = [await lossOf('eval-first'), await lossOf('eval-base')];
  expect(adapted).toBeLessThan(base);
  // The imported copy computes exactly what the original does.
  await page.getByRole('button', { name: 'activate again' }).click();
  await idle(page);
  await expect(page.getByTestId('message')).toContainText('the base weights were not reloaded');
  await page.getByRole('button', { name: 'Evaluate on the text' }).click();
  await idle(page);
  expect(await lossOf('eval-again')).toBe(adapted);

  // Combine (cat, halves): rank 8, then activate it (LoRA layers rebuilt for the new rank).
  await page.getByLabel('first adapter').selectOption('first');
  await page.getByLabel('second adapter').selectOption('again');
  await page.getByLabel('first weight').fill('0.5');
  await page.getByLabel('second weight').fill('0.5');
  await page.getByLabel('combined name').fill('halves');
  await page.getByRole('button', { name: 'Combine' }).click();
  await idle(page);
  await expect(page.getByTestId('adapter-halves')).toContainText('cat(first, again)');
  await page.getByRole('button', { name: 'activate halves' }).click();
  await idle(page);
  await expect(page.getByTestId('message')).toContainText('rebuilt');
  await page.getByRole('button', { name: 'Evaluate on the text' }).click();
  await idle(page);
  expect(Math.abs((await lossOf('eval-halves')) - adapted)).toBeLessThan(1e-4); // ½ΔW + ½ΔW = ΔW

  // Merged export: HF files of the merged model, with the tokenizer.
  const [mergedDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export merged model' }).click()]);
  const merged = await filesOf(mergedDownload);
  const names = [...merged.keys()].map((n) => n.split('/').pop());
  expect(names.sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);

  // Delete one; reload: the library is still there.
  await page.getByRole('button', { name: 'delete again' }).click();
  await idle(page);
  await expect(page.getByTestId('adapter-again')).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('adapter-first')).toBeVisible();
  await expect(page.getByTestId('adapter-halves')).toBeVisible();
  await expect(page.getByTestId('adapter-first')).toContainText('6'); // steps survive
  await guard.expectClean();
});

test('a broken adapter file is refused with a message and the library is untouched', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Load the bundled model' }).click();
  await expect(page.getByTestId('base-name')).toHaveText('byte-caps');
  await page.getByLabel('import name').fill('broken');
  // A config the importer refuses: LoHa is another PEFT method, not LoRA.
  await page.getByLabel('adapter files').setInputFiles([
    { name: 'adapter_config.json', mimeType: 'application/json', buffer: Buffer.from('{"peft_type": "LOHA", "r": 4}') },
    { name: 'adapter_model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from([1, 2, 3]) },
  ]);
  await expect(page.getByRole('alert')).toContainText('peft_type "LOHA" is not supported');
  await expect(page.getByTestId('adapter-broken')).toHaveCount(0);
  // A valid DoRA config (DoRA imports since issue 19) with a truncated weights file.
  await page.getByLabel('adapter files').setInputFiles([
    { name: 'adapter_config.json', mimeType: 'application/json', buffer: Buffer.from('{"peft_type": "LORA", "r": 4, "use_dora": true}') },
    { name: 'adapter_model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from([1, 2, 3]) },
  ]);
  await expect(page.getByRole('alert')).toContainText('too short for the 8-byte header');
  await expect(page.getByTestId('adapter-broken')).toHaveCount(0);
});

test('your own model folder and .jsonl text from local files; another model_type is named', async ({ page }) => {
  const dir = 'public/models/byte-caps';
  const file = (name: string) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(`${dir}/${name}`) });
  await page.goto('/');
  await page.getByLabel(/Your HF Llama folder/).setInputFiles(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map(file));
  await expect(page.getByTestId('base-name')).toHaveText('your model');
  const jsonl = ['qQ\naA\nzZ\n', 'mM\nbB\n'].map((text) => JSON.stringify({ text })).join('\n');
  await page.getByLabel(/Your text/).setInputFiles({ name: 'mine.jsonl', mimeType: 'application/json', buffer: Buffer.from(jsonl) });
  await expect(page.getByTestId('text-name')).toHaveText('mine.jsonl: 15 tokens');
  const gpt2 = JSON.stringify({ ...JSON.parse(readFileSync(`${dir}/config.json`, 'utf8')), model_type: 'gpt2' });
  await page.getByLabel(/Your HF Llama folder/).setInputFiles([{ name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(gpt2) }, file('model.safetensors'), file('tokenizer.json')]);
  await expect(page.getByRole('alert')).toContainText("model_type 'gpt2' is not supported; 'llama' (LlamaForCausalLM), 'mistral' (MistralForCausalLM) and 'qwen2' (Qwen2ForCausalLM) are");
  await expect(page.getByTestId('base-name')).toHaveText('your model'); // the loaded model stays
});
