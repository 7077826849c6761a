// CPU reference for the spectra of a learned update (src/lora/spectrum.ts), in float64. This is
// the specification: the singular value decomposition of a dense matrix by one-sided Jacobi
// (Hestenes), and the principal angles between two column spaces. It shares no code with the
// fast path, which never forms the dense ΔW.

export interface SvdReference {
  /** min(m, n) singular values, descending. */
  s: Float64Array;
  /** (m, k) left singular vectors as columns, row-major, k = min(m, n). */
  u: Float64Array;
  /** (n, k) right singular vectors as columns, row-major: M = U·diag(s)·Vᵀ. */
  v: Float64Array;
}

/**
 * The thin SVD of a row-major (m, n) matrix by one-sided Jacobi: columns are rotated in pairs
 * until every pair is orthogonal to working precision; the column norms are then the singular
 * values. A wide matrix is decomposed through its transpose. A zero column gets σ = 0 and a zero
 * singular vector.
 */
export function svdReference(matrix: ArrayLike<number>, m: number, n: number): SvdReference {
  if (matrix.length !== m * n) throw new RangeError(`svdReference: ${matrix.length} values for (${m}, ${n})`);
  if (m < n) {
    const t = new Float64Array(n * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = matrix[i * n + j];
    const { s, u, v } = svdReference(t, n, m);
    return { s, u: v, v: u };
  }
  // Tall (m ≥ n): work on the columns of W = M·V, V starting as the identity.
  const w = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let j = 0; j < n; j++) v[j * n + j] = 1;
  const eps = 2.220446049250313e-16;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = w[i * n + p];
          const y = w[i * n + q];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        // The rotation that zeroes the (p, q) entry of WᵀW.
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = w[i * n + p];
          const y = w[i * n + q];
          w[i * n + p] = c * x - s * y;
          w[i * n + q] = s * x + c * y;
        }
        for (let i = 0; i < n; i++) {
          const x = v[i * n + p];
          const y = v[i * n + q];
          v[i * n + p] = c * x - s * y;
          v[i * n + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: n }, (_, j) => {
    let sum = 0;
    for (let i = 0; i < m; i++) sum += w[i * n + j] ** 2;
    return Math.sqrt(sum);
  });
  const order = norms.map((_, j) => j).sort((a, b) => norms[b] - norms[a]);
  const s = new Float64Array(n);
  const u = new Float64Array(m * n);
  const vs = new Float64Array(n * n);
  order.forEach((j, k) => {
    s[k] = norms[j];
    for (let i = 0; i < m; i++) u[i * n + k] = norms[j] > 0 ? w[i * n + j] / norms[j] : 0;
    for (let i = 0; i < n; i++) vs[i * n + k] = v[i * n + j];
  });
  return { s, u, v: vs };
}

/**
 * An orthonormal basis of the column space of a row-major (m, n) matrix: its left singular
 * vectors whose σ is above `relTol`·σ_max (the numerical rank). Returns (m, k) row-major and k.
 */
export function orthonormalBasisReference(matrix: ArrayLike<number>, m: number, n: number, relTol = 1e-10): { q: Float64Array; k: number } {
  const { s, u } = svdReference(matrix, m, n);
  const width = Math.min(m, n);
  const k = s.filter((x) => x > relTol * s[0] && x > 0).length;
  const q = new Float64Array(m * k);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) q[i * k + j] = u[i * width + j];
  return { q, k };
}

/**
 * Principal angles (radians, ascending) between the column spaces of X (m, p) and Y (m, q):
 * orthonormalise each (Q1, Q2), then θ_i = acos σ_i(Q1ᵀ·Q2), σ clamped to [0, 1]. There are
 * min(rank X, rank Y) of them. (acos resolves angles down to about 1e-8.)
 */
export function principalAnglesReference(x: ArrayLike<number>, y: ArrayLike<number>, m: number, p: number, q: number): number[] {
  const a = orthonormalBasisReference(x, m, p);
  const b = orthonormalBasisReference(y, m, q);
  if (a.k === 0 || b.k === 0) return [];
  const c = new Float64Array(a.k * b.k);
  for (let i = 0; i < a.k; i++) {
    for (let j = 0; j < b.k; j++) {
      let sum = 0;
      for (let r = 0; r < m; r++) sum += a.q[r * a.k + i] * b.q[r * b.k + j];
      c[i * b.k + j] = sum;
    }
  }
  const { s } = svdReference(c, a.k, b.k);
  return Array.from(s, (x) => Math.acos(Math.min(1, Math.max(0, x)))).sort((u, v) => u - v);
}

/** Dense (m, n) product s·B·A with B (m, r) and A (r, n), in float64: the ΔW the fast path never forms. */
export function loraDeltaReference(b: ArrayLike<number>, a: ArrayLike<number>, m: number, r: number, n: number, scale: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < r; k++) sum += b[i * r + k] * a[k * n + j];
      out[i * n + j] = scale * sum;
    }
  }
  return out;
}
