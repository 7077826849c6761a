// The fast spectrum of ΔW = s·B·A (QR of the factors, SVD of the r×r core) against the float64
// reference's one-sided Jacobi SVD of the dense ΔW, on ragged shapes.
// Tolerance (written): every σ within 1e-10·σ_max of the reference's; the reference's σ past
// min(r, out, in) below 1e-12·σ_max; effective rank within 1e-8; the singular vectors rebuild ΔW
// within 1e-10·σ_max per entry; principal angles within 1e-6 rad (acos resolves about 1e-8).
import { describe, expect, it } from 'vitest';
import { loraDeltaReference, principalAnglesReference, svdReference } from '../reference/svd.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { effectiveRank, householderQR, leadingColumns, loraSpectrum, numericalRank, principalAngles } from './spectrum.ts';

function layer(seed: number, outDim: number, rank: number, inDim: number) {
  const random = seededRandom(seed);
  return { a: uniformArray(random, rank * inDim, 1 / Math.sqrt(inDim)), b: uniformArray(random, outDim * rank, 0.3), outDim, rank, inDim, scale: 2 / rank };
}

function compareWithReference(l: ReturnType<typeof layer>): void {
  const { outDim, rank, inDim, scale } = l;
  const dense = loraDeltaReference(l.b, l.a, outDim, rank, inDim, scale);
  const ref = Array.from(svdReference(dense, outDim, inDim).s);
  const fast = loraSpectrum(l, true);
  const k = Math.min(rank, outDim, inDim);
  const max = Math.max(ref[0], 1e-300);
  expect(fast.singularValues).toHaveLength(k);
  fast.singularValues.forEach((x, i) => expect(Math.abs(x - ref[i])).toBeLessThanOrEqual(1e-10 * max));
  for (const x of ref.slice(k)) expect(x).toBeLessThanOrEqual(1e-12 * max);
  expect(Math.abs(fast.effectiveRank - effectiveRank(ref.slice(0, k)))).toBeLessThan(1e-8);
  expect(fast.frobenius).toBeCloseTo(Math.sqrt(dense.reduce((a, x) => a + x * x, 0)), 10);
  // U·diag(σ)·Vᵀ rebuilds ΔW.
  for (let i = 0; i < outDim; i++) {
    for (let j = 0; j < inDim; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += fast.u![i * k + p] * fast.singularValues[p] * fast.v![j * k + p];
      expect(Math.abs(sum - dense[i * inDim + j])).toBeLessThanOrEqual(1e-10 * max);
    }
  }
}

describe('loraSpectrum matches the float64 SVD of the dense ΔW', () => {
  for (const [out, r, inDim] of [
    [7, 3, 5], [1, 1, 5], [5, 1, 1], [33, 2, 17], [17, 1, 33], [4, 6, 9], [9, 6, 4], [5, 8, 3], [64, 8, 64], [12, 12, 12],
  ]) {
    it(`out=${out} r=${r} in=${inDim}`, () => compareWithReference(layer(out * 100 + r * 10 + inDim, out, r, inDim)));
  }

  it('B = 0 (initialisation): an all-zero spectrum, effective rank 0', () => {
    const l = { ...layer(3, 12, 4, 9), b: new Float32Array(12 * 4) };
    const s = loraSpectrum(l, true);
    expect(s.singularValues).toEqual([0, 0, 0, 0]);
    expect(s.effectiveRank).toBe(0);
    expect(s.numericalRank).toBe(0);
    expect(s.frobenius).toBe(0);
  });

  it('a rank-deficient B (two equal columns, one zero): rank 1 at r = 3', () => {
    const l = layer(4, 10, 3, 8);
    for (let i = 0; i < 10; i++) {
      l.b[i * 3 + 1] = l.b[i * 3];
      l.b[i * 3 + 2] = 0;
    }
    compareWithReference(l);
    const s = loraSpectrum(l);
    expect(s.numericalRank).toBe(1);
    expect(s.effectiveRank).toBeCloseTo(1, 6);
  });

  it('widely spread singular values (1 … 1e-5) keep their small ones', () => {
    // B = diag-like scaling of orthonormal-ish columns: σ spans five decades.
    const l = layer(6, 20, 5, 16);
    for (let i = 0; i < 20; i++) for (let k = 0; k < 5; k++) l.b[i * 5 + k] *= 10 ** -k;
    compareWithReference(l);
  });
});

describe('effective and numerical rank', () => {
  it('equal σ: exp(H) is their count; one σ: 1; none: 0', () => {
    expect(effectiveRank([2, 2, 2, 2])).toBeCloseTo(4, 12);
    expect(effectiveRank([5, 0, 0])).toBe(1);
    expect(effectiveRank([0, 0])).toBe(0);
    expect(numericalRank([1, 1e-3, 1e-7, 0])).toBe(2);
  });
});

describe('principalAngles against the reference', () => {
  it('orthonormal bases from QR: equal to the reference', () => {
    const random = seededRandom(8);
    for (const [n, p, q] of [[10, 3, 2], [7, 1, 4], [33, 5, 5]]) {
      const x = uniformArray(random, n * p);
      const y = uniformArray(random, n * q);
      // Mix in a shared direction so some angles are small.
      for (let i = 0; i < n; i++) y[i * q] = x[i * p] + 0.01 * y[i * q];
      const qx = householderQR(x, n, p);
      const qy = householderQR(y, n, q);
      const fast = principalAngles(qx.q, qy.q, n, qx.p, qy.p);
      const ref = principalAnglesReference(x, y, n, p, q);
      expect(fast).toHaveLength(ref.length);
      fast.forEach((a, i) => expect(Math.abs(a - ref[i])).toBeLessThan(1e-6));
    }
  });

  it('ΔW’s top singular vectors against a known subspace', () => {
    const l = layer(9, 16, 3, 12);
    const s = loraSpectrum(l, true);
    // span of ΔW's columns is span of B's columns.
    const qb = householderQR(l.b, 16, 3);
    for (const angle of principalAngles(s.u!, qb.q, 16, 3, 3)) expect(angle).toBeLessThan(1e-6);
    expect(leadingColumns(s.u!, 16, 3, 2)).toHaveLength(32);
  });
});
