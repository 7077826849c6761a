// The benchmark's cases: matmul in the three layouts of a linear layer, and a LoRA-shaped
// layer forward and backward, each built for our kernels and for tfjs on the same device.
import * as tf from '@tensorflow/tfjs-core';
import { createTensor, readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { createAxpby } from '../gpu/kernels/elementwise.ts';
import { createMatmul } from '../gpu/kernels/matmul.ts';
import { createSumSquares } from '../gpu/kernels/reduce.ts';
import { LoRALinear } from '../lora/lora-linear.ts';
import { createFixedGuard } from '../gpu/kernels/step-guard.ts';
import { AdamW } from '../train/adamw.ts';
import { seededRandom, uniformArray } from '../util/random.ts';

export interface BenchCase {
  name: string;
  shape: string;
  flops: number;
  /** Builds both sides; each returned function runs once and resolves when the GPU is done. */
  setup(gpu: Gpu, flush: () => Promise<void>): Promise<BenchSides>;
}

export interface BenchSides {
  ours: () => Promise<void>;
  tfjs: () => Promise<void>;
  /** Largest |ours − tfjs| over the output, so a failing peer cannot pass as fast. */
  maxAbsDiff?: () => Promise<number>;
  dispose(): void;
}

const LAYOUTS = [
  { name: 'Y=X·Wᵀ', transA: false, transB: true },
  { name: 'dX=dY·W', transA: false, transB: false },
  { name: 'dW=dYᵀ·X', transA: true, transB: false },
];

/** C (m×n) = op(A)·op(B) with k inner, ours against tf.matMul with the same transposes. */
export function matmulCase(name: string, m: number, n: number, k: number, transA: boolean, transB: boolean): BenchCase {
  return {
    name,
    shape: `M=${m} N=${n} K=${k}`,
    flops: 2 * m * n * k,
    async setup(gpu: Gpu, flush: () => Promise<void>) {
      const random = seededRandom(m * 7 + n * 3 + k);
      const [aRows, aCols] = transA ? [k, m] : [m, k];
      const [bRows, bCols] = transB ? [n, k] : [k, n];
      const a = uniformArray(random, aRows * aCols);
      const b = uniformArray(random, bRows * bCols);
      const ta = await createTensor(gpu, 'bench.A', [aRows, aCols], a);
      const tb = await createTensor(gpu, 'bench.B', [bRows, bCols], b);
      const tc = await createTensor(gpu, 'bench.C', [m, n]);
      const dispatch = await createMatmul(gpu, { label: 'bench.matmul', a: ta, b: tb, c: tc, m, n, k, transA, transB });
      const fa = tf.tensor2d(a, [aRows, aCols]);
      const fb = tf.tensor2d(b, [bRows, bCols]);
      const maxAbsDiff = async () => {
        submitDispatches(gpu, 'bench.check', [dispatch]);
        const mine = await readTensor(gpu, tc);
        const c = tf.matMul(fa, fb, transA, transB);
        const theirs = await c.data();
        c.dispose();
        let max = 0;
        for (let i = 0; i < mine.length; i++) max = Math.max(max, Math.abs(mine[i] - theirs[i]));
        return max;
      };
      return {
        maxAbsDiff,
        ours: async () => {
          submitDispatches(gpu, 'bench', [dispatch]);
          await gpu.device.queue.onSubmittedWorkDone();
        },
        tfjs: async () => {
          const c = tf.matMul(fa, fb, transA, transB);
          await flush();
          c.dispose();
        },
        dispose() {
          for (const t of [ta, tb, tc]) t.buffer.destroy();
          fa.dispose();
          fb.dispose();
        },
      };
    },
  };
}

export function squareMatmulCases(sizes: number[]): BenchCase[] {
  return sizes.flatMap((s) => LAYOUTS.map((layout) => matmulCase(`matmul ${layout.name} ${s}³`, s, s, s, layout.transA, layout.transB)));
}

/** The skinny products of a LoRA layer (in = out = dim) at N tokens: forward H, and the gradients of A and B. */
export function skinnyLoraCases(tokens: number, dim: number, ranks: number[]): BenchCase[] {
  return ranks.flatMap((r) => [
    matmulCase(`LoRA H=X·Aᵀ r=${r}`, tokens, r, dim, false, true),
    matmulCase(`LoRA dA=dHᵀ·X r=${r}`, r, dim, tokens, true, false),
    matmulCase(`LoRA dB=dYᵀ·H r=${r}`, dim, r, tokens, true, false),
  ]);
}

/** N tokens through an (out × in) layer with a rank-r LoRA; forward or backward. */
export function loraCases(tokens: number, inDim: number, outDim: number, rank: number): BenchCase[] {
  const shape = `N=${tokens} in=${inDim} out=${outDim} r=${rank}`;
  const forwardFlops = 2 * tokens * (inDim * outDim + inDim * rank + rank * outDim);
  // dB, dH, dA, dX = dY·W, dX += dH·A
  const backwardFlops = 2 * tokens * (outDim * rank + outDim * rank + rank * inDim + outDim * inDim + rank * inDim);
  const build = async (gpu: Gpu) => {
    const random = seededRandom(tokens + rank);
    const w = uniformArray(random, outDim * inDim);
    const layer = await LoRALinear.create(gpu, { inFeatures: inDim, outFeatures: outDim, rank, alpha: 2 * rank, tokens, label: 'bench.lora' }, w);
    const b = uniformArray(random, outDim * rank, 0.01);
    const x = uniformArray(random, tokens * inDim);
    const dy = uniformArray(random, tokens * outDim);
    writeTensor(gpu, layer.loraB, b);
    writeTensor(gpu, layer.io.input, x);
    writeTensor(gpu, layer.io.gradOutput, dy);
    const a = await readTensor(gpu, layer.loraA);
    const t = {
      w: tf.tensor2d(w, [outDim, inDim]),
      a: tf.tensor2d(a, [rank, inDim]),
      b: tf.tensor2d(b, [outDim, rank]),
      x: tf.tensor2d(x, [tokens, inDim]),
      dy: tf.tensor2d(dy, [tokens, outDim]),
    };
    const s = layer.scaling;
    return { layer, t, s };
  };
  return [
    {
      name: 'LoRA forward',
      shape,
      flops: forwardFlops,
      async setup(gpu, flush) {
        const { layer, t, s } = await build(gpu);
        return {
          ours: async () => {
            layer.forward();
            await gpu.device.queue.onSubmittedWorkDone();
          },
          tfjs: async () => {
            const y = tf.tidy(() => tf.add(tf.matMul(t.x, t.w, false, true), tf.mul(tf.matMul(tf.matMul(t.x, t.a, false, true), t.b, false, true), s)));
            await flush();
            y.dispose();
          },
          dispose: () => Object.values(t).forEach((v) => v.dispose()),
        };
      },
    },
    {
      name: 'LoRA backward',
      shape,
      flops: backwardFlops,
      async setup(gpu, flush) {
        const { layer, t, s } = await build(gpu);
        layer.forward();
        const h = tf.matMul(t.x, t.a, false, true);
        return {
          ours: async () => {
            layer.backward();
            await gpu.device.queue.onSubmittedWorkDone();
          },
          tfjs: async () => {
            const grads = tf.tidy(() => {
              const dB = tf.mul(tf.matMul(t.dy, h, true, false), s);
              const dH = tf.mul(tf.matMul(t.dy, t.b), s);
              const dA = tf.matMul(dH, t.x, true, false);
              const dX = tf.add(tf.matMul(t.dy, t.w), tf.matMul(dH, t.a));
              return [dB, dA, dX];
            });
            await flush();
            grads.forEach((g) => g.dispose());
          },
          dispose: () => {
            h.dispose();
            Object.values(t).forEach((v) => v.dispose());
          },
        };
      },
    },
  ];
}

/**
 * One LoRA-linear training step, the same work on both sides: Y = X·Wᵀ + s·X·Aᵀ·Bᵀ with W
 * constant, the MSE to a fixed target, the gradients of A and B only (X is data: no dX), AdamW.
 * Ours: LoRALinear (needsGradInput false) + MSE kernels + AdamW; tfjs: tf.variableGrads over A and
 * B, then tf.train.adam.
 */
export function loraTrainingStepCase(tokens: number, dim: number, rank: number): BenchCase {
  const flops = 2 * tokens * (dim * dim + 3 * dim * rank + 2 * dim * rank); // forward dominates; LoRA terms both ways
  return {
    name: 'LoRA training step (MSE, AdamW)',
    shape: `N=${tokens} d=${dim} r=${rank}`,
    flops,
    async setup(gpu, flush) {
      const random = seededRandom(5);
      const w = uniformArray(random, dim * dim, 1 / Math.sqrt(dim));
      const xData = uniformArray(random, tokens * dim);
      const targetData = uniformArray(random, tokens * dim);
      const layer = await LoRALinear.create(gpu, { inFeatures: dim, outFeatures: dim, rank, alpha: 2 * rank, tokens, label: 'bench.step', needsGradInput: false }, w);
      writeTensor(gpu, layer.io.input, xData);
      const target = await createTensor(gpu, 'bench.target', [tokens, dim], targetData);
      const lossOut = await createTensor(gpu, 'bench.loss', [1]);
      const count = tokens * dim;
      // dY = (2/count)(Y − Y*), loss = (count/4)·Σ dY² (read back by nobody here, like tfjs's value)
      const mse = [
        await createAxpby(gpu, { label: 'mse.dY=cY', x: layer.io.output, y: layer.io.gradOutput, n: count, a: 2 / count, b: 0 }),
        await createAxpby(gpu, { label: 'mse.dY-=cY*', x: target, y: layer.io.gradOutput, n: count, a: -2 / count, b: 1 }),
        ...(await createSumSquares(gpu, { label: 'mse.sum', x: layer.io.gradOutput, n: count, out: lossOut, outIndex: 0 })).dispatches,
      ];
      const adam = await AdamW.create(gpu, layer.parameters(), await createFixedGuard(gpu), { lr: 1e-3, weightDecay: 0 });
      const tw = tf.tensor2d(w, [dim, dim]);
      const x = tf.tensor2d(xData, [tokens, dim]);
      const y = tf.tensor2d(targetData, [tokens, dim]);
      const a = tf.variable(tf.tensor2d(await readTensor(gpu, layer.loraA), [rank, dim]));
      const b = tf.variable(tf.zeros([dim, rank]));
      const s = layer.scaling;
      const optimizer = tf.train.adam(1e-3);
      return {
        ours: async () => {
          submitDispatches(gpu, 'bench.step', [...layer.forwardDispatches(), ...mse, ...layer.backwardDispatches()]);
          adam.step();
          await gpu.device.queue.onSubmittedWorkDone();
        },
        tfjs: async () => {
          const { value, grads } = tf.variableGrads(() => {
            const out = tf.add(tf.matMul(x, tw, false, true), tf.mul(tf.matMul(tf.matMul(x, a, false, true), b, false, true), s));
            return tf.mean(tf.square(tf.sub(out, y))) as tf.Scalar;
          }, [a, b]);
          optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
          await flush();
          value.dispose();
          Object.values(grads).forEach((g) => g.dispose());
        },
        dispose() {
          for (const t of [tw, x, y, a, b]) t.dispose();
          optimizer.dispose();
          adam.destroy();
        },
      };
    },
  };
}
