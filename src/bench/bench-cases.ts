// The benchmark's cases: matmul in the three layouts of a linear layer, and a LoRA-shaped
// layer forward and backward, each built for our kernels and for tfjs on the same device.
import * as tf from '@tensorflow/tfjs-core';
import { createTensor, readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { createMatmul } from '../gpu/kernels/matmul.ts';
import { LoRALinear } from '../lora/lora-linear.ts';
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

export function squareMatmulCases(sizes: number[]): BenchCase[] {
  return sizes.flatMap((s) =>
    LAYOUTS.map((layout) => ({
      name: `matmul ${layout.name} ${s}³`,
      shape: `M=N=K=${s}`,
      flops: 2 * s * s * s,
      async setup(gpu: Gpu, flush: () => Promise<void>) {
        const random = seededRandom(s);
        const a = uniformArray(random, s * s);
        const b = uniformArray(random, s * s);
        const ta = await createTensor(gpu, 'bench.A', [s, s], a);
        const tb = await createTensor(gpu, 'bench.B', [s, s], b);
        const tc = await createTensor(gpu, 'bench.C', [s, s]);
        const dispatch = await createMatmul(gpu, { label: 'bench.matmul', a: ta, b: tb, c: tc, m: s, n: s, k: s, transA: layout.transA, transB: layout.transB });
        const fa = tf.tensor2d(a, [s, s]);
        const fb = tf.tensor2d(b, [s, s]);
        const maxAbsDiff = async () => {
          submitDispatches(gpu, 'bench.check', [dispatch]);
          const mine = await readTensor(gpu, tc);
          const c = tf.matMul(fa, fb, layout.transA, layout.transB);
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
            const c = tf.matMul(fa, fb, layout.transA, layout.transB);
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
    })),
  );
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
