// `lora-playground bench-promises [--out FILE] [--skip-real-shape | --real-shape-only] [--real-layers N]`:
// LoRA's performance promises on the bundled base model and the low-rank teacher layer, and at a
// real model's size (src/bench/real-shape.ts), measured through Dawn (npm run bench runs it too).
// A run that measures one section keeps the other's figures already in FILE.
import { readAllFloat32 } from '../io/weight-source.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { baseSetup, measurePromises } from '../bench/promises.ts';
import { measureRealShape } from '../bench/real-shape.ts';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { TINY_BASE_DIR } from '../tasks/tiny-base.ts';
import { UsageError, type ParsedArgs } from './args.ts';
import { numberFlag, stringFlag } from './flags.ts';
import { folderReader } from './folder-reader.ts';

/**
 * SmolLM2-135M has 30 layers; 8 keep the whole bench (both sections) near 10 minutes on this
 * repository's 2-core CI-like machine with SwiftShader. --real-layers 30 measures the full depth.
 */
const DEFAULT_REAL_LAYERS = 8;

/** A whole-number flag that is not a setting (the real-shape section's), within [min, max]. */
function countFlag(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const raw = stringFlag(args, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${raw}`);
  return value;
}

/** The record already in `file` (its sections are kept when this run measures only some). */
function previousRecord(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function benchPromisesCommand(args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const file = stringFlag(args, 'out') ?? 'bench/promises.json';
  const skipReal = args.flags.get('skip-real-shape') === true;
  const realOnly = args.flags.get('real-shape-only') === true;
  if (skipReal && realOnly) throw new UsageError('--skip-real-shape and --real-shape-only exclude each other: give one');
  const real = { layers: countFlag(args, 'real-layers', DEFAULT_REAL_LAYERS, 1, 30), steps: countFlag(args, 'real-steps', 2, 1, 100), seq: countFlag(args, 'real-seq-len', 64, 2, 2048) };
  const gpu = await acquireNodeGpu();
  try {
    const record: Record<string, unknown> = {
      ...previousRecord(file),
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, platform: process.platform },
      adapter: gpu.adapter,
      runtime: 'Node + Dawn (npm webgpu)',
    };
    if (!realOnly) Object.assign(record, await bundledSection(gpu, args, out));
    if (!skipReal) {
      const section = await measureRealShape(gpu, { layers: real.layers, batch: 1, seq: real.seq, steps: real.steps, forwardRounds: 1, log: out });
      record.real_shape = section;
      printRealShape(section, out);
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
    out(`wrote ${file}`);
    return 0;
  } finally {
    releaseGpu(gpu);
  }
}

async function bundledSection(gpu: Gpu, args: ParsedArgs, out: (line: string) => void) {
  const folder = await loadModelFolder(await folderReader(TINY_BASE_DIR));
  const { config } = folder;
  const weights = await readAllFloat32(folder.weights); // the bundled model: 0.4 MB
  const batch = numberFlag(args, 'batch', 16);
  const seq = numberFlag(args, 'seq-len', 32);
  const result = await measurePromises(gpu, {
    base: baseSetup(config, weights, batch, seq),
    teacher: { d: numberFlag(args, 'dim', 1024), tokens: numberFlag(args, 'tokens', 256) },
    reps: numberFlag(args, 'steps', 10),
  });
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
  return {
    method: 'medians of wall time to queue completion after warm-up runs; training steps in windows of 10; the three forward variants built once and timed in turn, rotating which goes first, 5 × steps rounds',
    ...result,
  };
}

function printRealShape(r: Awaited<ReturnType<typeof measureRealShape>>, out: (line: string) => void): void {
  const pad = (s: string, n: number) => s.padEnd(n);
  out(`real shape: SmolLM2-135M's shapes, ${r.model.layers} of 30 layers (${(r.model.parameters / 1e6).toFixed(1)}M parameters), batch ${r.batch} × seq ${r.seq}, LoRA r = 8`);
  out(`${pad('ratio', 44)}${pad('measured', 12)}${pad('goal', 10)}arithmetic (FLOPs)`);
  const arithmetic: Record<string, number> = r.arithmetic;
  for (const [name, ratio] of Object.entries(r.ratios)) out(`${pad(name, 44)}${pad(ratio.value.toFixed(3), 12)}${pad(ratio.goal, 10)}${arithmetic[name]?.toFixed(3) ?? ''}`);
  out(`activation checkpointing (q,v, BF16 base): activations ×${r.recompute.activation_bytes_recompute_over_plain.toFixed(3)}, GPU bytes ×${r.recompute.gpu_bytes_recompute_over_plain.toFixed(3)}, step time ×${r.recompute.step_time_recompute_over_plain.toFixed(3)}`);
  const probs = r.attention_probs;
  out(`attention probabilities recomputed in the backward (q,v, BF16 base; the default) against kept per layer: activations ${(probs.activation_bytes.recomputed / 1e6).toFixed(1)} against ${(probs.activation_bytes.kept / 1e6).toFixed(1)} MB, GPU bytes ×${probs.gpu_bytes_recomputed_over_kept.toFixed(3)}, step time ×${probs.step_time_recomputed_over_kept.toFixed(3)}`);
  const depth = r.full_depth_estimates;
  for (const [seq, e] of [[64, depth.seq_64], [512, depth.seq_512]] as const) {
    out(`all ${depth.layers} layers at ${depth.batch} × ${seq} (memory estimate): BF16 base ${(e.bf16_bytes / 1e6).toFixed(1)} MB against f32 ${(e.f32_bytes / 1e6).toFixed(1)} MB = ×${e.bf16_over_f32.toFixed(3)} (probabilities kept: ×${e.bf16_keep_probs_over_f32_keep_probs.toFixed(3)}; BF16 with activation checkpointing: ×${e.bf16_checkpointed_over_f32_plain.toFixed(3)})`);
  }
  const groups = r.shared_input_groups;
  out(`shared-input groups (all-linear, f32): ${groups.dispatches_per_step.grouped} dispatches a step against ${groups.dispatches_per_step.per_layer} one per layer; step time ×${groups.step_time_grouped_over_per_layer.toFixed(3)}; H and dA kernels ${(groups.low_rank_kernel_us.grouped / 1000).toFixed(1)} ms against ${(groups.low_rank_kernel_us.per_layer / 1000).toFixed(1)} ms`);
  out(`${pad('run', 28)}${pad('step s', 9)}${pad('tok/s', 8)}${pad('GPU MB', 9)}${pad('frozen', 9)}${pad('adapters', 9)}${pad('grads', 9)}${pad('optim', 9)}${pad('activ.', 9)}dispatches`);
  const mb = (b: number) => (b / 1e6).toFixed(1);
  for (const [name, run] of Object.entries(r.runs)) {
    const p = run.parts;
    out(`${pad(name, 28)}${pad((run.stepMs / 1000).toFixed(2), 9)}${pad(run.tokensPerS.toFixed(1), 8)}${pad(mb(run.bytes), 9)}${pad(mb(p['base weights']), 9)}${pad(mb(p.adapters), 9)}${pad(mb(p.gradients), 9)}${pad(mb(p.optimizer), 9)}${pad(mb(p.activations), 9)}${run.dispatchesPerStep}`);
  }
  for (const name of ['full_f32', 'lora_r8_qv_f32', 'lora_r8_all_linear_f32'] as const) {
    const profile = r.runs[name].profile;
    if (profile.method !== 'timestamp-query') {
      out(`per-dispatch profile (${name}): this device has no timestamp queries`);
      continue;
    }
    out(`per-dispatch profile, ${name} forward + backward: ${profile.dispatches} dispatches, ${(profile.totalUs / 1000).toFixed(0)} ms of kernels; shortest ${profile.shortestUs.toFixed(0)} µs; ${profile.dispatchBound.dispatches} within 2× of it (${(100 * profile.dispatchBound.share).toFixed(2)} % of the time)`);
    for (const k of profile.kernels.slice(0, 10)) out(`  ${pad(k.kernel, 40)}${pad(`${k.dispatches} ×`, 7)}${pad(`${(k.meanUs / 1000).toFixed(2)} ms`, 12)}${(100 * k.share).toFixed(1)} %`);
  }
}
