import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeZip } from '../io/zip.ts';
import { main } from './main.ts';

const BIN = fileURLToPath(new URL('../../bin/lora-playground.mjs', import.meta.url));
const FIXTURES = 'src/io/fixtures'; // made by src/io/fixtures/make-zip-fixtures.sh
const LORA_A = 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight';
const dir = mkdtempSync(join(tmpdir(), 'inspect-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('lora-playground inspect FILE.zip', () => {
  it("lists the files of the zip tool's archive and the tensors of its safetensors file, through the real bin", () => {
    const r = spawnSync(process.execPath, [BIN, 'inspect', `${FIXTURES}/tiny-adapter-zip-cli.zip`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('tiny-adapter-zip-cli.zip: a ZIP archive of 2 files, 1 safetensors');
    expect(r.stdout).toMatch(/tiny-adapter\/adapter_config\.json\s+164\s+deflated/);
    expect(r.stdout).toMatch(new RegExp(`${LORA_A.replaceAll('.', '\\.')}\\s+F32\\s+\\[2, 4\\]\\s+32`));
    expect(r.stdout).toContain('2 tensors, 64 bytes of data');
  });

  it("gives Python zipfile's deflated archive as JSON", async () => {
    const r = await run(['inspect', `${FIXTURES}/tiny-adapter-python-deflated.zip`, '--json']);
    expect(r.code).toBe(0);
    const { zip } = JSON.parse(r.out);
    expect(zip.map((m: { name: string; method: string }) => [m.name, m.method])).toEqual([
      ['tiny-adapter/adapter_config.json', 'deflated'],
      ['tiny-adapter/adapter_model.safetensors', 'deflated'],
    ]);
    expect(zip[0].tensors).toBeUndefined();
    expect(zip[1].metadata).toEqual({ format: 'pt' });
    expect(zip[1].tensors).toEqual([
      { name: LORA_A, dtype: 'F32', shape: [2, 4], bytes: 32 },
      { name: LORA_A.replace('lora_A', 'lora_B'), dtype: 'F32', shape: [4, 2], bytes: 32 },
    ]);
  });

  it('reads a stored model in place from an archive we wrote', async () => {
    const path = join(dir, 'byte-caps.zip');
    writeFileSync(path, await writeZip({ 'byte-caps/config.json': readFileSync('public/models/byte-caps/config.json'), 'byte-caps/model.safetensors': readFileSync('public/models/byte-caps/model.safetensors') }));
    const r = await run(['inspect', path]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/byte-caps\/model\.safetensors\s+437,512\s+stored/);
    expect(r.out).toMatch(/model\.embed_tokens\.weight\s+F32\s+\[256, 64\]\s+65,536/);
    expect(r.out).toContain('20 tensors, 435,456 bytes of data');
  });

  it('names the member that is not valid safetensors, and a damaged archive, in one line with exit 2', async () => {
    const bad = join(dir, 'bad.zip');
    writeFileSync(bad, await writeZip({ 'x/config.json': '{}', 'x/model.safetensors': new Uint8Array([1, 2, 3]) }));
    const r = await run(['inspect', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`lora-playground: ${bad}: x/model.safetensors is not a valid safetensors file: file is 3 bytes: too short for the 8-byte header length`);
    const truncated = join(dir, 'truncated.zip');
    writeFileSync(truncated, readFileSync(`${FIXTURES}/tiny-adapter-zip-cli.zip`).subarray(0, 400));
    const t = await run(['inspect', truncated]);
    expect(t.code).toBe(2);
    expect(t.err).toMatch(new RegExp(`^lora-playground: ${truncated.replaceAll('.', '\\.')} is not a ZIP archive, or it is truncated \\(.+\\)$`));
    expect(t.out).toBe('');
  });
});
