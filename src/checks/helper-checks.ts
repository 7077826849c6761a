// The helper kernels against their references: merge and fold, axpby, sum of squares, fingerprint, AdamW,
// SGD, and the step guard that clips or skips their updates.
import { createTensor, readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { ADAMW_DEFAULTS, createAdamWUpdate } from '../gpu/kernels/adamw.ts';
import { createAxpby, createDropout } from '../gpu/kernels/elementwise.ts';
import { fingerprintTensor } from '../gpu/kernels/fingerprint.ts';
import { createFold, createMerge } from '../gpu/kernels/merge.ts';
import { createSumSquares } from '../gpu/kernels/reduce.ts';
import { createSgdUpdate } from '../gpu/kernels/sgd.ts';
import { createFixedGuard, createKeepFinite, createStepGuard } from '../gpu/kernels/step-guard.ts';
import { adamwReference } from '../reference/adamw.ts';
import { axpbyReference, dropoutReference } from '../reference/elementwise.ts';
import { fingerprintReference } from '../reference/fingerprint.ts';
import { mergeReference } from '../reference/merge.ts';
import { sumSquaresReference } from '../reference/reduce.ts';
import { sgdReference } from '../reference/sgd.ts';
import { stepGuardReference, type GuardState } from '../reference/step-guard.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { assertion, resultOf, type KernelCheck } from './check.ts';

const LENGTHS = [1, 3, 17, 33, 65, 130, 1000, 70_001];
/** The sum's edges: one workgroup exactly full, one value over (two passes), more workgroups than its cap. */
const REDUCE_LENGTHS = [4096, 4097, 300_007];

/** Random W (out, in), A (r, in) and B (out, r), on the CPU and on the GPU. */
async function mergeOperands(gpu: Gpu, outDim: number, inDim: number, rank: number) {
  const random = seededRandom(outDim * 7 + rank);
  const [w, a, b] = [uniformArray(random, outDim * inDim), uniformArray(random, rank * inDim), uniformArray(random, outDim * rank)];
  return {
    w, a, b,
    weight: await createTensor(gpu, 'check.W', [outDim, inDim], w),
    loraA: await createTensor(gpu, 'check.A', [rank, inDim], a),
    loraB: await createTensor(gpu, 'check.B', [outDim, rank], b),
  };
}

export function helperChecks(): KernelCheck[] {
  const checks: KernelCheck[] = [];

  for (const [outDim, inDim, rank, scale] of [[1, 1, 1, 2], [17, 33, 3, 0.5], [130, 65, 64, -1.5], [33, 130, 17, 4]]) {
    const name = `merge W+=${scale}·B·A out=${outDim} in=${inDim} r=${rank}`;
    checks.push({
      name,
      async run(gpu) {
        const { w, a, b, weight, loraA, loraB } = await mergeOperands(gpu, outDim, inDim, rank);
        submitDispatches(gpu, name, [await createMerge(gpu, { label: 'check.merge', weight, loraA, loraB, outDim, inDim, rank, scale })]);
        return resultOf(name, { W: { got: await readTensor(gpu, weight), ref: mergeReference(w, b, a, outDim, inDim, rank, scale) } });
      },
    });
    // fold writes W + s·B·A elsewhere: the same values merge leaves in W, bit for bit, and W untouched.
    const foldName = `fold W'=W+${scale}·B·A out=${outDim} in=${inDim} r=${rank}`;
    checks.push({
      name: foldName,
      async run(gpu) {
        const { w, a, b, weight, loraA, loraB } = await mergeOperands(gpu, outDim, inDim, rank);
        const folded = await createTensor(gpu, "check.W'", [outDim * inDim + 5]); // a shared scratch may be larger
        const spec = { label: 'check.fold', weight, loraA, loraB, outDim, inDim, rank, scale };
        submitDispatches(gpu, foldName, [await createFold(gpu, { ...spec, folded })]);
        const foldedValues = (await readTensor(gpu, folded)).subarray(0, outDim * inDim);
        const untouched = await readTensor(gpu, weight);
        submitDispatches(gpu, foldName, [await createMerge(gpu, spec)]);
        const mergedValues = await readTensor(gpu, weight);
        const result = resultOf(foldName, { "W'": { got: foldedValues, ref: mergeReference(w, b, a, outDim, inDim, rank, scale) } });
        const problems = [
          untouched.some((v, j) => v !== w[j]) ? 'fold wrote into W' : '',
          foldedValues.some((v, j) => v !== mergedValues[j]) ? "W' differs from what the in-place merge leaves in W" : '',
        ].filter(Boolean);
        return problems.length === 0 ? result : { ...result, ok: false, detail: `${problems.join('; ')}; ${result.detail}` };
      },
    });
  }

  for (const n of [...LENGTHS, ...REDUCE_LENGTHS]) {
    checks.push({
      name: `sum of squares n=${n}`,
      async run(gpu) {
        const x = uniformArray(seededRandom(n + 1), n);
        const tx = await createTensor(gpu, 'check.x', [n], x);
        const out = await createTensor(gpu, 'check.norms', [3]);
        const reduce = await createSumSquares(gpu, { label: 'check.sumsq', x: tx, n, out, outIndex: 2 });
        submitDispatches(gpu, this.name, reduce.dispatches);
        const got = await readTensor(gpu, out);
        reduce.destroy();
        return resultOf(this.name, { 'Σx²': { got: [got[2], got[0], got[1]], ref: [sumSquaresReference(x), 0, 0] } });
      },
    });
  }

  for (const n of LENGTHS) {
    checks.push({
      name: `axpby y=0.75x-2y and y=3x (b=0) n=${n}`,
      async run(gpu) {
        const random = seededRandom(n);
        const [x, y] = [uniformArray(random, n), uniformArray(random, n)];
        const tx = await createTensor(gpu, 'check.x', [n], x);
        const ty = await createTensor(gpu, 'check.y', [n], y);
        submitDispatches(gpu, 'axpby', [await createAxpby(gpu, { label: 'check.axpby', x: tx, y: ty, n, a: 0.75, b: -2 })]);
        const first = await readTensor(gpu, ty);
        writeTensor(gpu, ty, new Float32Array(n).fill(NaN)); // b = 0 must not read y
        submitDispatches(gpu, 'axpby', [await createAxpby(gpu, { label: 'check.scale', x: tx, y: ty, n, a: 3, b: 0 })]);
        return resultOf(this.name, {
          'a·x+b·y': { got: first, ref: axpbyReference(x, y, 0.75, -2) },
          'a·x': { got: await readTensor(gpu, ty), ref: axpbyReference(x, y, 3, 0) },
        });
      },
    });

    checks.push({
      name: `fingerprint n=${n}: equals the CPU reference, changes with any flipped bit`,
      async run(gpu) {
        const random = seededRandom(n + 2);
        const data = uniformArray(random, n);
        const tensor = await createTensor(gpu, 'check.data', [n], data);
        const problems: string[] = [];
        const print = await fingerprintTensor(gpu, tensor);
        const expected = fingerprintReference(data);
        if (print !== expected) problems.push(`GPU ${print} ≠ CPU ${expected}`);
        const bits = new Uint32Array(data.buffer);
        for (let trial = 0; trial < 3; trial++) {
          const index = Math.floor(random() * n);
          const bit = Math.floor(random() * 32);
          bits[index] ^= 1 << bit;
          writeTensor(gpu, tensor, data);
          const flipped = await fingerprintTensor(gpu, tensor);
          if (flipped === print) problems.push(`flipping bit ${bit} of word ${index} left it at ${print}`);
          bits[index] ^= 1 << bit;
        }
        writeTensor(gpu, tensor, data);
        const again = await fingerprintTensor(gpu, tensor);
        if (again !== print) problems.push(`restored data gave ${again}, first ${print}`);
        return assertion(this.name, problems.length === 0, problems.join('; ') || `fingerprint ${print}`);
      },
    });
  }

  for (const [n, p] of [[1, 0.5], [130, 0.1], [4099, 0.3]]) {
    checks.push({
      name: `dropout p=${p} n=${n}: the mask of the CPU reference, overwrite and accumulate`,
      async run(gpu) {
        const random = seededRandom(n + 4);
        const [x, y] = [uniformArray(random, n), uniformArray(random, n)];
        const tx = await createTensor(gpu, 'check.x', [n], x);
        const ty = await createTensor(gpu, 'check.y', [n], y);
        const drop = await createDropout(gpu, { label: 'check.dropout', x: tx, y: ty, n, p, accumulate: true });
        drop.setSeed(99);
        submitDispatches(gpu, this.name, [drop.dispatch]);
        const accumulated = await readTensor(gpu, ty);
        const fresh = await createDropout(gpu, { label: 'check.dropout2', x: tx, y: ty, n, p, accumulate: false });
        fresh.setSeed(7);
        submitDispatches(gpu, this.name, [fresh.dispatch]);
        return resultOf(this.name, {
          accumulate: { got: accumulated, ref: dropoutReference(x, y, p, 99) },
          overwrite: { got: await readTensor(gpu, ty), ref: dropoutReference(x, null, p, 7) },
        });
      },
    });
  }

  for (const n of [1, 17, 130, 4099]) {
    checks.push({
      name: `AdamW two steps n=${n} (weight decay, grad scale)`,
      async run(gpu) {
        const random = seededRandom(n + 3);
        const p0 = uniformArray(random, n);
        const grads = [uniformArray(random, n), uniformArray(random, n)];
        const param = await createTensor(gpu, 'check.p', [n], p0);
        const grad = await createTensor(gpu, 'check.g', [n]);
        const update = await createAdamWUpdate(gpu, param, grad, await createFixedGuard(gpu, 0.5));
        const hyper = { ...ADAMW_DEFAULTS, lr: 0.01, weightDecay: 0.1 };
        const state = { param: Float64Array.from(p0), moment1: new Float64Array(n), moment2: new Float64Array(n) };
        for (let t = 1; t <= 2; t++) {
          writeTensor(gpu, grad, grads[t - 1]);
          update.prepare(t, hyper);
          submitDispatches(gpu, 'adamw', [update.dispatch]);
          adamwReference(state, grads[t - 1], t, hyper, 0.5);
        }
        const got = await readTensor(gpu, param);
        update.destroy();
        return resultOf(this.name, { param: { got, ref: state.param } });
      },
    });
  }

  for (const n of [1, 17, 130, 4099]) {
    checks.push({
      name: `SGD two steps n=${n} (L2 weight decay, grad scale)`,
      async run(gpu) {
        const random = seededRandom(n + 11);
        const p0 = uniformArray(random, n);
        const grads = [uniformArray(random, n), uniformArray(random, n)];
        const param = await createTensor(gpu, 'check.p', [n], p0);
        const grad = await createTensor(gpu, 'check.g', [n]);
        const update = await createSgdUpdate(gpu, param, grad, await createFixedGuard(gpu, 0.25));
        const ref = Float64Array.from(p0);
        for (const [t, hyper] of [{ lr: 0.5, weightDecay: 0.1 }, { lr: 3, weightDecay: 0 }].entries()) {
          writeTensor(gpu, grad, grads[t]);
          update.prepare(hyper);
          submitDispatches(gpu, 'sgd', [update.dispatch]);
          sgdReference(ref, grads[t], hyper, 0.25);
        }
        const got = await readTensor(gpu, param);
        update.destroy();
        return resultOf(this.name, { param: { got, ref } });
      },
    });
  }

  // The guard over a sequence of steps: clipping, no clipping, a NaN gradient, an infinite loss,
  // finite steps after them (the first bad step sticks), squares whose f32 sum would overflow.
  for (const nParams of [1, 3, 130]) {
    checks.push({
      name: `step guard: clip, skip, sticky first bad step, overflow-safe norm; ring slots (nParams=${nParams})`,
      async run(gpu) {
        const random = seededRandom(nParams + 5);
        const window = 4;
        const plain = () => Float32Array.from(uniformArray(random, nParams), (v) => v * v * 4);
        const withNaN = () => Object.assign(plain(), { [nParams - 1]: NaN });
        const steps: { loss: number; squares: Float32Array; max: number | null }[] = [
          { loss: 2.5, squares: plain(), max: 0.1 },
          { loss: 1.5, squares: plain(), max: null },
          { loss: 0.5, squares: Float32Array.from({ length: nParams }, () => 3e38), max: 1 },
          { loss: 1, squares: withNaN(), max: 1 },
          { loss: Infinity, squares: plain(), max: 1 },
          { loss: 1, squares: plain(), max: 1 },
        ];
        const squares = await createTensor(gpu, 'check.squares', [nParams]);
        const loss = await createTensor(gpu, 'check.loss', [1]);
        const guard = await createStepGuard(gpu, { squares, loss, nParams, window });
        let state: GuardState = { badStep: 0, gradScale: 1 };
        const got: number[] = [];
        const ref: number[] = [];
        const ringProblems: string[] = [];
        for (const [i, step] of steps.entries()) {
          if (i === 5) {
            guard.clearBadStep(); // the host rolled back: the guard forgets, as the reference does
            state = { ...state, badStep: 0 };
          }
          writeTensor(gpu, squares, step.squares);
          writeTensor(gpu, loss, new Float32Array([step.loss]));
          guard.prepare(i + 1, i % window, step.max);
          submitDispatches(gpu, 'guard', [guard.dispatch]);
          const reading = await guard.read(window);
          state = stepGuardReference(state, i + 1, Math.fround(step.loss), step.squares, step.max);
          got.push(reading.badStep, reading.gradScale);
          ref.push(state.badStep, state.gradScale);
          const slot = i % window;
          if (!Object.is(reading.losses[slot], Math.fround(step.loss))) ringProblems.push(`step ${i + 1}: ring loss ${reading.losses[slot]}`);
          if (!reading.squares[slot].every((v, j) => Object.is(v, step.squares[j]))) ringProblems.push(`step ${i + 1}: ring squares differ`);
        }
        guard.destroy();
        const decisions = resultOf(this.name, { 'badStep, gradScale per step': { got, ref } });
        return ringProblems.length ? assertion(this.name, false, ringProblems.join('; ')) : decisions;
      },
    });
  }

  checks.push({
    name: 'keep-finite copies the parameter while the guard is clear, and not once it holds a bad step',
    async run(gpu) {
      const random = seededRandom(78);
      const n = 1000;
      const [first, second] = [uniformArray(random, n), uniformArray(random, n)];
      const guard = await createFixedGuard(gpu, 1);
      const param = await createTensor(gpu, 'check.p', [n], first);
      const lastFinite = await createTensor(gpu, 'check.lastFinite', [n]);
      const keep = await createKeepFinite(gpu, { guard, param, lastFinite });
      submitDispatches(gpu, 'keep', [keep.dispatch]); // clear: copies `first`
      writeTensor(gpu, param, second);
      gpu.device.queue.writeBuffer(guard, 0, new Uint32Array([2])); // step 2 was non-finite
      submitDispatches(gpu, 'keep', [keep.dispatch]); // holds: keeps `first`
      const result = resultOf(this.name, { lastFinite: { got: await readTensor(gpu, lastFinite), ref: first } });
      keep.destroy();
      guard.destroy();
      return result;
    },
  });

  checks.push({
    name: 'AdamW and SGD change nothing while the guard holds a bad step',
    async run(gpu) {
      const random = seededRandom(77);
      const n = 130;
      const p0 = uniformArray(random, n);
      const guard = await createFixedGuard(gpu, 1);
      gpu.device.queue.writeBuffer(guard, 0, new Uint32Array([3])); // badStep = 3
      const grad = await createTensor(gpu, 'check.g', [n], uniformArray(random, n));
      const pAdam = await createTensor(gpu, 'check.pAdam', [n], p0);
      const pSgd = await createTensor(gpu, 'check.pSgd', [n], p0);
      const adam = await createAdamWUpdate(gpu, pAdam, grad, guard);
      const sgd = await createSgdUpdate(gpu, pSgd, grad, guard);
      adam.prepare(1, { ...ADAMW_DEFAULTS, lr: 0.1 });
      sgd.prepare({ lr: 0.1, weightDecay: 0.1 });
      submitDispatches(gpu, 'skip', [adam.dispatch, sgd.dispatch]);
      const [adamAfter, sgdAfter] = [await readTensor(gpu, pAdam), await readTensor(gpu, pSgd)];
      const unchanged = (after: Float32Array) => after.every((v, i) => v === Math.fround(p0[i]));
      const result = assertion(this.name, unchanged(adamAfter) && unchanged(sgdAfter), `AdamW ${unchanged(adamAfter) ? 'unchanged' : 'changed'}, SGD ${unchanged(sgdAfter) ? 'unchanged' : 'changed'}`);
      adam.destroy();
      sgd.destroy();
      guard.destroy();
      return result;
    },
  });
  return checks;
}
