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
