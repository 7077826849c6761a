// CPU reference for the shared-input low-rank kernels (src/gpu/kernels/lora-group.ts), float64.
// Each member i of a group reads the same X (N, in):
//   H_i = X·A_iᵀ  (N, r_i)        dA_i = dH_iᵀ·X  (r_i, in), the gradient of Σ H_i ⊙ dH_i w.r.t. A_i
// Each is one member's product in the plain matmul reference: the group changes how the GPU
// schedules them, not what they are.
import { matmulReference } from './matmul.ts';

export interface GroupMemberReference {
  loraA: ArrayLike<number>; // (r, in)
  rank: number;
}

/** H_i = X·A_iᵀ for every member. */
export function groupHiddenReference(x: ArrayLike<number>, tokens: number, inDim: number, members: GroupMemberReference[]): Float64Array[] {
  return members.map(({ loraA, rank }) => matmulReference({ a: x, b: loraA, m: tokens, n: rank, k: inDim, transB: true }));
}

/** dA_i = dH_iᵀ·X for every member, given each member's dH_i (N, r_i). */
export function groupGradAReference(x: ArrayLike<number>, tokens: number, inDim: number, gradHidden: { values: ArrayLike<number>; rank: number }[]): Float64Array[] {
  return gradHidden.map(({ values, rank }) => matmulReference({ a: values, b: x, m: rank, n: inDim, k: tokens, transA: true }));
}
