// Ctrl-C during `train`: the step in flight finishes, a whole checkpoint is written (temporary
// folder, then rename), and the command exits 130. Periodic checkpoints keep only the newest two.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAdapter } from '../io/peft.ts';

const BIN = fileURLToPath(new URL('../../bin/lora-playground.mjs', import.meta.url));

describe('train interrupted', () => {
  it('SIGINT leaves the last checkpoint complete on disk and exits 130', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lora-interrupt-'));
    const child = spawn(process.execPath, [BIN, 'train', '--task', 'low-rank-teacher', '--dim', '32', '--rank', '2', '--steps', '1000000', '--checkpoint-every', '3', '--quiet', '--out', out]);
    let stdout = '';
    let signalled = false;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      // Interrupt once two periodic checkpoints exist: the interrupt must write a third, newer one.
      if (!signalled && (stdout.match(/"checkpoint"/g) ?? []).length >= 2) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    const stoppedAt = lines.at(-1).interrupted_at_step as number;
    expect(stoppedAt).toBeGreaterThanOrEqual(6);
    const dirs = readdirSync(join(out, 'checkpoints'));
    expect(dirs.filter((d) => d.startsWith('.'))).toEqual([]); // no temporary folder left behind
    expect(dirs.length).toBeLessThanOrEqual(2);
    const latest = join(out, 'checkpoints', `step-${String(stoppedAt).padStart(6, '0')}`);
    expect(JSON.parse(readFileSync(join(latest, 'checkpoint.json'), 'utf8')).step).toBe(stoppedAt);
    const adapter = parseAdapter(readFileSync(join(latest, 'adapter_config.json'), 'utf8'), new Uint8Array(readFileSync(join(latest, 'adapter_model.safetensors'))));
    expect(adapter.modules.get('layer')!.loraB.some((x) => x !== 0)).toBe(true); // trained, not the B = 0 init
  });
});
