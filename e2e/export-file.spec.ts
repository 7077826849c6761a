// Exports leave the engine worker as a file on disk (src/worker/export-archive.ts): the archive is
// written entry by entry into the origin private file system and the download reads that file.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { openZip } from '../src/io/zip.ts';

test('the adapter download is the zip the worker wrote into the origin private file system', async ({ page }) => {
  await page.goto('/?task=teacher&rank=4&steps=3&lr=0.05');
  await expect(page.getByTestId('adapter-architecture')).not.toHaveText('');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('idle', { timeout: 120_000 });
  const before = Date.now();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download adapter' }).click()]);
  expect(download.suggestedFilename()).toBe('teacher-r4-adapter.zip');
  const bytes = new Uint8Array(readFileSync(await download.path()));
  const zip = await openZip(bytes);
  expect(zip.entries.map((e) => [e.name, e.method]).sort()).toEqual([
    ['teacher-r4-adapter/adapter_config.json', 'deflated'],
    ['teacher-r4-adapter/adapter_model.safetensors', 'stored'],
  ]);
  for (const e of zip.entries) expect(Math.abs(e.modified.getTime() - before)).toBeLessThan(5 * 60_000); // a real date, not 1980
  const onDisk = await page.evaluate(async () => {
    const folder = await (await navigator.storage.getDirectory()).getDirectoryHandle('exports');
    const found: [string, number][] = [];
    for await (const [name, handle] of (folder as unknown as { entries(): AsyncIterable<[string, FileSystemFileHandle]> }).entries()) found.push([name, (await handle.getFile()).size]);
    return found;
  });
  expect(onDisk).toEqual([[expect.stringMatching(/^\d+-teacher-r4-adapter\.zip$/), bytes.length]]);
});
