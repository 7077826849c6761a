// The page's inspector (src/ui/InspectPanel.tsx): a .zip is recognised by its first bytes and its
// files listed, with the tensors of each safetensors file inside; a plain safetensors file as before.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { watchPage } from './guards.ts';

test('inspects a zip made by the zip tool, and a plain safetensors file', async ({ page }) => {
  const guard = await watchPage(page);
  await page.goto('/');
  const panel = page.getByRole('region', { name: /^Inspect a safetensors file/ });
  const input = panel.getByLabel('safetensors file', { exact: true });
  // A name that does not end in .zip: the first bytes decide (src/io/fixtures/make-zip-fixtures.sh made it).
  await input.setInputFiles({ name: 'adapter download', mimeType: 'application/octet-stream', buffer: readFileSync('src/io/fixtures/tiny-adapter-zip-cli.zip') });
  const files = panel.getByRole('table', { name: 'files in the archive' });
  await expect(files).toContainText('adapter download: a ZIP archive of 2 files');
  await expect(files.getByRole('row')).toHaveCount(3); // the header and two files (the folder entry left out)
  const tensors = panel.getByRole('table', { name: 'tensors of tiny-adapter/adapter_model.safetensors' });
  await expect(tensors.getByRole('row').nth(1)).toContainText('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weightF32[2, 4]32');
  await expect(tensors).toContainText('format: pt');

  await input.setInputFiles('public/models/byte-caps/model.safetensors');
  await expect(panel.getByRole('table', { name: 'tensors', exact: true }).getByRole('row')).toHaveCount(21);
  await expect(files).toHaveCount(0);
  await input.setInputFiles({ name: 'notes.safetensors', mimeType: 'text/plain', buffer: Buffer.from('{"not": "safetensors"}') });
  await expect(panel.getByRole('alert')).toContainText('notes.safetensors is not a valid safetensors file: header length');
  await guard.expectClean();
});
