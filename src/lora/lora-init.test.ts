// PiSSA and OLoRA init (src/lora/lora-init.ts) against the float64 reference (src/reference/lora-init.ts).
import { describe, expect, it } from 'vitest';
import { oloraDeltaReference, pissaDeltaReference } from '../reference/lora-init.ts';
import { svdReference } from '../reference/svd.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { decomposedInit } from './lora-init.ts';

const product = (b: ArrayLike<number>, a: ArrayLike<number>, out: number, r: number, inDim: number, s: number) =>
  Float64Array.from({ length: out * inDim }, (_, idx) => {
    const o = Math.floor(idx / inDim);
    const i = idx % inDim;
    let sum = 0;
    for (let p = 0; p < r; p++) sum += b[o * r + p] * a[p * inDim + i];
    return s * sum;
  });

function maxDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

// Ragged shapes, tall and wide, ranks from 1 to min(out, in).
const SHAPES: [number, number, number][] = [[17, 5, 3], [5, 17, 3], [33, 33, 4], [3, 3, 3], [65, 13, 1]];

describe.each(SHAPES)('(out %i, in %i) at rank %i', (outDim, inDim, rank) => {
  const w = uniformArray(seededRandom(outDim * 31 + inDim), outDim * inDim, 1 / Math.sqrt(inDim));
  const scaling = 2 / rank;

  it('PiSSA: s·B·A is the best rank-r approximation, and W_res + s·B·A = W', () => {
    const { loraA, loraB, residual } = decomposedInit('pissa', w, outDim, inDim, rank, scaling);
    const delta = product(loraB, loraA, outDim, rank, inDim, scaling);
    expect(maxDiff(delta, pissaDeltaReference(w, outDim, inDim, rank))).toBeLessThan(1e-5); // f32 factors
    expect(maxDiff(delta.map((d, i) => d + residual[i]), w)).toBeLessThan(1e-6); // W_res rounded to f32
    // A's rows are σ_p/s times orthonormal: A·Aᵀ = diag(σ_r / s).
    const sigma = svdReference(w, outDim, inDim).s;
    for (let p = 0; p < rank; p++) {
      let sq = 0;
      for (let i = 0; i < inDim; i++) sq += loraA[p * inDim + i] ** 2;
      expect(sq).toBeCloseTo(sigma[p] / scaling, 5);
    }
  });

  it('OLoRA: B = Q_r with orthonormal columns, A = R_r upper trapezoidal with LAPACK signs, W_res + s·B·A = W', () => {
    const { loraA, loraB, residual } = decomposedInit('olora', w, outDim, inDim, rank, scaling);
    const delta = product(loraB, loraA, outDim, rank, inDim, scaling);
    expect(maxDiff(delta, oloraDeltaReference(w, outDim, inDim, rank, scaling))).toBeLessThan(1e-5);
    expect(maxDiff(delta.map((d, i) => d + residual[i]), w)).toBeLessThan(1e-6);
    for (let p = 0; p < rank; p++) {
      for (let q = 0; q < rank; q++) {
        let dot = 0;
        for (let o = 0; o < outDim; o++) dot += loraB[o * rank + p] * loraB[o * rank + q];
        expect(dot).toBeCloseTo(p === q ? 1 : 0, 6);
      }
      for (let i = 0; i < p; i++) expect(loraA[p * inDim + i]).toBe(0);
    }
    // torch.linalg.qr (LAPACK geqrf): R₀₀ = −sign(W₀₀)·‖W[:, 0]‖.
    expect(Math.sign(loraA[0])).toBe(-Math.sign(w[0]));
  });
});

describe('decomposedInit refuses', () => {
  it('a rank above min(out, in) and a W of the wrong size', () => {
    expect(() => decomposedInit('pissa', new Float32Array(12), 3, 4, 4, 1)).toThrow(/rank 4 is larger than min\(in, out\) = 3/);
    expect(() => decomposedInit('olora', new Float32Array(11), 3, 4, 2, 1)).toThrow(/W holds 11 values, \(3, 4\) needs 12/);
    expect(() => decomposedInit(undefined as unknown as 'pissa', new Float32Array(12), 3, 4, 2, 1)).toThrow(/must be pissa or olora here, got undefined/);
  });
});
