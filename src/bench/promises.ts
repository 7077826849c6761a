// LoRA's performance promises, measured in Node through Dawn on this machine's GPU (SwiftShader
// without one): training-step time and GPU bytes, LoRA against full fine-tuning; forward time of
// the merged and the unmerged model against the base; and what the step loop costs on the CPU
// (pipelines and bind groups created per step, encoding time, readbacks per step).
import { withAllocationScope, totalBytes, type Allocation } from '../gpu/allocations.ts';
import { createTensor, type GpuTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { SUBMISSION_TARGET_MS } from '../gpu/submission-budget.ts';
import { createModelLinear } from '../model/linear.ts';
import { initLlamaWeights, type LlamaConfig } from '../model/config.ts';
import { IGNORE_TARGET, LlamaModel, type TrainingMode } from '../model/llama-model.ts';
import { estimateMemory } from '../model/memory-estimate.ts';
import { createAxpby } from '../gpu/kernels/elementwise.ts';
import { createSumSquares } from '../gpu/kernels/reduce.ts';
import { Trainer, type TrainingTarget } from '../train/trainer.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import type { WeightSource } from '../io/weight-source.ts';
import { encodingTimes, holdSubmissions, median } from './timing.ts';


/** Median wall time of `run` to GPU completion, after `warmup` untimed runs. */
export async function timeMs(gpu: Gpu, run: () => void | Promise<void>, reps: number, warmup = 2): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const t0 = performance.now();
    await run();
    await gpu.device.queue.onSubmittedWorkDone();
    if (i >= warmup) times.push(performance.now() - t0);
  }
  return median(times);
}

/** Counts pipelines, bind groups and buffer maps the device creates while `work` runs. */
export async function countDeviceCalls(gpu: Gpu, work: () => Promise<void>): Promise<{ pipelines: number; bindGroups: number; maps: number }> {
  const device = gpu.device as GPUDevice & Record<string, unknown>;
  const counts = { pipelines: 0, bindGroups: 0, maps: 0 };
  const wrap = <K extends 'createComputePipeline' | 'createComputePipelineAsync' | 'createBindGroup' | 'createBuffer'>(name: K, onCall: (args: unknown[]) => void) => {
    const original = device[name] as (...a: unknown[]) => unknown;
    (device as Record<string, unknown>)[name] = (...args: unknown[]) => {
      onCall(args);
      return original.apply(device, args);
    };
    return () => ((device as Record<string, unknown>)[name] = original);
  };
  const restores = [
    wrap('createComputePipeline', () => counts.pipelines++),
    wrap('createComputePipelineAsync', () => counts.pipelines++),
    wrap('createBindGroup', () => counts.bindGroups++),
    wrap('createBuffer', (args) => {
      const usage = (args[0] as GPUBufferDescriptor).usage;
      if (usage & GPUBufferUsage.MAP_READ) counts.maps++; // every readback goes through a MAP_READ staging buffer
    }),
  ];
  try {
    await work();
  } finally {
    restores.forEach((r) => r());
  }
  return counts;
}

export interface ModelSetup {
  config: LlamaConfig;
  weights: Map<string, Float32Array> | WeightSource;
  batch: number;
  seq: number;
}

/** A random batch of the model's vocabulary, the last position of each sequence ignored. */
export function batchFor(config: LlamaConfig, batch: number, seq: number, seed: number) {
  const random = seededRandom(seed);
  const ids = Uint32Array.from({ length: batch * seq }, () => Math.floor(random() * config.vocab_size));
  const targets = Uint32Array.from({ length: batch * seq }, (_, i) => ((i + 1) % seq === 0 ? IGNORE_TARGET : ids[i + 1]));
  return { ids, targets };
}

export async function trainingRun(gpu: Gpu, m: ModelSetup, mode: TrainingMode, steps: number) {
  const { value, allocations } = await withAllocationScope(gpu, async () => {
    const model = await LlamaModel.create(gpu, m.config, m.weights, { batch: m.batch, seq: m.seq, mode });
    const trainable = new Set(model.trainable.map((p) => p.param));
    const target = {
      trainable: model.trainable,
      frozenNames: [...model.weights].filter(([, t]) => !trainable.has(t)).map(([n]) => n),
      tokensPerStep: m.batch * m.seq,
      nextBatch: (step: number) => {
        const b = batchFor(m.config, m.batch, m.seq, step);
        model.setBatch(b.ids, b.targets);
      },
      forwardBackward: () => model.forwardBackward(),
      lossSum: model.lossSum,
      lossScale: () => model.lossScale(),
    };
    const trainer = await Trainer.create(gpu, target, { steps: 1_000_000, lr: 1e-3 });
    return { model, trainer, target };
  });
  const { model, trainer, target } = value;
  // A window of 10 steps is queued without waiting and read back once (as the page and CLI train).
  const window = trainer.options.metricsEvery;
  const stepMs = (await timeMs(gpu, async () => void (await trainer.trainSteps(window)), Math.max(1, Math.ceil(steps / 2)), 1)) / window;
  // Encoding cost of one step on the CPU: building the command buffers.
  const encodeTimes = await encodingTimes(gpu.device.queue, () => target.forwardBackward(), 15);
  const calls = await countDeviceCalls(gpu, async () => {
    for (let done = 0; done < 100; ) done += (await trainer.trainSteps(100 - done)).length;
  });
  const submissions = await submissionTimes(gpu, () => target.forwardBackward());
  const bytes = totalBytes(allocations);
  const rollbackBytes = rollbackBytesOf(allocations);
  for (const a of allocations) a.buffer.destroy();
  // The same bytes by part, from the estimate that is tested to equal the allocations buffer for buffer.
  const parts = estimateMemory(m.config, { batch: m.batch, seq: m.seq, mode, training: true }).parts;
  return {
    stepMs, encodeMs: median(encodeTimes), encodeFastestMs: Math.min(...encodeTimes), bytes, rollbackBytes, parts, calls, dispatchesPerStep: model.dispatchCount,
    stepFlops: model.stepFlops,
    forwardBackwardSubmissions: { count: submissions.length, longestMs: Math.max(...submissions), budgetGflop: gpu.submissionFlops / 1e9, targetMs: SUBMISSION_TARGET_MS },
  };
}

/** Bytes of the trainer's two copies of the trainable parameters (window start, last finite step). */
export function rollbackBytesOf(allocations: readonly Allocation[]): number {
  return totalBytes(allocations.filter((a) => /\.(windowStart|lastFinite)$/.test(a.label)));
}

/**
 * Each submission `work` makes, timed alone: the command buffers are held, then submitted one
 * at a time and waited for. (Buffer writes made by `work` have already reached the queue.)
 */
export async function submissionTimes(gpu: Gpu, work: () => void): Promise<number[]> {
  const queue = gpu.device.queue;
  const held = holdSubmissions(queue, work);
  await queue.onSubmittedWorkDone();
  const times: number[] = [];
  for (const buffers of held) {
    const started = performance.now();
    queue.submit(buffers);
    await queue.onSubmittedWorkDone();
    times.push(performance.now() - started);
  }
  return times;
}

/**
 * Forward time of the base, the unmerged LoRA model (the engine's path: folded where that is
 * cheaper; and the low-rank path, as PEFT computes it) and the merged one, with the base built twice
 * (how far two copies of the same work differ here: the noise floor of the ratios). The
 * models are built once, then timed one forward each in turn, rotating which goes first, for
 * 5·reps rounds (drift hits all alike); each one's median.
 */
export async function forwardTimes(gpu: Gpu, m: ModelSetup, reps: number) {
  const b = batchFor(m.config, m.batch, m.seq, 1);
  const lora: TrainingMode = { kind: 'lora', lora: { targetModules: 'all-linear', r: 8, loraAlpha: 16 } };
  const build = async (mode: TrainingMode, merge: boolean, foldingAllowed = true) => {
    const model = await LlamaModel.create(gpu, m.config, m.weights, { batch: m.batch, seq: m.seq, mode });
    model.setTraining(false);
    model.setFoldingAllowed(foldingAllowed);
    model.setBatch(b.ids, b.targets);
    if (merge) model.merge();
    return model;
  };
  const models = {
    base: await build({ kind: 'frozen' }, false),
    unmerged: await build(lora, false),
    lowRank: await build(lora, false, false),
    merged: await build(lora, true),
    baseAgain: await build({ kind: 'frozen' }, false),
  };
  const variants = Object.keys(models) as (keyof typeof models)[];
  const runs = { base: [] as number[], unmerged: [] as number[], lowRank: [] as number[], merged: [] as number[], baseAgain: [] as number[] };
  const timeOne = async (variant: keyof typeof models) => {
    const started = performance.now();
    models[variant].forward();
    await gpu.device.queue.onSubmittedWorkDone();
    return performance.now() - started;
  };
  for (const v of variants) await timeOne(v); // warm-up
  for (let round = 0; round < 5 * reps; round++) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(round + i) % variants.length];
      runs[v].push(await timeOne(v));
    }
  }
  const flops = { base: models.base.forwardFlops, unmerged: models.unmerged.forwardFlops, unmerged_low_rank: models.lowRank.forwardFlops, merged: models.merged.forwardFlops };
  for (const model of Object.values(models)) model.destroy();
  // The base is both base models' samples together: where a model's buffers landed moved its time by
  // ~5 % in this bench, and pooling two placements halves the chance that the ratios rest on one.
  return {
    ms: { base: median([...runs.base, ...runs.baseAgain]), unmerged: median(runs.unmerged), unmerged_low_rank: median(runs.lowRank), merged: median(runs.merged), base_first: median(runs.base), base_second: median(runs.baseAgain) },
    flops,
  };
}

/**
 * The teacher layer at d: one d×d linear trained under MSE against a fixed target Y*, through the
 * same Trainer as the model (AdamW, the step guard and its rollback copies): LoRA (r = 8) on the
 * frozen weight against full fine-tuning of it, same tokens. X is data, so neither side computes dX.
 */
async function teacherLayer(gpu: Gpu, d: number, tokens: number, reps: number) {
  const random = seededRandom(3);
  const weight = uniformArray(random, d * d, 1 / Math.sqrt(d));
  const inputs = uniformArray(random, tokens * d);
  const targets = uniformArray(random, tokens * d);
  const run = async (mode: 'lora' | 'full') => {
    const { value, allocations } = await withAllocationScope(gpu, async () => {
      const t = (label: string, data?: Float32Array) => createTensor(gpu, label, [tokens, d], data);
      const io = { input: await t('x', inputs), output: await t('y'), gradOutput: await t('dy'), gradInput: null };
      const layer = await createModelLinear(gpu, { path: 'layer', inDim: d, outDim: d, tokens, weight, io, mode, lora: { rank: 8, alpha: 16, useRslora: false, seed: 1 }, needsGradInput: false });
      const loss = await mseLoss(gpu, io.output, await t('y*', targets), io.gradOutput);
      const target: TrainingTarget = {
        trainable: layer.trainable,
        frozenNames: mode === 'lora' ? ['layer.weight'] : [],
        tokensPerStep: tokens,
        nextBatch: () => {}, // one fixed batch: the data stays on the GPU
        forwardBackward: () => submitDispatches(gpu, 'teacher.step', [...layer.forward, ...loss.dispatches, ...layer.backward]),
        lossSum: loss.sum,
        lossScale: () => loss.scale,
      };
      const flops = [...layer.forward, ...loss.dispatches, ...layer.backward].reduce((sum, d) => sum + d.flops, 0);
      return { trainer: await Trainer.create(gpu, target, { steps: 1_000_000, lr: 1e-3 }), flops };
    });
    const { trainer, flops } = value;
    const window = trainer.options.metricsEvery;
    const ms = (await timeMs(gpu, async () => void (await trainer.trainSteps(window)), reps, 1)) / window;
    const bytes = totalBytes(allocations);
    const rollbackBytes = rollbackBytesOf(allocations);
    for (const a of allocations) a.buffer.destroy();
    // X, Y, dY and Y*: the batch and what the layer computes from it, the same on both sides.
    const dataBytes = totalBytes(allocations.filter((a) => ['x', 'y', 'dy', 'y*'].includes(a.label)));
    return { ms, bytes, rollbackBytes, dataBytes, flops };
  };
  const lora = await run('lora');
  const full = await run('full');
  return { d, tokens, lora, full };
}

/** mean (Y − Y*)² as the teacher task computes it: dY = (2/n)(Y − Y*), loss = (n/4)·Σ dY². */
async function mseLoss(gpu: Gpu, y: GpuTensor, yTarget: GpuTensor, dy: GpuTensor) {
  const count = y.numel;
  const sum = await createTensor(gpu, 'mse.loss', [1]);
  const squares = await createSumSquares(gpu, { label: 'mse.sum', x: dy, n: count, out: sum, outIndex: 0 });
  const dispatches = [
    await createAxpby(gpu, { label: 'mse.dY=cY', x: y, y: dy, n: count, a: 2 / count, b: 0 }),
    await createAxpby(gpu, { label: 'mse.dY-=cY*', x: yTarget, y: dy, n: count, a: -2 / count, b: 1 }),
    ...squares.dispatches,
  ];
  return { sum, dispatches, scale: count / 4 };
}

export interface PromisesOptions {
  base: ModelSetup;
  teacher: { d: number; tokens: number };
  reps: number;
}

export async function measurePromises(gpu: Gpu, o: PromisesOptions) {
  const loraMode: TrainingMode = { kind: 'lora', lora: { targetModules: 'all-linear', r: 8, loraAlpha: 16 } };
  const lora = await trainingRun(gpu, o.base, loraMode, o.reps);
  const full = await trainingRun(gpu, o.base, { kind: 'full' }, o.reps);
  const forward = await forwardTimes(gpu, o.base, o.reps);
  const teacher = await teacherLayer(gpu, o.teacher.d, o.teacher.tokens, Math.max(3, Math.floor(o.reps / 2)));
  return {
    base_model: { batch: o.base.batch, seq: o.base.seq, lora_r8_all_linear: lora, full },
    ratios: {
      step_time_lora_over_full: { value: lora.stepMs / full.stepMs, goal: '≤ 0.70' },
      gpu_bytes_lora_over_full: { value: lora.bytes / full.bytes, goal: '≤ 0.35' },
      forward_merged_over_base: { value: forward.ms.merged / forward.ms.base, goal: '≤ 1.03' },
      forward_unmerged_over_base: { value: forward.ms.unmerged / forward.ms.base, goal: '≤ 1.15' },
      forward_unmerged_low_rank_over_base: { value: forward.ms.unmerged_low_rank / forward.ms.base, goal: '≤ 1.15' },
      teacher_step_time_lora_over_full: { value: teacher.lora.ms / teacher.full.ms, goal: '≤ 0.70' },
      teacher_gpu_bytes_lora_over_full: { value: teacher.lora.bytes / teacher.full.bytes, goal: '≤ 0.35' },
    },
    // The same ratios without the trainer's rollback copies: what PyTorch + AdamW would hold.
    without_rollback_copies: {
      gpu_bytes_lora_over_full: (lora.bytes - lora.rollbackBytes) / (full.bytes - full.rollbackBytes),
      teacher_gpu_bytes_lora_over_full: (teacher.lora.bytes - teacher.lora.rollbackBytes) / (teacher.full.bytes - teacher.full.rollbackBytes),
    },
    // What the arithmetic alone gives, beside each measured ratio: for a time, the ratio of
    // estimated FLOPs (matmuls 2·M·N·K, attention exact, elementwise kernels estimated); for bytes,
    // the ratio without activations (the batch's data and what the backward keeps of it). A time
    // ratio below its FLOP ratio needs LoRA's kernels to do more FLOPs per ms than those they replace.
    arithmetic: {
      step_time_lora_over_full: lora.stepFlops / full.stepFlops,
      gpu_bytes_lora_over_full: (lora.bytes - lora.parts.activations) / (full.bytes - full.parts.activations),
      forward_merged_over_base: forward.flops.merged / forward.flops.base,
      forward_unmerged_over_base: forward.flops.unmerged / forward.flops.base,
      forward_unmerged_low_rank_over_base: forward.flops.unmerged_low_rank / forward.flops.base,
      teacher_step_time_lora_over_full: teacher.lora.flops / teacher.full.flops,
      teacher_gpu_bytes_lora_over_full: (teacher.lora.bytes - teacher.lora.dataBytes) / (teacher.full.bytes - teacher.full.dataBytes),
    },
    // Two identical base models timed alike: how much of a forward ratio is noise on this machine.
    noise: { forward_base_again_over_base: forward.ms.base_second / forward.ms.base_first },
    forward_ms: forward.ms,
    forward_flops: forward.flops,
    teacher,
  };
}

export function baseSetup(config: LlamaConfig, weights: Map<string, Float32Array> | null, batch: number, seq: number): ModelSetup {
  return { config, weights: weights ?? initLlamaWeights(config, seededRandom(1)), batch, seq };
}
