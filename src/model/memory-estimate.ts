// How many GPU bytes a training run will hold, computed from the config alone, before anything is
// allocated: every storage buffer LlamaModel.create and the Trainer make, grouped for the user.
// The test compares this with the bytes actually allocated, buffer for buffer.
import { reduceWorkgroups } from '../gpu/kernels/reduce.ts';
import { formatBytes } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { foldedWeightNumel, loraNeedsF32Base, resolveLoraTargets } from '../lora/injection.ts';
import { checkSequenceFits, headDimOf, LINEAR_MODULES, linearHasBias, linearPath, type LlamaConfig } from './config.ts';
import type { LlamaModelOptions } from './llama-model.ts';
import type { OptimizerKind } from '../train/optimizer.ts';
import { TRAINER_DEFAULTS } from '../train/trainer.ts';
import { metricsWords } from '../gpu/kernels/step-guard.ts';
import { BLOCK_ACTIVATIONS, keepsActivation, type BlockActivation } from './activation-plan.ts';
import { logitsChunkRows } from './logits-chunks.ts';

export type MemoryPart = 'base weights' | 'adapters' | 'gradients' | 'optimizer' | 'activations';

export interface MemoryEstimate {
  /** Bytes per part; `model` is what LlamaModel.create allocates, `total` adds the trainer's. */
  parts: Record<MemoryPart, number>;
  model: number;
  total: number;
  largest: { label: string; bytes: number };
}

export interface EstimateOptions extends LlamaModelOptions {
  /** Include the trainer's optimizer state, rollback copies and gradient-norm scratch. */
  training: boolean;
  /** AdamW (the default) keeps two moments per trainable value; SGD keeps none. */
  optimizer?: OptimizerKind;
  /** The trainer's metrics window (its ring holds that many steps). */
  metricsEvery?: number;
  /**
   * The checkpoint stores its linear, embedding and head weights as BF16/F16 and the run keeps
   * them so (baseStorage 'checkpoint'): frozen ones then take 2 bytes a value, not 4.
   */
  packedBase?: boolean;
}

const bytesOf = (numel: number) => Math.max(4, numel * 4);

export function estimateMemory(config: LlamaConfig, o: EstimateOptions): MemoryEstimate {
  const { batch, seq, mode } = o;
  const T = batch * seq;
  const d = config.hidden_size;
  const hd = headDimOf(config);
  const [H, KV, I, V, L] = [config.num_attention_heads, config.num_key_value_heads, config.intermediate_size, config.vocab_size, config.num_hidden_layers];
  const full = mode.kind === 'full';
  const parts: Record<MemoryPart, number> = { 'base weights': 0, adapters: 0, gradients: 0, optimizer: 0, activations: 0 };
  let largest = { label: '', bytes: 0 };
  const trainableNumels: number[] = [];
  const add = (part: MemoryPart, label: string, numel: number) => {
    const bytes = bytesOf(numel);
    parts[part] += bytes;
    if (bytes > largest.bytes) largest = { label, bytes };
  };
  const packedBytes = (numel: number) => Math.max(4, Math.ceil(numel / 2) * 4);
  /** A linear, embedding or head weight: packed when frozen in a 16-bit checkpoint. */
  const matrix = (label: string, numel: number, widened = false) => {
    if (!o.packedBase || full || widened) return weight(label, numel);
    parts['base weights'] += packedBytes(numel);
    if (packedBytes(numel) > largest.bytes) largest = { label, bytes: packedBytes(numel) };
  };
  const weight = (label: string, numel: number) => {
    add('base weights', label, numel);
    if (full) {
      add('gradients', `${label}.grad`, numel);
      trainableNumels.push(numel);
    }
  };

  add('activations', 'ids', T);
  add('activations', 'hidden.0', T * d);
  add('activations', 'targets', T);
  matrix('model.embed_tokens.weight', V * d);
  add('activations', 'rope tables', seq * (hd / 2));
  add('activations', 'rope tables', seq * (hd / 2));
  // Backward scratch shared by the layers.
  for (const n of [T * d, T * d, T * d, T * H * hd, T * H * hd, T * KV * hd, T * KV * hd, batch * H * seq * seq, T * I, T * I, T * I]) add('activations', 'backward scratch', n);

  const lora = mode.kind === 'lora' ? resolveLoraTargets(config, mode.lora) : new Map();
  const folded = foldedWeightNumel(config, lora, T);
  if (folded > 0) add('activations', "lora.folded_weight (W' scratch)", folded);
  const shapes: Record<string, [number, number]> = {
    q_proj: [d, H * hd], k_proj: [d, KV * hd], v_proj: [d, KV * hd], o_proj: [H * hd, d], gate_proj: [d, I], up_proj: [d, I], down_proj: [I, d],
  };
  // A block's activations: per layer where its backward reads them, else one shared buffer per role.
  const roleNumel: Record<BlockActivation, number> = {
    x1: T * d, q: T * H * hd, k: T * KV * hd, v: T * KV * hd, attn: T * H * hd, probs: batch * H * seq * seq,
    h: T * d, x2: T * d, gate: T * I, up: T * I, act: T * I, rstd1: T, rstd2: T,
  };
  const plan = { full, adapted: lora, recompute: o.recompute ?? false, keepProbs: o.keepAttentionProbs ?? false, keepCheap: o.keepCheapActivations ?? false };
  const sharedRoles = new Set<BlockActivation>();
  for (let l = 0; l < L; l++) {
    for (const role of BLOCK_ACTIVATIONS) {
      if (keepsActivation(l, role, plan)) add('activations', `layer ${l} activations`, roleNumel[role]);
      else if (!sharedRoles.has(role)) {
        sharedRoles.add(role);
        add('activations', `shared.${role}`, roleNumel[role]);
      }
    }
    add('activations', `hidden.${l + 1}`, T * d); // the block's output, always kept
    weight(`model.layers.${l}.input_layernorm.weight`, d);
    weight(`model.layers.${l}.post_attention_layernorm.weight`, d);
    for (const module of LINEAR_MODULES) {
      const path = linearPath(l, module);
      const [inDim, outDim] = shapes[module];
      const settings = lora.get(path);
      if (linearHasBias(config, module)) weight(`${path}.bias`, outDim); // Qwen2's q/k/v: trainable only in full fine-tuning
      if (!settings) {
        matrix(`${path}.weight`, inDim * outDim);
        continue;
      }
      const r = settings.rank;
      matrix(`${path}.weight`, inDim * outDim, loraNeedsF32Base(settings));
      add('adapters', `${path}.lora_A`, r * inDim);
      add('adapters', `${path}.lora_B`, outDim * r);
      add('gradients', `${path}.lora_A.grad`, r * inDim);
      add('gradients', `${path}.lora_B.grad`, outDim * r);
      add('activations', `${path}.H`, T * r);
      add('activations', `${path}.dH`, T * r);
      if ((settings.dropout ?? 0) > 0) {
        add('activations', `${path}.Xdrop`, T * inDim);
        // Layer 0's q/k/v compute no dX when the embedding is frozen (as LlamaModel builds them).
        const computesGradInput = l > 0 || !['q_proj', 'k_proj', 'v_proj'].includes(module);
        if (computesGradInput) add('activations', `${path}.dXdrop`, T * inDim);
      }
      trainableNumels.push(r * inDim, outDim * r);
      if (settings.useDora) {
        // src/lora/lora-linear.ts: the magnitude m (trained), ‖W + s·B·A‖ and g = m / ‖·‖ per row,
        // and Z = X·(W + s·B·A)ᵀ with its gradient, which the column scaling's backward reads.
        add('adapters', `${path}.lora_magnitude_vector`, outDim);
        add('gradients', `${path}.lora_magnitude_vector.grad`, outDim);
        add('activations', `${path}.dora.norm`, outDim);
        add('activations', `${path}.dora.factor`, outDim);
        add('activations', `${path}.dora.Z`, T * outDim);
        add('activations', `${path}.dora.dZ`, T * outDim);
        trainableNumels.push(outDim);
      }
    }
  }
  add('activations', 'normed', T * d);
  weight('model.norm.weight', d);
  add('activations', 'model.norm.rstd', T);
  // The head's chunk of logits; dL/dlogits is written over it (cross_entropy.wgsl, logits-chunks.ts).
  add('activations', 'logits', logitsChunkRows(T, V, d, o.logitsChunkRows, full) * V);
  add('activations', 'rowLoss', T);
  add('activations', 'rowLse', T);
  add('activations', 'lossSum', 1);
  if (!config.tie_word_embeddings) matrix('lm_head.weight', V * d);
  else if (full) add('activations', 'dEmbed.tmp', V * d);
  if (full) add('activations', 'ids.grouped', V + 1 + T);
  const partials = (label: string, n: number) => {
    if (reduceWorkgroups(n) > 1) add('activations', label, reduceWorkgroups(n)); // a one-workgroup sum has none
  };
  partials('loss.sum.partials', T);
  const model = Object.values(parts).reduce((a, b) => a + b, 0);

  if (o.training) {
    add('activations', 'trainer.gradNorms', Math.max(1, trainableNumels.length));
    add('activations', 'trainer.metrics', metricsWords(o.metricsEvery ?? TRAINER_DEFAULTS.metricsEvery, Math.max(1, trainableNumels.length)));
    for (const n of trainableNumels) {
      if (o.optimizer !== 'sgd') {
        add('optimizer', 'adam.m', n);
        add('optimizer', 'adam.v', n);
      }
      add('optimizer', 'window-start copy', n);
      add('optimizer', 'last finite copy', n);
      partials('gradNorm.partials', n);
    }
  }
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return { parts, model, total, largest };
}

export class MemoryBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemoryBudgetError';
  }
}

export interface DeviceMemoryLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** Bytes the run may use in all (WebGPU does not report a device's memory; the user can set it). */
  budget: number;
}

/** Browsers commonly let a tab use a few GiB of GPU memory; raise it with --gpu-memory when yours has more. */
export const DEFAULT_GPU_MEMORY_BUDGET = 4 * 1024 ** 3;

/** Throws a MemoryBudgetError naming the limit and what to change when the run does not fit. */
export function checkMemoryFits(e: MemoryEstimate, limits: DeviceMemoryLimits, mode: LlamaModelOptions['mode']): void {
  const perBuffer = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const which = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  if (e.largest.bytes > perBuffer) {
    throw new MemoryBudgetError(
      `${e.largest.label} needs ${formatBytes(e.largest.bytes)} in one buffer, over this device's ${which} of ${formatBytes(perBuffer)}; ` +
        `${/logits|scratch|probs|activations/.test(e.largest.label) ? 'use shorter sequences or a smaller batch' : 'this model is too large for this device'}`,
    );
  }
  if (e.total > limits.budget) {
    const ranked = (Object.entries(e.parts) as [MemoryPart, number][]).sort((a, b) => b[1] - a[1]);
    const advice: Record<MemoryPart, string> = {
      activations: 'shorter sequences (--seq-len) or a smaller batch (--batch)',
      'base weights': 'a smaller model',
      adapters: 'a smaller rank (--rank) or fewer targeted layers (--targets, --layers)',
      gradients: mode.kind === 'full' ? 'LoRA instead of full fine-tuning' : 'a smaller rank or fewer targeted layers',
      optimizer: mode.kind === 'full' ? 'LoRA instead of full fine-tuning' : 'a smaller rank or fewer targeted layers',
    };
    const breakdown = ranked.filter(([, b]) => b > 0).map(([p, b]) => `${p} ${formatBytes(b)}`).join(', ');
    throw new MemoryBudgetError(
      `this run needs about ${formatBytes(e.total)} of GPU memory (${breakdown}), over the budget of ${formatBytes(limits.budget)}; ` +
        `the largest part is ${ranked[0][0]}: try ${advice[ranked[0][0]]}`,
    );
  }
}

/** Estimates a run and refuses it (MemoryBudgetError) when it does not fit `gpu`'s buffer limits or the budget. */
export function checkRunFitsDevice(gpu: Gpu, config: LlamaConfig, options: EstimateOptions, budget = DEFAULT_GPU_MEMORY_BUDGET): MemoryEstimate {
  checkSequenceFits(config, options.seq); // a sequence past a sliding window is refused first, naming it
  const estimate = estimateMemory(config, options);
  const { maxBufferSize, maxStorageBufferBindingSize } = gpu.device.limits;
  checkMemoryFits(estimate, { maxBufferSize, maxStorageBufferBindingSize, budget }, options.mode);
  return estimate;
}
