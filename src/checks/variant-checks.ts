// LoRA variants on the GPU against the float64 references: DoRA (src/reference/dora.ts) in both
// forward paths, its backward, merge and exact unmerge; PiSSA and OLoRA initialisation
// (src/reference/lora-init.ts): the base the layer holds plus s·B·A is W, and the output at init is
// the base's; LoRA+: two AdamW steps of A, B and m, B and m at λ·lr, against the float64 AdamW.
import { readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { ExactMerge } from '../lora/exact-merge.ts';
import { gradInputOf, LoRALinear } from '../lora/lora-linear.ts';
import { foldsAdapter } from '../lora/lora-math.ts';
import { doraBackwardReference, doraForwardReference, doraMergeReference, doraNormReference } from '../reference/dora.ts';
import { oloraDeltaReference, pissaDeltaReference } from '../reference/lora-init.ts';
import { matmulReference } from '../reference/matmul.ts';
import { createFixedGuard } from '../gpu/kernels/step-guard.ts';
import { adamwReference } from '../reference/adamw.ts';
import { AdamW } from '../train/adamw.ts';
import { loraplusLrScale } from '../train/loraplus.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { assertion, resultOf, type KernelCheck } from './check.ts';

// (N, in, out, r): ragged; [17, 5, 9, 3] folds the adapter in training (N ≥ 2·in) and evaluation.
const DORA_LAYERS: [number, number, number, number][] = [[3, 17, 33, 2], [17, 5, 9, 3], [65, 33, 130, 8]];

async function doraLayer(gpu: Gpu, [tokens, inDim, outDim, rank]: number[], seed: number) {
  const random = seededRandom(seed);
  const w = uniformArray(random, outDim * inDim);
  const layer = await LoRALinear.create(gpu, { inFeatures: inDim, outFeatures: outDim, rank, alpha: 2 * rank + 1, tokens, seed, label: 'dora-check', useDora: true }, w);
  const initialMagnitude = await readTensor(gpu, layer.dora!.magnitude);
  const [b, x, dy] = [uniformArray(random, outDim * rank), uniformArray(random, tokens * inDim), uniformArray(random, tokens * outDim)];
  const m = uniformArray(random, outDim).map((v) => 1 + 0.5 * v); // trained away from ‖W‖
  writeTensor(gpu, layer.loraB, b);
  writeTensor(gpu, layer.dora!.magnitude, m);
  writeTensor(gpu, layer.io.input, x);
  writeTensor(gpu, layer.io.gradOutput, dy);
  const ref = { weight: w, loraA: await readTensor(gpu, layer.loraA), loraB: b, magnitude: m, inDim, outDim, rank, scaling: layer.scaling };
  return { layer, ref, x, dy, w, initialMagnitude };
}

export function variantChecks(): KernelCheck[] {
  const dora: KernelCheck[] = DORA_LAYERS.map((shape, i) => {
    const [tokens, inDim, outDim, rank] = shape;
    const path = (mode: 'training' | 'evaluation') => (foldsAdapter(tokens, inDim, outDim, mode) ? 'folded' : 'low-rank');
    const name = `DoRA N=${tokens} in=${inDim} out=${outDim} r=${rank} (training ${path('training')}, evaluation ${path('evaluation')}): Y, dm, dA, dB, dX, merge, unmerge`;
    return {
      name,
      async run(gpu) {
        const { layer, ref, x, dy } = await doraLayer(gpu, shape, 40 + i);
        layer.forward();
        const trainY = await readTensor(gpu, layer.io.output);
        layer.backward();
        const fwd = doraForwardReference(ref, x, tokens);
        const grads = doraBackwardReference(ref, x, dy, tokens);
        const parts: Record<string, { got: ArrayLike<number>; ref: ArrayLike<number> }> = {
          'Y (train)': { got: trainY, ref: fwd.y },
          norm: { got: await readTensor(gpu, layer.dora!.norm), ref: doraNormReference(ref) },
          dm: { got: await readTensor(gpu, layer.dora!.gradMagnitude), ref: grads.dMagnitude },
          dA: { got: await readTensor(gpu, layer.gradA), ref: grads.dA },
          dB: { got: await readTensor(gpu, layer.gradB), ref: grads.dB },
          dX: { got: await readTensor(gpu, gradInputOf(layer.io, name)), ref: grads.dx },
        };
        layer.training = false;
        layer.forward();
        parts['Y (eval)'] = { got: await readTensor(gpu, layer.io.output), ref: fwd.y };
        layer.merge();
        parts["W' (merged)"] = { got: await readTensor(gpu, layer.weight), ref: doraMergeReference(ref) };
        layer.forward(); // the merged forward: the base matmul alone
        parts['Y (merged)'] = { got: await readTensor(gpu, layer.io.output), ref: fwd.y };
        layer.unmerge();
        parts['W (arithmetic unmerge)'] = { got: await readTensor(gpu, layer.weight), ref: ref.weight };
        return resultOf(name, parts);
      },
    };
  });
  dora.push({
    name: 'DoRA at init: m = ‖W‖ per row and Y = X·Wᵀ; an exact merge restores W bit for bit',
    async run(gpu) {
      const shape = [17, 33, 20, 4];
      const { layer, w, x, initialMagnitude } = await doraLayer(gpu, shape, 5);
      const [tokens, inDim, outDim] = shape;
      writeTensor(gpu, layer.loraB, new Float32Array(layer.loraB.numel));
      writeTensor(gpu, layer.dora!.magnitude, initialMagnitude);
      layer.forward();
      const y = await readTensor(gpu, layer.io.output);
      const base = matmulReference({ a: x, b: w, m: tokens, n: outDim, k: inDim, transB: true });
      const norms = Float64Array.from({ length: outDim }, (_, o) => Math.hypot(...w.subarray(o * inDim, (o + 1) * inDim)));
      const result = resultOf(this.name, { m: { got: initialMagnitude, ref: norms }, Y: { got: y, ref: base } });
      const merging = new ExactMerge(gpu, [{ path: 'dora-check', lora: layer }]);
      writeTensor(gpu, layer.loraB, uniformArray(seededRandom(9), layer.loraB.numel));
      await merging.merge();
      const merged = await readTensor(gpu, layer.weight);
      merging.unmerge();
      const restored = await readTensor(gpu, layer.weight);
      const exact = restored.every((v, k) => v === w[k]) && merged.some((v, k) => v !== w[k]);
      return exact ? result : assertion(this.name, false, `after an exact merge and unmerge W differs from the saved base (or the merge changed nothing); ${result.detail}`);
    },
  });

  // PiSSA on a wide W, OLoRA on a tall one (each shape compiles its own matmuls: kept to two).
  const inits: KernelCheck[] = ([['pissa', [9, 17, 5, 3]], ['olora', [4, 6, 13, 2]]] as const).map(([init, [tokens, inDim, outDim, rank]]) => ({
    name: `${init === 'pissa' ? 'PiSSA' : 'OLoRA'} init N=${tokens} in=${inDim} out=${outDim} r=${rank}: s·B·A as the reference, base + s·B·A = W, Y at init = X·Wᵀ`,
    async run(gpu: Gpu) {
      const random = seededRandom(tokens + inDim);
      const w = uniformArray(random, outDim * inDim);
      const x = uniformArray(random, tokens * inDim);
      const layer = await LoRALinear.create(gpu, { inFeatures: inDim, outFeatures: outDim, rank, alpha: 2 * rank, tokens, label: `${init}-check`, init }, w);
      writeTensor(gpu, layer.io.input, x);
      layer.forward();
      const [a, b, residual, y] = [await readTensor(gpu, layer.loraA), await readTensor(gpu, layer.loraB), await readTensor(gpu, layer.weight), await readTensor(gpu, layer.io.output)];
      const delta = matmulReference({ a: b, b: a, m: outDim, n: inDim, k: rank, alpha: layer.scaling });
      const refDelta = init === 'pissa' ? pissaDeltaReference(w, outDim, inDim, rank) : oloraDeltaReference(w, outDim, inDim, rank, layer.scaling);
      return resultOf(this.name, {
        's·B·A': { got: delta, ref: refDelta },
        'base + s·B·A': { got: residual.map((v, k) => v + delta[k]), ref: w },
        'Y at init': { got: y, ref: matmulReference({ a: x, b: w, m: tokens, n: outDim, k: inDim, transB: true }) },
      });
    },
  }));
  const loraplus: KernelCheck = {
    name: 'LoRA+ λ = 16: two AdamW steps of a DoRA layer, B and m at λ·lr, A at lr, as the float64 AdamW',
    async run(gpu) {
      const { layer } = await doraLayer(gpu, [5, 7, 6, 2], 61);
      const params = layer.parameters().map((p) => ({ ...p, lrScale: loraplusLrScale({ name: p.name, param: p.param }, 16) }));
      const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
      const optimizer = await AdamW.create(gpu, params, await createFixedGuard(gpu), hyper);
      const states = await Promise.all(params.map(async (p) => ({ param: Float64Array.from(await readTensor(gpu, p.param)), moment1: new Float64Array(p.param.numel), moment2: new Float64Array(p.param.numel) })));
      for (let t = 1; t <= 2; t++) {
        layer.forward();
        layer.backward();
        const grads = await Promise.all(params.map((p) => readTensor(gpu, p.grad)));
        optimizer.step(hyper.lr);
        params.forEach((p, i) => adamwReference(states[i], grads[i], t, { ...hyper, lr: hyper.lr * p.lrScale }));
      }
      const parts = Object.fromEntries(await Promise.all(params.map(async (p, i) => [`${p.name} (lr × ${p.lrScale})`, { got: await readTensor(gpu, p.param), ref: states[i].param }] as const)));
      const scales = params.map((p) => p.lrScale).join(',');
      const result = resultOf(this.name, parts);
      return scales === '1,16,16' ? result : assertion(this.name, false, `learning-rate factors of A, B, m were ${scales}, not 1,16,16; ${result.detail}`);
    },
  };
  return [...dora, ...inits, loraplus];
}
