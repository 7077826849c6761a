// CPU reference (float64) for PiSSA and OLoRA initialisation (src/lora/lora-init.ts). The factors
// themselves are fixed only up to the sign of each direction, so the specification is what they
// add to the base: s·B·A, and the residual base W − s·B·A that goes with it.
//   PiSSA  s·B·A = W's best rank-r approximation U_r·diag(σ_r)·V_rᵀ (one-sided Jacobi SVD, svd.ts)
//   OLoRA  s·B·A = s·Q_r·R_r, where W = Q·R (modified Gram–Schmidt here, Householder in the fast path)
import { svdReference } from './svd.ts';

/** s·B·A of PiSSA's init for W (out, in): U_r·diag(σ_r)·V_rᵀ, whatever s is. */
export function pissaDeltaReference(weight: ArrayLike<number>, outDim: number, inDim: number, rank: number): Float64Array {
  const { s, u, v } = svdReference(weight, outDim, inDim);
  const k = Math.min(outDim, inDim);
  const out = new Float64Array(outDim * inDim);
  for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) {
    let sum = 0;
    for (let p = 0; p < rank; p++) sum += u[o * k + p] * s[p] * v[i * k + p];
    out[o * inDim + i] = sum;
  }
  return out;
}

/** s·B·A of OLoRA's init for W (out, in): s·Q_r·R_r of the thin QR W = Q·R. */
export function oloraDeltaReference(weight: ArrayLike<number>, outDim: number, inDim: number, rank: number, scaling: number): Float64Array {
  const q = new Float64Array(outDim * rank); // columns of Q, by modified Gram–Schmidt
  const r = new Float64Array(rank * inDim);
  const cols = Array.from({ length: inDim }, (_, j) => Float64Array.from({ length: outDim }, (_, o) => weight[o * inDim + j]));
  for (let j = 0; j < rank; j++) {
    const norm = Math.hypot(...cols[j]);
    r[j * inDim + j] = norm;
    for (let o = 0; o < outDim; o++) q[o * rank + j] = cols[j][o] / norm;
    for (let c = j + 1; c < inDim; c++) {
      let dot = 0;
      for (let o = 0; o < outDim; o++) dot += q[o * rank + j] * cols[c][o];
      r[j * inDim + c] = dot;
      for (let o = 0; o < outDim; o++) cols[c][o] -= dot * q[o * rank + j];
    }
  }
  const out = new Float64Array(outDim * inDim);
  for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) {
    let sum = 0;
    for (let p = 0; p < rank; p++) sum += q[o * rank + p] * r[p * inDim + i];
    out[o * inDim + i] = scaling * sum;
  }
  return out;
}
