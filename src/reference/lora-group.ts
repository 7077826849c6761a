// CPU reference for the shared-input low-rank kernels (src/gpu/kernels/lora-group.ts), float64.
// Each member i of a group reads the same X (N, in):
//   H_i = X·A_iᵀ  (N, r_i)        dA_i = dH_iᵀ·X  (r_i, in), the gradient of Σ H_i ⊙ dH_i w.r.t. A_i

export interface GroupMemberReference {
  loraA: ArrayLike<number>; // (r, in)
  rank: number;
}

/** H_i = X·A_iᵀ for every member. */
export function groupHiddenReference(x: ArrayLike<number>, tokens: number, inDim: number, members: GroupMemberReference[]): Float64Array[] {
  return members.map(({ loraA, rank }) => {
    const h = new Float64Array(tokens * rank);
    for (let n = 0; n < tokens; n++) {
      for (let j = 0; j < rank; j++) {
        let sum = 0;
        for (let k = 0; k < inDim; k++) sum += x[n * inDim + k] * loraA[j * inDim + k];
        h[n * rank + j] = sum;
      }
    }
    return h;
  });
}

/** dA_i = dH_iᵀ·X for every member, given each member's dH_i (N, r_i). */
export function groupGradAReference(x: ArrayLike<number>, tokens: number, inDim: number, gradHidden: { values: ArrayLike<number>; rank: number }[]): Float64Array[] {
  return gradHidden.map(({ values, rank }) => {
    const dA = new Float64Array(rank * inDim);
    for (let j = 0; j < rank; j++) {
      for (let k = 0; k < inDim; k++) {
        let sum = 0;
        for (let n = 0; n < tokens; n++) sum += values[n * rank + j] * x[n * inDim + k];
        dA[j * inDim + k] = sum;
      }
    }
    return dA;
  });
}
