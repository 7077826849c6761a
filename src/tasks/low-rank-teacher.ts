// Task "low-rank-teacher": the seed's claim made visible. One d×d linear layer must learn the
// teacher W₀ + ΔW*, where ΔW* = U·diag(σ)·V has true rank k. A LoRA of rank r on the frozen W₀
// learns it under MSE: with r ≥ k the loss goes to ~0; with r < k it stalls on a floor of
// (k − r)/k of the starting loss (σ equal, inputs isotropic), the best any rank-r update can do.
import { createTensor, readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { createAxpby } from '../gpu/kernels/elementwise.ts';
import { createMatmul } from '../gpu/kernels/matmul.ts';
import { createMerge } from '../gpu/kernels/merge.ts';
import { createSumSquares } from '../gpu/kernels/reduce.ts';
import { LoRALinear } from '../lora/lora-linear.ts';
import type { LoraInit } from '../lora/lora-math.ts';
import type { TrainingTarget } from '../train/trainer.ts';
import { seededRandom, uniformArray, type Random } from '../util/random.ts';

export interface TeacherOptions {
  dim: number; // d (≤ 4096)
  trueRank: number; // k
  rank: number; // r of the LoRA
  alpha: number;
  useRslora?: boolean;
  tokens: number; // rows of X per step
  seed: number;
  /** Singular value of each of ΔW*'s k directions. */
  sigma?: number;
  /** The student's LoRA variant: PEFT's use_dora and init_lora_weights. */
  useDora?: boolean;
  init?: LoraInit;
}

/** d×k with orthonormal columns (Gram–Schmidt of a seeded Gaussian), row-major. */
export function orthonormalColumns(random: Random, d: number, k: number): Float64Array {
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const q = new Float64Array(d * k);
  for (let j = 0; j < k; j++) {
    const v = Float64Array.from({ length: d }, normal);
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += v[i] * q[i * k + p];
      for (let i = 0; i < d; i++) v[i] -= dot * q[i * k + p];
    }
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    for (let i = 0; i < d; i++) q[i * k + j] = v[i] / norm;
  }
  return q;
}

export interface TeacherTask extends TrainingTarget {
  layer: LoRALinear;
  /** The student's output on a fixed held-out batch (for merge parity and timing). */
  probe(): Promise<Float32Array>;
  /** Encodes the student's forward on the probe batch (timed by the caller). */
  forwardProbe(): void;
  /** Loss of the untrained student (B = 0) on average, and the floor a rank-r LoRA cannot pass. */
  expected: { initialLoss: number; floor: number };
  /** ΔW* = B*·A* as built (B* = σ·U (d, k), A* = Vᵀ (k, d)), and σ of each of its k directions. */
  truth: { b: Float32Array; a: Float32Array; trueRank: number; singularValues: number[] };
}

/**
 * The expected loss of the best update of rank ≤ r. The loss is mean((Y − Y*)²) over the n·d
 * outputs, Y − Y* = X·(ΔW − ΔW*)ᵀ, with every input uniform in [−1, 1] (E[x·xᵀ] = I/3), so its
 * expectation is ‖ΔW − ΔW*‖_F² / (3·d_out). By Eckart–Young the least ‖ΔW − ΔW*‖_F² over rank-r
 * ΔW is the sum of ΔW*'s squared singular values past the r largest. r = 0 gives the start (B = 0).
 */
export function teacherLossFloor(trueSingularValues: readonly number[], rank: number, outDim: number): number {
  const sorted = [...trueSingularValues].sort((a, b) => b - a);
  return sorted.slice(rank).reduce((sum, x) => sum + x * x, 0) / (3 * outDim);
}

export async function createTeacherTask(gpu: Gpu, o: TeacherOptions): Promise<TeacherTask> {
  const { dim: d, trueRank: k, tokens: n } = o;
  if (!Number.isInteger(k) || k < 1 || k > d) throw new RangeError(`true rank must be from 1 to d = ${d}, got ${k}`);
  const sigma = o.sigma ?? Math.sqrt(d);
  const random = seededRandom(o.seed);
  const w0 = uniformArray(random, d * d, 1 / Math.sqrt(d));
  // ΔW* = U·diag(σ)·Vᵀ: stored as B* = σ·U (d, k) and A* = Vᵀ (k, d), so merge gives W₀ + B*·A*.
  const u = orthonormalColumns(random, d, k);
  const v = orthonormalColumns(random, d, k);
  const bStar = Float32Array.from(u, (x) => x * sigma);
  const aStar = new Float32Array(k * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < k; j++) aStar[j * d + i] = v[i * k + j];

  const teacher = await createTensor(gpu, 'teacher.W', [d, d], w0);
  const aT = await createTensor(gpu, 'teacher.A*', [k, d], aStar);
  const bT = await createTensor(gpu, 'teacher.B*', [d, k], bStar);
  submitDispatches(gpu, 'teacher.build', [await createMerge(gpu, { label: 'teacher.merge', weight: teacher, loraA: aT, loraB: bT, outDim: d, inDim: d, rank: k, scale: 1 })]);

  // X is data: nothing needs dL/dX, so the backward computes only dA and dB.
  const layer = await LoRALinear.create(gpu, { inFeatures: d, outFeatures: d, rank: o.rank, alpha: o.alpha, useRslora: o.useRslora, tokens: n, seed: o.seed + 1, label: 'student', needsGradInput: false, useDora: o.useDora, init: o.init }, w0);
  const { input: x, output: y, gradOutput: dy } = layer.io;
  const yTarget = await createTensor(gpu, 'teacher.Y*', [n, d]);
  const lossOut = await createTensor(gpu, 'teacher.loss', [1]);
  const count = n * d;
  // dY = (2/n)(Y − Y*) ; loss = mean (Y − Y*)² = (count/4)·Σ dY²
  const lossPasses = [
    await createAxpby(gpu, { label: 'mse.dY=cY', x: y, y: dy, n: count, a: 2 / count, b: 0 }),
    await createAxpby(gpu, { label: 'mse.dY-=cY*', x: yTarget, y: dy, n: count, a: -2 / count, b: 1 }),
  ];
  const sum = await createSumSquares(gpu, { label: 'mse.sum', x: dy, n: count, out: lossOut, outIndex: 0 });
  const targetPass = await createMatmul(gpu, { label: 'teacher.Y*=XTt', c: yTarget, a: x, b: teacher, m: n, n: d, k: d, transB: true });

  const batchRandom = (step: number) => seededRandom(o.seed * 1_000_003 + step);
  // Held-out inputs: 8 batches, so the validation loss is within a few % of its expectation.
  const validation = Array.from({ length: 8 }, (_, i) => uniformArray(seededRandom(o.seed + 77 + 7919 * i), n * d));
  const evaluate = async (batches: Float32Array[]) => {
    let total = 0;
    for (const xs of batches) {
      writeTensor(gpu, layer.io.input, xs);
      submitDispatches(gpu, 'teacher.eval', [targetPass, ...layer.forwardDispatches(), ...lossPasses, ...sum.dispatches]);
      const [s] = await readTensor(gpu, lossOut);
      total += (s * count) / 4;
    }
    return total / batches.length;
  };
  const forwardProbe = () => {
    writeTensor(gpu, layer.io.input, validation[0]);
    submitDispatches(gpu, 'teacher.probe', layer.forwardDispatches());
  };
  // Every direction has the same σ, so the floor is (k − r)/k of the start: k·σ²/(3d).
  const singularValues = Array.from({ length: k }, () => sigma);
  return {
    layer,
    expected: { initialLoss: teacherLossFloor(singularValues, 0, d), floor: teacherLossFloor(singularValues, o.rank, d) },
    truth: { b: bStar, a: aStar, trueRank: k, singularValues },
    // PEFT's names: lora_A.weight, lora_B.weight, and DoRA's lora_magnitude_vector (saved without .weight).
    trainable: layer.parameters().map((p) => ({ name: `student.${p.name}${p.name === 'lora_magnitude_vector' ? '' : '.weight'}`, param: p.param, grad: p.grad })),
    frozenNames: ['student.base_layer.weight'],
    tokensPerStep: n,
    nextBatch(step) {
      writeTensor(gpu, layer.io.input, uniformArray(batchRandom(step), n * d));
    },
    forwardBackward() {
      submitDispatches(gpu, 'teacher.step', [targetPass, ...layer.forwardDispatches(), ...lossPasses, ...sum.dispatches, ...layer.backwardDispatches()]);
    },
    lossSum: lossOut,
    lossScale: () => count / 4,
    validationLoss: () => evaluate(validation),
    forwardProbe,
    async probe() {
      forwardProbe();
      return readTensor(gpu, layer.io.output);
    },
  };
}
