// PiSSA and OLoRA initialisation (PEFT's init_lora_weights="pissa" / "olora"), in float64 on the
// CPU, once per layer when it is built. Both take A and B from a decomposition of the base W
// (out, in) and replace the base by the residual W_res = W − s·B·A, so the layer computes W at
// step 0 exactly as plain LoRA does (up to the f32 rounding of W_res):
//   PiSSA  W = U·diag(σ)·Vᵀ (SVD):  A = diag(√(σ_r/s))·V_rᵀ (r, in),  B = U_r·diag(√(σ_r/s)) (out, r)
//          so s·B·A is W's best rank-r approximation (PEFT's pissa_init, tuners/lora/layer.py)
//   OLoRA  W = Q·R (Householder QR):  A = R[:r] (r, in),  B = Q[:, :r] (out, r)   (PEFT's olora_init)
// The QR takes LAPACK's signs (R's diagonal −sign(x₀)·‖x‖), as torch.linalg.qr does.
import { householderQR, smallSvd } from './spectrum.ts';

export { LORA_INITS, type LoraInit } from './lora-math.ts';

export interface DecomposedInit {
  loraA: Float32Array; // (r, in)
  loraB: Float32Array; // (out, r)
  /** W − s·B·A (out, in), computed in float64 from the f32 A and B the layer will hold. */
  residual: Float32Array;
}

/** PiSSA or OLoRA factors of W (out, in) and the residual base that goes with them. */
export function decomposedInit(kind: 'pissa' | 'olora', weight: ArrayLike<number>, outDim: number, inDim: number, rank: number, scaling: number): DecomposedInit {
  if (kind !== 'pissa' && kind !== 'olora') throw new RangeError(`init_lora_weights must be pissa or olora here, got ${String(kind)}`);
  if (weight.length !== outDim * inDim) throw new RangeError(`W holds ${weight.length} values, (${outDim}, ${inDim}) needs ${outDim * inDim}`);
  if (rank > Math.min(outDim, inDim)) throw new RangeError(`rank ${rank} is larger than min(in, out) = ${Math.min(outDim, inDim)}`);
  const { a, b } = kind === 'pissa' ? pissaFactors(weight, outDim, inDim, rank, scaling) : oloraFactors(weight, outDim, inDim, rank);
  const loraA = Float32Array.from(a);
  const loraB = Float32Array.from(b);
  const residual = new Float32Array(outDim * inDim);
  for (let o = 0; o < outDim; o++) {
    for (let i = 0; i < inDim; i++) {
      let ba = 0;
      for (let p = 0; p < rank; p++) ba += loraB[o * rank + p] * loraA[p * inDim + i];
      residual[o * inDim + i] = weight[o * inDim + i] - scaling * ba;
    }
  }
  return { loraA, loraB, residual };
}

/** The r leading singular triples of W: thin QR of the taller side first, then the SVD of the square R. */
export function leadingSingularTriples(weight: ArrayLike<number>, outDim: number, inDim: number, rank: number): { s: number[]; u: Float64Array; v: Float64Array } {
  const tall = outDim >= inDim;
  const m = tall ? weight : transpose(weight, outDim, inDim);
  const [rows, cols] = tall ? [outDim, inDim] : [inDim, outDim];
  const { q, r, p } = householderQR(m, rows, cols); // M = Q·R, Q (rows, p), R (p, cols), p = cols
  const svd = smallSvd(r, p, cols); // R = U_R·diag(σ)·V_Rᵀ
  const left = multiply(q, svd.u, rows, p, p); // M's left vectors: Q·U_R (rows, p)
  const take = (x: Float64Array, n: number) => {
    const out = new Float64Array(n * rank);
    for (let i = 0; i < n; i++) for (let j = 0; j < rank; j++) out[i * rank + j] = x[i * p + j];
    return out;
  };
  // For the transposed case, Wᵀ = U'·Σ·V'ᵀ means W = V'·Σ·U'ᵀ.
  const u = tall ? take(left, rows) : take(svd.v, cols);
  const v = tall ? take(svd.v, cols) : take(left, rows);
  return { s: svd.s.slice(0, rank), u, v };
}

function pissaFactors(weight: ArrayLike<number>, outDim: number, inDim: number, rank: number, scaling: number) {
  const { s, u, v } = leadingSingularTriples(weight, outDim, inDim, rank);
  const root = s.map((sigma) => Math.sqrt(sigma / scaling)); // PEFT divides σ by s before the square roots
  const a = new Float64Array(rank * inDim);
  const b = new Float64Array(outDim * rank);
  for (let p = 0; p < rank; p++) for (let i = 0; i < inDim; i++) a[p * inDim + i] = root[p] * v[i * rank + p];
  for (let o = 0; o < outDim; o++) for (let p = 0; p < rank; p++) b[o * rank + p] = u[o * rank + p] * root[p];
  return { a, b };
}

function oloraFactors(weight: ArrayLike<number>, outDim: number, inDim: number, rank: number) {
  const { q, r, p } = householderQR(weight, outDim, inDim); // Q (out, p), R (p, in)
  const a = r.slice(0, rank * inDim);
  const b = new Float64Array(outDim * rank);
  for (let o = 0; o < outDim; o++) for (let j = 0; j < rank; j++) b[o * rank + j] = q[o * p + j];
  return { a, b };
}

function transpose(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
  return t;
}

/** (m, n) · (n, k), row-major. */
function multiply(x: Float64Array, y: Float64Array, m: number, n: number, k: number): Float64Array {
  const out = new Float64Array(m * k);
  for (let i = 0; i < m; i++) for (let l = 0; l < n; l++) {
    const xv = x[i * n + l];
    if (xv !== 0) for (let j = 0; j < k; j++) out[i * k + j] += xv * y[l * k + j];
  }
  return out;
}
