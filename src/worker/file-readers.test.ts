import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readWhole } from '../io/random-access.ts';
import { writeZip } from '../io/zip.ts';
import { pickedFilesReader } from './file-readers.ts';

const fixture = (name: string) => new File([readFileSync(`src/io/fixtures/${name}`)], name); // src/io/fixtures/make-zip-fixtures.sh

describe('picked files', () => {
  it.each(['tiny-adapter-python-deflated.zip', 'tiny-adapter-zip-cli.zip'])('finds the files of %s by their own names', async (name) => {
    const open = await pickedFilesReader([fixture(name)]);
    const config = await open('adapter_config.json');
    expect(JSON.parse(new TextDecoder().decode(await readWhole(config!)))).toMatchObject({ r: 2, lora_alpha: 4 });
    expect((await open('adapter_model.safetensors'))!.size).toBe(344);
    expect(await open('tiny-adapter')).toBeNull(); // the folder entry is no file
  });

  it('reads a stored entry in place, and knows a zip by its first bytes whatever its name', async () => {
    const weights = new Uint8Array(64).map((_, i) => i);
    const archive = new File([await writeZip({ 'm/model.safetensors': weights, 'm/config.json': '{"a": 1}' })], 'download (1)');
    const open = await pickedFilesReader([archive, new File(['{}'], 'tokenizer.json')]);
    expect(Array.from(await (await open('model.safetensors'))!.read(10, 3))).toEqual([10, 11, 12]);
    expect(new TextDecoder().decode(await readWhole((await open('tokenizer.json'))!))).toBe('{}');
    await expect(pickedFilesReader([new File(['not a zip'], 'a.zip')])).rejects.toThrow(/a\.zip is not a ZIP archive, or it is truncated/);
  });
});
