// LoRALinear on the GPU against the float64 reference, and the invariants PEFT tests for:
// output at init equals the base, merged equals unmerged, the base never changes.
import { createTensor, readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { fingerprintTensor } from '../gpu/kernels/fingerprint.ts';
import { createMatmul } from '../gpu/kernels/matmul.ts';
import { gradInputOf, LoRALinear } from '../lora/lora-linear.ts';
import { foldsAdapter } from '../lora/lora-math.ts';
import { loraBackwardReference, loraForwardReference } from '../reference/lora-linear.ts';
import { createFixedGuard } from '../gpu/kernels/step-guard.ts';
import { AdamW } from '../train/adamw.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { assertion, resultOf, type KernelCheck } from './check.ts';

// (tokens N, in, out, r): ragged sizes, ranks 1..64, aligned shapes for the vec4 path; both
// forward paths in training and in evaluation (foldsAdapter: N ≥ 2·in folds in training).
const LAYERS: [number, number, number, number][] = [
  [1, 3, 3, 1], [3, 17, 33, 2], [17, 65, 33, 8], [33, 130, 65, 16], [65, 33, 130, 33],
  [130, 65, 130, 64], [17, 64, 64, 64], [64, 128, 64, 8], [128, 64, 128, 4], [5, 1, 7, 1],
];

interface Filled {
  layer: LoRALinear;
  w: Float32Array;
  a: Float32Array;
  b: Float32Array;
  x: Float32Array;
  dy: Float32Array;
}

/** A layer with random W, A, B, X and dY (B ≠ 0 so every gradient is exercised). */
async function filledLayer(gpu: Gpu, [tokens, inDim, outDim, rank]: number[], useRslora = false, seed = 1, needsGradInput = true): Promise<Filled> {
  const random = seededRandom(seed);
  const w = uniformArray(random, outDim * inDim);
  const layer = await LoRALinear.create(gpu, { inFeatures: inDim, outFeatures: outDim, rank, alpha: 2 * rank + 1, useRslora, tokens, seed, label: 'check', needsGradInput }, w);
  const a = await readTensor(gpu, layer.loraA);
  const b = uniformArray(random, outDim * rank);
  const x = uniformArray(random, tokens * inDim);
  const dy = uniformArray(random, tokens * outDim);
  writeTensor(gpu, layer.loraB, b);
  writeTensor(gpu, layer.io.input, x);
  writeTensor(gpu, layer.io.gradOutput, dy);
  return { layer, w, a, b, x, dy };
}

function referenceLayer(f: Filled) {
  const { inFeatures: inDim, outFeatures: outDim, rank } = f.layer.config;
  return { weight: f.w, loraA: f.a, loraB: f.b, inDim, outDim, rank, scaling: f.layer.scaling };
}

export function loraChecks(): KernelCheck[] {
  const noGradInput: KernelCheck = {
    name: 'LoRALinear without dX (input is data): dA and dB match the reference, no dX buffer exists',
    async run(gpu) {
      const shape = [17, 65, 33, 8];
      const f = await filledLayer(gpu, shape, false, 3, false);
      f.layer.forward();
      f.layer.backward();
      const ref = loraBackwardReference(referenceLayer(f), f.x, f.dy, shape[0]);
      const result = resultOf('LoRALinear without dX', {
        dA: { got: await readTensor(gpu, f.layer.gradA), ref: ref.dA },
        dB: { got: await readTensor(gpu, f.layer.gradB), ref: ref.dB },
      });
      const dx = f.layer.io.gradInput;
      return dx === null ? result : { ...result, ok: false, detail: `a dX buffer (${dx.label}) was allocated though nothing reads it` };
    },
  };
  const checks: KernelCheck[] = LAYERS.map((shape, i) => {
    const useRslora = i % 4 === 3;
    const [tokens, inDim, outDim] = shape;
    const path = (mode: 'training' | 'evaluation') => (foldsAdapter(tokens, inDim, outDim, mode) ? 'folded' : 'low-rank');
    const name = `LoRALinear N=${tokens} in=${inDim} out=${outDim} r=${shape[3]}${useRslora ? ' rsLoRA' : ''} (training ${path('training')}, evaluation ${path('evaluation')})`;
    return {
      name,
      async run(gpu) {
        const f = await filledLayer(gpu, shape, useRslora, 7 + i);
        f.layer.forward();
        const trainY = await readTensor(gpu, f.layer.io.output);
        f.layer.backward();
        const ref = loraBackwardReference(referenceLayer(f), f.x, f.dy, tokens);
        const fwd = loraForwardReference(referenceLayer(f), f.x, tokens);
        const parts = {
          'Y (train)': { got: trainY, ref: fwd.y },
          dA: { got: await readTensor(gpu, f.layer.gradA), ref: ref.dA },
          dB: { got: await readTensor(gpu, f.layer.gradB), ref: ref.dB },
          dX: { got: await readTensor(gpu, gradInputOf(f.layer.io, 'check')), ref: ref.dx },
        };
        f.layer.training = false;
        f.layer.forward();
        const result = resultOf(name, { ...parts, 'Y (eval)': { got: await readTensor(gpu, f.layer.io.output), ref: fwd.y } });
        const ran = f.layer.forwardPath;
        return ran.training === path('training') && ran.evaluation === path('evaluation')
          ? result
          : { ...result, ok: false, detail: `the layer ran training ${ran.training}, evaluation ${ran.evaluation}; ${result.detail}` };
      },
    };
  });

  checks.push({
    name: 'LoRALinear with lora_dropout 0.25: training uses the mask in both passes, evaluation none',
    async run(gpu) {
      const random = seededRandom(21);
      const [tokens, inDim, outDim, rank] = [17, 33, 20, 4];
      const w = uniformArray(random, outDim * inDim);
      const layer = await LoRALinear.create(gpu, { inFeatures: inDim, outFeatures: outDim, rank, alpha: 8, tokens, dropout: 0.25, seed: 3 }, w);
      const [b, x, dy] = [uniformArray(random, outDim * rank), uniformArray(random, tokens * inDim), uniformArray(random, tokens * outDim)];
      writeTensor(gpu, layer.loraB, b);
      writeTensor(gpu, layer.io.input, x);
      writeTensor(gpu, layer.io.gradOutput, dy);
      layer.setDropoutSeed(1234);
      layer.forward();
      const trainY = await readTensor(gpu, layer.io.output);
      layer.backward();
      const ref = { weight: w, loraA: await readTensor(gpu, layer.loraA), loraB: b, inDim, outDim, rank, scaling: layer.scaling };
      const withDropout = { ...ref, dropout: { p: 0.25, seed: 1234 } };
      const grads = loraBackwardReference(withDropout, x, dy, tokens);
      const parts = {
        'Y (train)': { got: trainY, ref: loraForwardReference(withDropout, x, tokens).y },
        dA: { got: await readTensor(gpu, layer.gradA), ref: grads.dA },
        dB: { got: await readTensor(gpu, layer.gradB), ref: grads.dB },
        dX: { got: await readTensor(gpu, layer.io.gradInput!), ref: grads.dx },
      };
      layer.training = false;
      layer.forward();
      return resultOf(this.name, { ...parts, 'Y (eval)': { got: await readTensor(gpu, layer.io.output), ref: loraForwardReference(ref, x, tokens).y } });
    },
  });

  // (N, in, out): the low-rank path, and the folded one (W' = W + s·0·A = W).
  for (const [tokens, inDim, outDim] of [[17, 65, 33], [130, 33, 65]]) checks.push({
    name: `LoRALinear at init (B = 0) outputs exactly the base X·Wᵀ, N=${tokens} in=${inDim} out=${outDim} (${foldsAdapter(tokens, inDim, outDim, 'training') ? 'folded' : 'low-rank'})`,
    async run(gpu) {
      const random = seededRandom(3);
      const layer = await LoRALinear.create(gpu, { inFeatures: inDim, outFeatures: outDim, rank: 8, alpha: 16, tokens }, uniformArray(random, outDim * inDim));
      writeTensor(gpu, layer.io.input, uniformArray(random, tokens * inDim));
      layer.forward();
      const adapted = await readTensor(gpu, layer.io.output);
      const baseOut = await createTensor(gpu, 'check.base', [tokens, outDim]);
      const base = await createMatmul(gpu, { label: 'check.base', c: baseOut, a: layer.io.input, b: layer.weight, m: tokens, n: outDim, k: inDim, transB: true });
      submitDispatches(gpu, 'check.base', [base]);
      const baseValues = await readTensor(gpu, baseOut);
      const differing = adapted.findIndex((v, j) => v !== baseValues[j]);
      return assertion(this.name, differing === -1, differing === -1 ? `${adapted.length} outputs bit-identical` : `differs at ${differing}`);
    },
  });

  checks.push({
    name: 'LoRALinear refuses a backward after an evaluation forward that folded (it computes no H)',
    async run(gpu) {
      const f = await filledLayer(gpu, [130, 65, 130, 4], false, 13);
      f.layer.training = false;
      f.layer.forward();
      let message = '';
      try {
        f.layer.backward();
      } catch (e) {
        message = (e as Error).message;
      }
      return assertion(this.name, message.includes('training mode'), message ? `threw: ${message}` : 'backward ran on a stale H');
    },
  });

  checks.push({
    name: 'merge on the GPU: merged output equals unmerged; unmerge restores W',
    async run(gpu) {
      const shape = [33, 130, 65, 16];
      const f = await filledLayer(gpu, shape, false, 11);
      f.layer.forward();
      const unmerged = await readTensor(gpu, f.layer.io.output);
      f.layer.merge();
      f.layer.forward();
      const merged = await readTensor(gpu, f.layer.io.output);
      f.layer.unmerge();
      const restored = await readTensor(gpu, f.layer.weight);
      const tol = { atol: 1e-5, rtol: 1e-5 };
      return resultOf(this.name, { 'Y merged vs unmerged': { got: merged, ref: unmerged }, 'W after unmerge': { got: restored, ref: f.w } }, tol);
    },
  });

  checks.push({
    name: 'freeze: base gradient is null, dA = 0 and dB ≠ 0 at step 0, base bits unchanged after 2 AdamW steps',
    async run(gpu) {
      const random = seededRandom(5);
      const [tokens, inDim, outDim, rank] = [17, 33, 65, 4];
      const layer = await LoRALinear.create(gpu, { inFeatures: inDim, outFeatures: outDim, rank, alpha: 8, tokens }, uniformArray(random, outDim * inDim));
      writeTensor(gpu, layer.io.input, uniformArray(random, tokens * inDim));
      writeTensor(gpu, layer.io.gradOutput, uniformArray(random, tokens * outDim));
      const before = { w: await fingerprintTensor(gpu, layer.weight), a: await fingerprintTensor(gpu, layer.loraA), b: await fingerprintTensor(gpu, layer.loraB) };
      const optimizer = await AdamW.create(gpu, layer.parameters(), await createFixedGuard(gpu), { lr: 1e-2 });
      const problems: string[] = [];
      for (let step = 0; step < 2; step++) {
        submitDispatches(gpu, 'freeze.step', [...layer.forwardDispatches(), ...layer.backwardDispatches()]);
        if (step === 0) {
          const dA = await readTensor(gpu, layer.gradA);
          const dB = await readTensor(gpu, layer.gradB);
          if (dA.some((v) => v !== 0)) problems.push('dA is not exactly zero at step 0');
          if (!dB.some((v) => v !== 0)) problems.push('dB is all zero at step 0');
        }
        optimizer.step();
      }
      if (layer.gradWeight !== null) problems.push('base gradient is not null');
      const after = { w: await fingerprintTensor(gpu, layer.weight), a: await fingerprintTensor(gpu, layer.loraA), b: await fingerprintTensor(gpu, layer.loraB) };
      if (after.w !== before.w) problems.push(`base fingerprint changed ${before.w} → ${after.w}`);
      if (after.a === before.a) problems.push('A did not change');
      if (after.b === before.b) problems.push('B did not change');
      optimizer.destroy();
      return assertion(this.name, problems.length === 0, problems.join('; ') || `base ${after.w} unchanged; A ${before.a}→${after.a}; B ${before.b}→${after.b}`);
    },
  });
  checks.push(noGradInput);
  return checks;
}
