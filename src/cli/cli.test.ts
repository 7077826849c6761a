import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from './main.ts';

const BIN = fileURLToPath(new URL('../../bin/lora-playground.mjs', import.meta.url));

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('lora-playground inspect', () => {
  it('lists the tensors of the bundled model', async () => {
    const r = await run(['inspect', 'public/models/byte-caps/model.safetensors']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/model\.embed_tokens\.weight\s+F32\s+\[256, 64\]\s+65,536/);
    expect(r.out).toContain('20 tensors, 435,456 bytes of data');
    expect(r.out).toContain('format: pt');
  });

  it('says in one line why a file is not safetensors, exit 2', () => {
    const r = spawnSync(process.execPath, [BIN, 'inspect', 'package.json'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^lora-playground: package\.json is not a valid safetensors file: header length \d+ is over the 100000000-byte limit$/);
  });
});

describe('lora-playground params', () => {
  it("prints the seed's numbers through the real bin", () => {
    const text = execFileSync(process.execPath, [BIN, 'params', '--in', '4096', '--out', '4096', '--rank', '8'], { encoding: 'utf8' });
    expect(text).toContain('16,777,216 parameters');
    expect(text).toContain('65,536 parameters');
    expect(text).toContain('0.39 %');
    expect(text).toContain('256× fewer');
  });

  it('gives JSON with --json', async () => {
    const r = await run(['params', '--in', '4096', '--out', '4096', '--rank', '8', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ full: 16777216, trainable: 65536, fewer: 256 });
  });

  it.each([
    [['--rank', '0'], 'rank must be ≥ 1'],
    [['--rank', '-4'], 'rank must be ≥ 1'],
    [['--rank', 'x'], "got 'x'"],
    [['--in', '16', '--out', '8', '--rank', '9'], 'larger than min(in, out) = 8'],
    [['--in', '1e3.5'], 'in must be a number'],
    [['--rank'], '--rank needs a value'],
    [['--depth', '3'], 'unknown flag --depth'],
  ])('refuses %j with one line and exit 2', async (flags, message) => {
    const r = await run(['params', ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });

  it('exits non-zero with one line through the real bin', () => {
    const r = spawnSync(process.execPath, [BIN, 'params', '--rank', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('    at ');
  });

  it('refuses an unknown command', async () => {
    const r = await run(['train-everything']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'train-everything'");
  });
});
