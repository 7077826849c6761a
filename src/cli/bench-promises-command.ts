// `lora-playground bench-promises [--out FILE]`: LoRA's performance promises on the bundled base
// model and the low-rank teacher layer, measured through Dawn (npm run bench runs it too).
import { readAllFloat32 } from '../io/weight-source.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { baseSetup, measurePromises } from '../bench/promises.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { TINY_BASE_DIR } from '../tasks/tiny-base.ts';
import type { ParsedArgs } from './args.ts';
import { numberFlag, stringFlag } from './flags.ts';
import { folderReader } from './folder-reader.ts';

export async function benchPromisesCommand(args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const file = stringFlag(args, 'out') ?? 'bench/promises.json';
  const folder = await loadModelFolder(await folderReader(TINY_BASE_DIR));
  const { config } = folder;
  const weights = await readAllFloat32(folder.weights); // the bundled model: 0.4 MB
  const gpu = await acquireNodeGpu();
  try {
    const batch = numberFlag(args, 'batch', 16);
    const seq = numberFlag(args, 'seq-len', 32);
    const result = await measurePromises(gpu, {
      base: baseSetup(config, weights, batch, seq),
      teacher: { d: numberFlag(args, 'dim', 1024), tokens: numberFlag(args, 'tokens', 256) },
      reps: numberFlag(args, 'steps', 10),
    });
    const record = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, platform: process.platform },
      adapter: gpu.adapter,
      runtime: 'Node + Dawn (npm webgpu)',
      method: 'medians of wall time to queue completion after warm-up runs; training steps in windows of 10; the three forward variants built once and timed in turn, rotating which goes first, 5 × steps rounds',
      ...result,
    };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
    const b = result.base_model;
    const pad = (s: string, n: number) => s.padEnd(n);
    out(`bundled base (byte-caps), batch ${batch} × seq ${seq}; teacher layer d = ${result.teacher.d}, ${result.teacher.tokens} rows`);
    out(`${pad('ratio', 44)}${pad('measured', 12)}${pad('goal', 10)}arithmetic (FLOPs; bytes without activations)`);
    const arithmetic: Record<string, number> = result.arithmetic;
    for (const [name, r] of Object.entries(result.ratios)) out(`${pad(name, 44)}${pad(r.value.toFixed(3), 12)}${pad(r.goal, 10)}${arithmetic[name].toFixed(3)}`);
    for (const [name, value] of Object.entries(result.without_rollback_copies)) out(`${pad(`${name} (no rollback copies)`, 44)}${value.toFixed(3)}`);
    out(`step: LoRA ${b.lora_r8_all_linear.stepMs.toFixed(1)} ms, full ${b.full.stepMs.toFixed(1)} ms; GPU bytes: LoRA ${b.lora_r8_all_linear.bytes.toLocaleString('en-US')}, full ${b.full.bytes.toLocaleString('en-US')}`);
    out(`forward: base ${result.forward_ms.base.toFixed(2)} ms, unmerged ${result.forward_ms.unmerged.toFixed(2)} ms (low-rank path ${result.forward_ms.unmerged_low_rank.toFixed(2)} ms), merged ${result.forward_ms.merged.toFixed(2)} ms; base built twice: ${result.forward_ms.base_first.toFixed(2)} and ${result.forward_ms.base_second.toFixed(2)} ms (noise: ${result.noise.forward_base_again_over_base.toFixed(3)})`);
    out(`step loop over 100 LoRA steps: ${b.lora_r8_all_linear.calls.pipelines} pipelines, ${b.lora_r8_all_linear.calls.bindGroups} bind groups created, ${b.lora_r8_all_linear.calls.maps} readback buffers; encoding one step ${b.lora_r8_all_linear.encodeMs.toFixed(2)} ms (${b.lora_r8_all_linear.dispatchesPerStep} dispatches)`);
    for (const [name, run] of [['LoRA', b.lora_r8_all_linear], ['full', b.full]] as const) {
      const s = run.forwardBackwardSubmissions;
      out(`${name} forward + backward: ${s.count} submissions of ≤ ${s.budgetGflop.toFixed(3)} GFLOP (estimated), the longest ${s.longestMs.toFixed(1)} ms`);
    }
    out(`wrote ${file}`);
    return 0;
  } finally {
    releaseGpu(gpu);
  }
}
