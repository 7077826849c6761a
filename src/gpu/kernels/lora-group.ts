// The low-rank products of LoRA layers that read the same X, one dispatch for the whole group
// (src/gpu/kernels/lora-group-source.ts; reference src/reference/lora-group.ts):
//   hidden   H_i = X·A_iᵀ   for each member i   (forward; what dB = s·dYᵀ·H reads)
//   gradA    dA_i = dH_iᵀ·X for each member i   (backward, after each member's dH)
// q/k/v of a block share X = input_layernorm(h), gate/up share post_attention_layernorm(h):
// two or three small products become one dispatch each way.
import { createParams, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { ShapeError } from '../errors.ts';
import { expectNumel } from './matmul.ts';

export interface LowRankGroupMember {
  loraA: GpuTensor; // A_i (r_i, in)
  gradA: GpuTensor; // dA_i (r_i, in)
  hidden: GpuTensor; // H_i (N, r_i)
  gradHidden: GpuTensor; // dH_i (N, r_i)
  rank: number;
}

export interface LowRankGroupSpec {
  label: string;
  input: GpuTensor; // X (N, in)
  tokens: number;
  inDim: number;
  members: LowRankGroupMember[];
}

const WORKGROUP = 64; // invocations per workgroup, one 4×4 block of outputs each
const blocks = (rows: number, cols: number) => Math.ceil(rows / 4) * Math.ceil(cols / 4);

export async function createLowRankGroup(gpu: Gpu, spec: LowRankGroupSpec): Promise<{ hidden: Dispatch; gradA: Dispatch }> {
  const { label, input, tokens, inDim, members } = spec;
  if (members.length !== 2 && members.length !== 3) throw new ShapeError(`${label}: a shared-input group has 2 or 3 members, got ${members.length}`);
  expectNumel(label, 'X', input, tokens * inDim);
  for (const m of members) {
    for (const [name, t, n] of [['A', m.loraA, m.rank * inDim], ['dA', m.gradA, m.rank * inDim], ['H', m.hidden, tokens * m.rank], ['dH', m.gradHidden, tokens * m.rank]] as const) expectNumel(label, name, t, n);
  }
  const ranks = [0, 1, 2].map((i) => members[i]?.rank ?? 0);
  const params = createParams(gpu, `${label}.params`, [['u32', tokens], ['u32', inDim], ...ranks.map((r) => ['u32', r] as ['u32', number]), ['u32', 0], ['u32', 0], ['u32', 0]]);
  const family = members.length === 2 ? 'loraGroup2' : 'loraGroup3';
  const maxRank = Math.max(...ranks);
  const sumRanks = ranks.reduce((a, b) => a + b, 0);
  const flops = 2 * tokens * inDim * sumRanks;
  const hidden = await createDispatch(gpu, {
    family, entryPoint: 'hidden', label: `${label}.H=XAt`,
    bindings: [params, input.buffer, ...members.map((m) => m.loraA.buffer), ...members.map((m) => m.hidden.buffer)],
    workgroups: [Math.ceil(blocks(tokens, maxRank) / WORKGROUP), members.length], flops,
  });
  const gradA = await createDispatch(gpu, {
    family, entryPoint: 'grad_a', label: `${label}.dA=dHtX`,
    bindings: [params, input.buffer, ...members.map((m) => m.gradHidden.buffer), ...members.map((m) => m.gradA.buffer)],
    workgroups: [Math.ceil(blocks(maxRank, inDim) / WORKGROUP), members.length], flops,
  });
  return { hidden, gradA };
}
