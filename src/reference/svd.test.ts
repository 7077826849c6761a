// The float64 SVD and principal angles on matrices whose answer is known by construction.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../util/random.ts';
import { loraDeltaReference, principalAnglesReference, svdReference } from './svd.ts';

/** (m, k) with orthonormal columns: Gram–Schmidt of a seeded Gaussian. */
function orthonormal(seed: number, m: number, k: number): Float64Array {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const q = new Float64Array(m * k);
  for (let j = 0; j < k; j++) {
    const v = Float64Array.from({ length: m }, normal);
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += v[i] * q[i * k + p];
      for (let i = 0; i < m; i++) v[i] -= dot * q[i * k + p];
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < m; i++) q[i * k + j] = v[i] / norm;
  }
  return q;
}

/** U·diag(s)·Vᵀ for U (m, k), V (n, k). */
function compose(u: Float64Array, s: number[], v: Float64Array, m: number, n: number): Float64Array {
  const k = s.length;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) out[i * n + j] += u[i * k + p] * s[p] * v[j * k + p];
  return out;
}

function expectReconstructs(a: Float64Array, m: number, n: number): void {
  const { s, u, v } = svdReference(a, m, n);
  const back = compose(u, [...s], v, m, n);
  const scale = Math.max(1e-300, ...Array.from(a, Math.abs));
  for (let i = 0; i < a.length; i++) expect(Math.abs(back[i] - a[i])).toBeLessThan(1e-12 * scale * Math.max(m, n));
  for (let i = 1; i < s.length; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
}

describe('svdReference', () => {
  it('a diagonal matrix: its absolute diagonal, sorted', () => {
    const a = new Float64Array(16);
    [3, -7, 0.5, 2].forEach((x, i) => (a[i * 4 + i] = x));
    expect(Array.from(svdReference(a, 4, 4).s)).toEqual([7, 3, 2, 0.5]);
    expectReconstructs(a, 4, 4);
  });

  it('the zero matrix: all zeros', () => {
    expect(Array.from(svdReference(new Float64Array(6), 2, 3).s)).toEqual([0, 0]);
  });

  for (const [m, n, s] of [
    [7, 3, [5, 2, 1e-3]],
    [3, 7, [4, 1, 0.25]],
    [1, 5, [2.5]],
    [5, 1, [0.75]],
    [33, 2, [10, 1e-6]],
    [2, 33, [1, 1]],
    [12, 12, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0.5, 0.25, 0.125]],
  ] as [number, number, number[]][]) {
    it(`random orthogonal × diag × orthogonal, ${m}×${n}`, () => {
      const a = compose(orthonormal(m * 7 + n, m, s.length), s, orthonormal(m * 11 + n + 1, n, s.length), m, n);
      const got = svdReference(a, m, n).s;
      expect(got.length).toBe(Math.min(m, n));
      s.forEach((x, i) => expect(Math.abs(got[i] - x)).toBeLessThan(1e-13 * s[0]));
      expectReconstructs(a, m, n);
    });
  }

  it('rank-deficient (rank 2 in 6×5): the rest are zero to rounding, the vectors still reconstruct', () => {
    const a = compose(orthonormal(1, 6, 2), [3, 1], orthonormal(2, 5, 2), 6, 5);
    const { s } = svdReference(a, 6, 5);
    expect(s[0]).toBeCloseTo(3, 13);
    expect(s[1]).toBeCloseTo(1, 13);
    for (const x of s.slice(2)) expect(x).toBeLessThan(1e-14);
    expectReconstructs(a, 6, 5);
  });

  it('singular vectors are orthonormal', () => {
    const random = seededRandom(5);
    const a = Float64Array.from({ length: 9 * 4 }, () => random() - 0.5);
    const { u, v } = svdReference(a, 9, 4);
    for (const [x, rows] of [[u, 9], [v, 4]] as const) {
      for (let p = 0; p < 4; p++) {
        for (let q = 0; q < 4; q++) {
          let dot = 0;
          for (let i = 0; i < rows; i++) dot += x[i * 4 + p] * x[i * 4 + q];
          expect(dot).toBeCloseTo(p === q ? 1 : 0, 12);
        }
      }
    }
  });
});

describe('principalAnglesReference', () => {
  it('a space with itself (in another basis): all zero', () => {
    const q = orthonormal(3, 10, 3);
    const mixed = new Float64Array(30); // q times an invertible 3×3
    const g = [2, 1, 0, 0, 1, -1, 1, 0, 3];
    for (let i = 0; i < 10; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) mixed[i * 3 + j] += q[i * 3 + k] * g[k * 3 + j];
    for (const angle of principalAnglesReference(q, mixed, 10, 3, 3)) expect(angle).toBeLessThan(1e-7);
  });

  it('coordinate planes: known angles', () => {
    // span(e1, e2) against span(e1, cos θ e2 + sin θ e3) in R⁴: angles 0 and θ.
    const theta = 0.3;
    const x = new Float64Array([1, 0, 0, 1, 0, 0, 0, 0]);
    const y = new Float64Array([1, 0, 0, Math.cos(theta), 0, Math.sin(theta), 0, 0]);
    const [a, b] = principalAnglesReference(x, y, 4, 2, 2);
    expect(a).toBeLessThan(1e-7);
    expect(b).toBeCloseTo(theta, 12);
  });

  it('orthogonal spaces: π/2; a rank-deficient basis counts its rank only; unequal widths give min(p, q) angles', () => {
    const x = new Float64Array([1, 0, 0, 0, 0, 0]); // e1 and a zero column in R³ (3×2)
    const y = new Float64Array([0, 0, 1]); // e3 (3×1)
    expect(principalAnglesReference(x, y, 3, 2, 1)).toEqual([Math.PI / 2]);
    const wide = orthonormal(9, 8, 5);
    const narrow = Float64Array.from({ length: 16 }, (_, i) => wide[(i >> 1) * 5 + (i & 1)]); // its first two columns
    const angles = principalAnglesReference(wide, narrow, 8, 5, 2);
    expect(angles).toHaveLength(2);
    for (const angle of angles) expect(angle).toBeLessThan(1e-7);
  });
});

describe('loraDeltaReference', () => {
  it('s·B·A', () => {
    // B = [[1], [2]] (2×1), A = [[3, 4, 5]] (1×3), s = 0.5
    expect(Array.from(loraDeltaReference([1, 2], [3, 4, 5], 2, 1, 3, 0.5))).toEqual([1.5, 2, 2.5, 3, 4, 5]);
  });
});
