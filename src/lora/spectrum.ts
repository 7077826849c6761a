// The spectrum of a LoRA update ΔW = s·B·A without forming ΔW (plain TypeScript on the CPU).
// B (out, r) = Q_B·R_B and Aᵀ (in, r) = Q_A·R_A by thin Householder QR, so
//   ΔW = Q_B · (s·R_B·R_Aᵀ) · Q_Aᵀ
// and ΔW's singular values are those of the small core C = s·R_B·R_Aᵀ (at most r×r): O((in+out)·r²)
// work plus O(r³). The core's SVD comes from the symmetric Jacobi eigen-decomposition of CᵀC,
// with σ_i = ‖C·v_i‖ (not √λ_i, which would lose the small ones). The float64 specification is
// src/reference/svd.ts (one-sided Jacobi on the dense matrix); the two share no code.

export interface Spectrum {
  /** min(r, out, in) singular values of ΔW, descending. */
  singularValues: number[];
  /** Roy & Vetterli's effective rank exp(H(p)), p = σ/Σσ; 0 when ΔW = 0. */
  effectiveRank: number;
  /** Count of σ above NUMERICAL_RANK_TOL·σ_max. */
  numericalRank: number;
  /** ‖ΔW‖_F = √Σσ². */
  frobenius: number;
  /** With `vectors`: left singular vectors (out, k) and right ones (in, k), row-major, k = singularValues.length. */
  u?: Float64Array;
  v?: Float64Array;
}

export const NUMERICAL_RANK_TOL = 1e-6;

/**
 * Thin QR of a row-major (rows, cols) matrix by Householder reflections: Q (rows, p) with
 * orthonormal columns and R (p, cols) upper trapezoidal, p = min(rows, cols). A zero column
 * leaves its reflection out (R's diagonal gets 0 there, Q stays orthonormal).
 */
export function householderQR(m: ArrayLike<number>, rows: number, cols: number): { q: Float64Array; r: Float64Array; p: number } {
  const p = Math.min(rows, cols);
  const a = Float64Array.from(m);
  const vs: (Float64Array | null)[] = [];
  for (let j = 0; j < p; j++) {
    let norm = 0;
    for (let i = j; i < rows; i++) norm += a[i * cols + j] ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) {
      vs.push(null);
      continue;
    }
    const x0 = a[j * cols + j];
    const alpha = x0 >= 0 ? -norm : norm; // the sign that avoids cancellation in v₀ = x₀ − α
    const v = new Float64Array(rows - j);
    for (let i = j; i < rows; i++) v[i - j] = a[i * cols + j];
    v[0] -= alpha;
    let vNorm = 0;
    for (const x of v) vNorm += x * x;
    vNorm = Math.sqrt(vNorm);
    for (let i = 0; i < v.length; i++) v[i] /= vNorm;
    reflect(a, v, j, cols, j, cols);
    vs.push(v);
  }
  const r = new Float64Array(p * cols);
  for (let i = 0; i < p; i++) for (let j = i; j < cols; j++) r[i * cols + j] = a[i * cols + j];
  // Q = H₀·H₁·…·H_{p−1} applied to the first p columns of the identity, last reflection first.
  const q = new Float64Array(rows * p);
  for (let j = 0; j < p; j++) q[j * p + j] = 1;
  for (let j = p - 1; j >= 0; j--) if (vs[j]) reflect(q, vs[j]!, j, p, 0, p);
  return { q, r, p };
}

/** M[from:, c0:c1] −= 2·v·(vᵀ·M[from:, c0:c1]) for row-major M of width `width`. */
function reflect(m: Float64Array, v: Float64Array, from: number, width: number, c0: number, c1: number): void {
  for (let c = c0; c < c1; c++) {
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += v[i] * m[(from + i) * width + c];
    if (dot === 0) continue;
    for (let i = 0; i < v.length; i++) m[(from + i) * width + c] -= 2 * dot * v[i];
  }
}

/** Eigen-decomposition of a symmetric (n, n) matrix by cyclic Jacobi rotations: vectors as columns of (n, n). */
function symmetricEigen(k: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(k);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const eps = 2.220446049250313e-16;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += Math.abs(a[i * n + i]);
  // Off-diagonal entries under eps·√(a_pp·a_qq), or under eps²·trace (a Gram matrix's σ² scale:
  // they move no σ by more than eps·σ_max), count as converged.
  const floor = eps * eps * trace;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) <= floor || Math.abs(apq) <= eps * Math.sqrt(Math.abs(a[p * n + p] * a[q * n + q]))) continue;
        rotated = true;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let i = 0; i < n; i++) { // columns p and q of A·J
          const x = a[i * n + p];
          const y = a[i * n + q];
          a[i * n + p] = c * x - s * y;
          a[i * n + q] = s * x + c * y;
        }
        for (let i = 0; i < n; i++) { // rows p and q of Jᵀ·(A·J)
          const x = a[p * n + i];
          const y = a[q * n + i];
          a[p * n + i] = c * x - s * y;
          a[q * n + i] = s * x + c * y;
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
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]), vectors: v };
}

/**
 * SVD of a small row-major (p, q) matrix: σ descending (min(p, q) of them), U (p, k), V (q, k).
 * A zero σ gets a zero left vector.
 */
export function smallSvd(c: ArrayLike<number>, p: number, q: number): { s: number[]; u: Float64Array; v: Float64Array } {
  if (p < q) {
    const t = new Float64Array(q * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < q; j++) t[j * p + i] = c[i * q + j];
    const { s, u, v } = smallSvd(t, q, p);
    return { s, u: v, v: u };
  }
  const gram = new Float64Array(q * q); // CᵀC
  for (let i = 0; i < q; i++) for (let j = i; j < q; j++) {
    let sum = 0;
    for (let r = 0; r < p; r++) sum += c[r * q + i] * c[r * q + j];
    gram[i * q + j] = gram[j * q + i] = sum;
  }
  const { vectors } = symmetricEigen(gram, q);
  const cv = new Float64Array(p * q); // C·V: its column norms are the σ
  for (let r = 0; r < p; r++) for (let j = 0; j < q; j++) {
    let sum = 0;
    for (let i = 0; i < q; i++) sum += c[r * q + i] * vectors[i * q + j];
    cv[r * q + j] = sum;
  }
  const norms = Array.from({ length: q }, (_, j) => {
    let sum = 0;
    for (let r = 0; r < p; r++) sum += cv[r * q + j] ** 2;
    return Math.sqrt(sum);
  });
  const order = norms.map((_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const u = new Float64Array(p * q);
  const v = new Float64Array(q * q);
  order.forEach((j, k) => {
    for (let r = 0; r < p; r++) u[r * q + k] = norms[j] > 0 ? cv[r * q + j] / norms[j] : 0;
    for (let i = 0; i < q; i++) v[i * q + k] = vectors[i * q + j];
  });
  return { s: order.map((j) => norms[j]), u, v };
}

/** Roy & Vetterli (2007): exp of the entropy of p = σ/Σσ; between 1 and the count of nonzero σ, 0 for none. */
export function effectiveRank(singularValues: readonly number[]): number {
  const total = singularValues.reduce((a, x) => a + x, 0);
  if (!(total > 0)) return 0;
  let entropy = 0;
  for (const x of singularValues) if (x > 0) entropy -= (x / total) * Math.log(x / total);
  return Math.exp(entropy);
}

/** σ above tol·σ_max (0 when every σ is 0). */
export function numericalRank(singularValues: readonly number[], tol = NUMERICAL_RANK_TOL): number {
  const max = Math.max(0, ...singularValues);
  return max > 0 ? singularValues.filter((x) => x > tol * max).length : 0;
}

/**
 * The spectrum of ΔW = scale·B·A for B (out, r) and A (r, in), row-major, as the GPU holds them.
 * With `vectors`, also ΔW's singular vectors: U = Q_B·U_C (out, k), V = Q_A·V_C (in, k).
 */
export function loraSpectrum(
  o: { a: ArrayLike<number>; b: ArrayLike<number>; outDim: number; rank: number; inDim: number; scale: number },
  vectors = false,
): Spectrum {
  const { outDim, rank: r, inDim, scale } = o;
  if (o.b.length !== outDim * r || o.a.length !== r * inDim) throw new RangeError(`loraSpectrum: B holds ${o.b.length} values, A ${o.a.length}; (${outDim}, ${r}) and (${r}, ${inDim}) need ${outDim * r} and ${r * inDim}`);
  const aT = new Float64Array(inDim * r);
  for (let k = 0; k < r; k++) for (let j = 0; j < inDim; j++) aT[j * r + k] = o.a[k * inDim + j];
  const qb = householderQR(o.b, outDim, r); // Q_B (out, pb), R_B (pb, r)
  const qa = householderQR(aT, inDim, r); // Q_A (in, pa), R_A (pa, r)
  const core = new Float64Array(qb.p * qa.p); // s·R_B·R_Aᵀ (pb, pa)
  for (let i = 0; i < qb.p; i++) for (let j = 0; j < qa.p; j++) {
    let sum = 0;
    for (let k = 0; k < r; k++) sum += qb.r[i * r + k] * qa.r[j * r + k];
    core[i * qa.p + j] = scale * sum;
  }
  const svd = smallSvd(core, qb.p, qa.p);
  const singularValues = svd.s;
  const spectrum: Spectrum = {
    singularValues,
    effectiveRank: effectiveRank(singularValues),
    numericalRank: numericalRank(singularValues),
    frobenius: Math.sqrt(singularValues.reduce((a, x) => a + x * x, 0)),
  };
  if (vectors) {
    const k = singularValues.length;
    const coreU = svd.u; // (pb, k)
    const coreV = svd.v; // (pa, k)
    spectrum.u = multiply(qb.q, coreU, outDim, qb.p, k);
    spectrum.v = multiply(qa.q, coreV, inDim, qa.p, k);
  }
  return spectrum;
}

/** (m, n) · (n, k), row-major. */
function multiply(x: Float64Array, y: Float64Array, m: number, n: number, k: number): Float64Array {
  const out = new Float64Array(m * k);
  for (let i = 0; i < m; i++) for (let p = 0; p < n; p++) {
    const xv = x[i * n + p];
    if (xv !== 0) for (let j = 0; j < k; j++) out[i * k + j] += xv * y[p * k + j];
  }
  return out;
}

/**
 * Principal angles (radians, ascending, min(p, q) of them) between span(Q1) and span(Q2), whose
 * (n, p) and (n, q) columns are already orthonormal: acos of the singular values of Q1ᵀ·Q2,
 * clamped to [0, 1]. O(n·p·q).
 */
export function principalAngles(q1: ArrayLike<number>, q2: ArrayLike<number>, n: number, p: number, q: number): number[] {
  if (p === 0 || q === 0) return [];
  const m = new Float64Array(p * q);
  for (let r = 0; r < n; r++) for (let i = 0; i < p; i++) {
    const x = q1[r * p + i];
    if (x !== 0) for (let j = 0; j < q; j++) m[i * q + j] += x * q2[r * q + j];
  }
  return smallSvd(m, p, q).s.map((x) => Math.acos(Math.min(1, Math.max(0, x)))).sort((a, b) => a - b);
}

/** The first `k` of `width` columns of a row-major (rows, width) matrix. */
export function leadingColumns(x: Float64Array, rows: number, width: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) for (let j = 0; j < k; j++) out[i * k + j] = x[i * width + j];
  return out;
}
