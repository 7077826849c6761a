// LoRA's promises at a real model's size (bench-promises' real_shape section): a checkpoint with
// SmolLM2-135M's published shapes (src/model/presets.ts) and seeded random BF16 weights, trained
// through the same LlamaModel and Trainer as the page. LoRA r = 8 on q_proj,v_proj and on every
// linear against full fine-tuning: step time, tokens/s and GPU bytes by kind, with the frozen base
// stored as f32 and kept packed as BF16; activation checkpointing's bytes against its time; the
// merged and unmerged forward against the base; and a per-dispatch profile of each step.
import { totalBytes, withAllocationScope } from '../gpu/allocations.ts';
import type { Gpu } from '../gpu/device.ts';
import { llamaCheckpointFiles } from '../io/hf-checkpoint.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { memoryFolder } from '../io/random-access.ts';
import type { WeightSource } from '../io/weight-source.ts';
import { initLlamaWeights, type LlamaConfig } from '../model/config.ts';
import { LlamaModel, type TrainingMode } from '../model/llama-model.ts';
import { estimateMemory } from '../model/memory-estimate.ts';
import { logitsChunkRows } from '../model/logits-chunks.ts';
import { PRESETS } from '../model/presets.ts';
import { Trainer } from '../train/trainer.ts';
import { seededRandom } from '../util/random.ts';
import { profileDispatches, type DispatchProfile } from './dispatch-profile.ts';
import { batchFor, forwardTimes, rollbackBytesOf } from './promises.ts';
import { median } from './timing.ts';

export interface RealShapeOptions {
  /** Decoder layers (SmolLM2-135M has 30); fewer only to keep the run short, and the output says so. */
  layers: number;
  batch: number;
  seq: number;
  /** Training steps timed per run, after one untimed warm-up step. */
  steps: number;
  /** Forward rounds (each times base, unmerged, low-rank unmerged, merged, base again). */
  forwardRounds: number;
  log: (line: string) => void;
}

/** SmolLM2-135M's config with `layers` decoder layers, and a BF16 checkpoint of it in memory. */
export async function smolLM2Shaped(layers: number): Promise<{ config: LlamaConfig; source: WeightSource; parameters: number }> {
  const config: LlamaConfig = { ...PRESETS['smollm2-135m'], num_hidden_layers: layers };
  const weights = initLlamaWeights(config, seededRandom(1));
  const parameters = [...weights.values()].reduce((n, w) => n + w.length, 0);
  const files = llamaCheckpointFiles(config, weights, 'BF16'); // what the Hub's SmolLM2 stores
  weights.clear();
  const folder = await loadModelFolder(memoryFolder(files));
  return { config, source: folder.weights, parameters };
}

export interface RunSpec {
  mode: TrainingMode;
  baseStorage: 'f32' | 'checkpoint';
  recompute: boolean;
  /** False: each LoRA layer computes its own H and dA (no shared-input groups), for comparison. */
  groupSharedInput?: boolean;
  /** True: every layer keeps its attention probabilities (the default recomputes them), for comparison. */
  keepAttentionProbs?: boolean;
  /** True: every layer keeps x1, x2 and act where a linear reads them (the default makes them again), for comparison. */
  keepCheapActivations?: boolean;
  /** Rows of logits at a time (the default chunks them when they pass 4 MiB; the batch's tokens: one chunk), for comparison. */
  logitsChunkRows?: number;
}

export async function realShapeRun(gpu: Gpu, config: LlamaConfig, source: WeightSource, o: RealShapeOptions, spec: RunSpec) {
  const { batch, seq } = o;
  const { value, allocations } = await withAllocationScope(gpu, async () => {
    const model = await LlamaModel.create(gpu, config, source, { batch, seq, mode: spec.mode, baseStorage: spec.baseStorage, recompute: spec.recompute, groupSharedInput: spec.groupSharedInput, keepAttentionProbs: spec.keepAttentionProbs, keepCheapActivations: spec.keepCheapActivations, logitsChunkRows: spec.logitsChunkRows });
    const trainable = new Set(model.trainable.map((p) => p.param));
    const target = {
      trainable: model.trainable,
      frozenNames: [...model.weights].filter(([, t]) => !trainable.has(t)).map(([n]) => n),
      tokensPerStep: batch * seq,
      nextBatch: (step: number) => {
        const b = batchFor(config, batch, seq, step);
        model.setBatch(b.ids, b.targets);
      },
      forwardBackward: () => model.forwardBackward(),
      lossSum: model.lossSum,
      lossScale: () => model.lossScale(),
    };
    return { model, trainer: await Trainer.create(gpu, target, { steps: 1_000_000, lr: 1e-4 }) };
  });
  const { model, trainer } = value;
  await trainer.trainStep(); // warm-up: pipelines compile, buffers are touched
  const times: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const started = performance.now();
    await trainer.trainStep(); // waits for the step's metrics: the GPU has finished
    times.push(performance.now() - started);
  }
  const stepMs = median(times);
  const b = batchFor(config, batch, seq, 0);
  model.setBatch(b.ids, b.targets);
  const profile = await profileDispatches(gpu, model.stepDispatches, 1);
  const bytes = totalBytes(allocations);
  const estimate = estimateMemory(config, { batch, seq, mode: spec.mode, training: true, packedBase: spec.baseStorage === 'checkpoint', recompute: spec.recompute, keepAttentionProbs: spec.keepAttentionProbs, keepCheapActivations: spec.keepCheapActivations, logitsChunkRows: spec.logitsChunkRows });
  const result = {
    stepMs, stepTimesMs: times, tokensPerS: (batch * seq) / (stepMs / 1000),
    bytes, estimateBytes: estimate.total, rollbackBytes: rollbackBytesOf(allocations), parts: estimate.parts,
    dispatchesPerStep: model.dispatchCount, stepFlops: model.stepFlops, profile: summarize(profile),
  };
  trainer.destroy();
  model.destroy();
  for (const a of allocations) a.buffer.destroy();
  return result;
}

type RunResult = Awaited<ReturnType<typeof realShapeRun>>;

/** What making a tensor again in the backward saves and costs, against keeping it per layer. */
function recomputedAgainstKept(recomputed: RunResult, kept: RunResult) {
  return {
    activation_bytes: { kept: kept.parts.activations, recomputed: recomputed.parts.activations },
    gpu_bytes_recomputed_over_kept: recomputed.bytes / kept.bytes,
    step_time_recomputed_over_kept: recomputed.stepMs / kept.stepMs,
  };
}

/** GPU time of the H = X·Aᵀ and dA = dHᵀ·X kernels in a profiled step (what grouping replaces). */
function lowRankUs(p: DispatchProfile): number {
  return Math.round(p.kernels.filter((k) => /(H=XAt|dA=dHtX)$/.test(k.kernel)).reduce((sum, k) => sum + k.totalUs, 0));
}

/** The profile's headline and its 12 costliest kernels (the JSON keeps them all). */
function summarize(p: DispatchProfile) {
  return { ...p, kernels: p.kernels.map((k) => ({ ...k, totalUs: Math.round(k.totalUs), meanUs: Math.round(k.meanUs * 10) / 10, share: Math.round(k.share * 1000) / 1000 })) };
}

/**
 * GPU bytes of LoRA q,v at all 30 layers, from the memory estimate (which equals the allocation,
 * src/model/memory-estimate.gpu.test.ts): the BF16 base against the f32 one at 64 and 512 tokens,
 * plain, with the attention probabilities kept, with every row's logits at once, and with
 * activation checkpointing.
 */
function fullDepthEstimates(mode: TrainingMode, batch: number) {
  const config: LlamaConfig = PRESETS['smollm2-135m'];
  const at = (seq: number) => {
    const bytes = (packedBase: boolean, extra: { recompute?: boolean; keepAttentionProbs?: boolean; logitsChunkRows?: number } = {}) =>
      estimateMemory(config, { batch, seq, mode, training: true, packedBase, ...extra }).total;
    const [f32, bf16] = [bytes(false), bytes(true)];
    return {
      f32_bytes: f32,
      bf16_bytes: bf16,
      bf16_over_f32: bf16 / f32,
      bf16_keep_probs_over_f32_keep_probs: bytes(true, { keepAttentionProbs: true }) / bytes(false, { keepAttentionProbs: true }),
      bf16_one_logits_chunk_over_f32_one_logits_chunk: bytes(true, { logitsChunkRows: batch * seq }) / bytes(false, { logitsChunkRows: batch * seq }),
      logits_chunk_rows: logitsChunkRows(batch * seq, config.vocab_size, config.hidden_size),
      bf16_checkpointed_over_f32_plain: bytes(true, { recompute: true }) / f32,
    };
  };
  return { layers: config.num_hidden_layers, batch, lora: 'r = 8 on q_proj, v_proj', seq_64: at(64), seq_512: at(512) };
}

export async function measureRealShape(gpu: Gpu, o: RealShapeOptions) {
  const t0 = performance.now();
  const { config, source, parameters } = await smolLM2Shaped(o.layers);
  o.log(`real shape: SmolLM2-135M's shapes with ${o.layers} of its 30 layers, ${(parameters / 1e6).toFixed(1)}M parameters, BF16 checkpoint made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const qv: TrainingMode = { kind: 'lora', lora: { targetModules: ['q_proj', 'v_proj'], r: 8, loraAlpha: 16 } };
  const all: TrainingMode = { kind: 'lora', lora: { targetModules: 'all-linear', r: 8, loraAlpha: 16 } };
  const specs = {
    full_f32: { mode: { kind: 'full' }, baseStorage: 'f32', recompute: false },
    lora_r8_qv_f32: { mode: qv, baseStorage: 'f32', recompute: false },
    lora_r8_all_linear_f32: { mode: all, baseStorage: 'f32', recompute: false },
    lora_r8_all_linear_f32_per_layer: { mode: all, baseStorage: 'f32', recompute: false, groupSharedInput: false },
    lora_r8_qv_bf16: { mode: qv, baseStorage: 'checkpoint', recompute: false },
    lora_r8_all_linear_bf16: { mode: all, baseStorage: 'checkpoint', recompute: false },
    lora_r8_qv_bf16_recompute: { mode: qv, baseStorage: 'checkpoint', recompute: true },
    lora_r8_qv_bf16_keep_probs: { mode: qv, baseStorage: 'checkpoint', recompute: false, keepAttentionProbs: true },
    lora_r8_all_linear_bf16_keep_cheap: { mode: all, baseStorage: 'checkpoint', recompute: false, keepCheapActivations: true },
    lora_r8_qv_bf16_one_logits_chunk: { mode: qv, baseStorage: 'checkpoint', recompute: false, logitsChunkRows: o.batch * o.seq },
  } satisfies Record<string, RunSpec>;
  const runs: Partial<Record<keyof typeof specs, Awaited<ReturnType<typeof realShapeRun>>>> = {};
  for (const [name, spec] of Object.entries(specs) as [keyof typeof specs, RunSpec][]) {
    const started = performance.now();
    const r = await realShapeRun(gpu, config, source, o, spec);
    runs[name] = r;
    o.log(`  ${name.padEnd(28)} step ${(r.stepMs / 1000).toFixed(2)} s (${r.tokensPerS.toFixed(1)} tok/s), GPU ${(r.bytes / 1e6).toFixed(1)} MB, ${r.dispatchesPerStep} dispatches; run took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const started = performance.now();
  const forward = await forwardTimes(gpu, { config, weights: source, batch: o.batch, seq: o.seq }, o.forwardRounds);
  o.log(`  forward: base ${forward.ms.base.toFixed(0)} ms, unmerged ${forward.ms.unmerged.toFixed(0)} ms, merged ${forward.ms.merged.toFixed(0)} ms; took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const r = runs as Required<typeof runs>;
  const full = r.full_f32;
  return {
    model: { shapes: 'HuggingFaceTB/SmolLM2-135M config.json', layers: o.layers, of_layers: 30, parameters, checkpoint_dtype: 'BF16', forward_base_storage: 'BF16 packed (the page default)' },
    batch: o.batch, seq: o.seq, steps_timed: o.steps,
    runs: r,
    ratios: {
      step_time_lora_over_full: { value: r.lora_r8_all_linear_f32.stepMs / full.stepMs, goal: '≤ 0.70' },
      gpu_bytes_lora_over_full: { value: r.lora_r8_all_linear_f32.bytes / full.bytes, goal: '≤ 0.35' },
      step_time_lora_qv_over_full: { value: r.lora_r8_qv_f32.stepMs / full.stepMs, goal: '≤ 0.70' },
      gpu_bytes_lora_qv_over_full: { value: r.lora_r8_qv_f32.bytes / full.bytes, goal: '≤ 0.35' },
      gpu_bytes_bf16_base_over_f32_base: { value: r.lora_r8_all_linear_bf16.bytes / r.lora_r8_all_linear_f32.bytes, goal: '≤ 0.55' },
      gpu_bytes_bf16_base_over_f32_base_qv: { value: r.lora_r8_qv_bf16.bytes / r.lora_r8_qv_f32.bytes, goal: '≤ 0.55' },
      forward_merged_over_base: { value: forward.ms.merged / forward.ms.base, goal: '≤ 1.03' },
      forward_unmerged_over_base: { value: forward.ms.unmerged / forward.ms.base, goal: '≤ 1.15' },
      forward_unmerged_low_rank_over_base: { value: forward.ms.unmerged_low_rank / forward.ms.base, goal: '≤ 1.15' },
    },
    // Activation checkpointing (q,v, BF16 base): what it saves and what it costs.
    recompute: {
      activation_bytes: { plain: r.lora_r8_qv_bf16.parts.activations, recompute: r.lora_r8_qv_bf16_recompute.parts.activations },
      activation_bytes_recompute_over_plain: r.lora_r8_qv_bf16_recompute.parts.activations / r.lora_r8_qv_bf16.parts.activations,
      gpu_bytes_recompute_over_plain: r.lora_r8_qv_bf16_recompute.bytes / r.lora_r8_qv_bf16.bytes,
      step_time_recompute_over_plain: r.lora_r8_qv_bf16_recompute.stepMs / r.lora_r8_qv_bf16.stepMs,
    },
    // Attention probabilities recomputed in the backward (the default) against kept per layer (q,v, BF16 base).
    attention_probs: recomputedAgainstKept(r.lora_r8_qv_bf16, r.lora_r8_qv_bf16_keep_probs),
    // The head in chunks of rows (the default) against every row's logits at once (q,v, BF16 base).
    logits_chunks: {
      chunk_rows: { chunked: logitsChunkRows(o.batch * o.seq, config.vocab_size, config.hidden_size), one_chunk: o.batch * o.seq },
      activation_bytes: { one_chunk: r.lora_r8_qv_bf16_one_logits_chunk.parts.activations, chunked: r.lora_r8_qv_bf16.parts.activations },
      gpu_bytes_chunked_over_one_chunk: r.lora_r8_qv_bf16.bytes / r.lora_r8_qv_bf16_one_logits_chunk.bytes,
      step_time_chunked_over_one_chunk: r.lora_r8_qv_bf16.stepMs / r.lora_r8_qv_bf16_one_logits_chunk.stepMs,
    },
    // x1, x2 and act made again in the backward (the default) against kept per layer (all-linear, BF16 base).
    cheap_recompute: recomputedAgainstKept(r.lora_r8_all_linear_bf16, r.lora_r8_all_linear_bf16_keep_cheap),
    full_depth_estimates: fullDepthEstimates(qv, o.batch),
    // q/k/v and gate/up sharing X: one H and one dA dispatch per group against one per layer.
    shared_input_groups: {
      dispatches_per_step: { grouped: r.lora_r8_all_linear_f32.dispatchesPerStep, per_layer: r.lora_r8_all_linear_f32_per_layer.dispatchesPerStep },
      step_time_grouped_over_per_layer: r.lora_r8_all_linear_f32.stepMs / r.lora_r8_all_linear_f32_per_layer.stepMs,
      low_rank_kernel_us: { grouped: lowRankUs(r.lora_r8_all_linear_f32.profile), per_layer: lowRankUs(r.lora_r8_all_linear_f32_per_layer.profile) },
    },
    without_rollback_copies: {
      gpu_bytes_lora_over_full: (r.lora_r8_all_linear_f32.bytes - r.lora_r8_all_linear_f32.rollbackBytes) / (full.bytes - full.rollbackBytes),
      gpu_bytes_lora_qv_over_full: (r.lora_r8_qv_f32.bytes - r.lora_r8_qv_f32.rollbackBytes) / (full.bytes - full.rollbackBytes),
    },
    arithmetic: {
      step_time_lora_over_full: r.lora_r8_all_linear_f32.stepFlops / full.stepFlops,
      step_time_lora_qv_over_full: r.lora_r8_qv_f32.stepFlops / full.stepFlops,
      forward_merged_over_base: forward.flops.merged / forward.flops.base,
      forward_unmerged_over_base: forward.flops.unmerged / forward.flops.base,
    },
    noise: { forward_base_again_over_base: forward.ms.base_second / forward.ms.base_first },
    forward_ms: forward.ms,
  };
}
