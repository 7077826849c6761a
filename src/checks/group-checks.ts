// The shared-input low-rank kernels (src/gpu/kernels/lora-group.ts) against the float64 reference
// (src/reference/lora-group.ts) on ragged shapes: ranks that differ inside a group and are not
// multiples of the 8×8 tile, token and input counts that are not either.
import { createTensor, readTensor } from '../gpu/buffers.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { createLowRankGroup } from '../gpu/kernels/lora-group.ts';
import { groupGradAReference, groupHiddenReference } from '../reference/lora-group.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { resultOf, type KernelCheck } from './check.ts';

// (N, in, ranks)
const GROUPS: [number, number, number[]][] = [[13, 19, [3, 9, 5]], [9, 33, [1, 17]], [70, 20, [8, 8, 8]], [1, 1, [1, 1]]];

export function groupChecks(): KernelCheck[] {
  return GROUPS.map(([tokens, inDim, ranks], g) => {
    const name = `shared-input LoRA group N=${tokens} in=${inDim} ranks ${ranks.join(',')}: H_i = X·A_iᵀ and dA_i = dH_iᵀ·X in one dispatch each`;
    return {
      name,
      async run(gpu) {
        const random = seededRandom(60 + g);
        const x = uniformArray(random, tokens * inDim);
        const a = ranks.map((r) => uniformArray(random, r * inDim));
        const dH = ranks.map((r) => uniformArray(random, tokens * r));
        const input = await createTensor(gpu, 'group.X', [tokens, inDim], x);
        const members = await Promise.all(ranks.map(async (rank, i) => ({
          rank,
          loraA: await createTensor(gpu, `group.A${i}`, [rank, inDim], a[i]),
          gradA: await createTensor(gpu, `group.dA${i}`, [rank, inDim]),
          hidden: await createTensor(gpu, `group.H${i}`, [tokens, rank]),
          gradHidden: await createTensor(gpu, `group.dH${i}`, [tokens, rank], dH[i]),
        })));
        const group = await createLowRankGroup(gpu, { label: 'group-check', input, tokens, inDim, members });
        submitDispatches(gpu, 'group-check', [group.hidden, group.gradA]);
        const h = groupHiddenReference(x, tokens, inDim, ranks.map((rank, i) => ({ loraA: a[i], rank })));
        const dA = groupGradAReference(x, tokens, inDim, ranks.map((rank, i) => ({ values: dH[i], rank })));
        const parts: Record<string, { got: ArrayLike<number>; ref: ArrayLike<number> }> = {};
        for (let i = 0; i < ranks.length; i++) {
          parts[`H_${i}`] = { got: await readTensor(gpu, members[i].hidden), ref: h[i] };
          parts[`dA_${i}`] = { got: await readTensor(gpu, members[i].gradA), ref: dA[i] };
        }
        for (const t of [input, ...members.flatMap((m) => [m.loraA, m.gradA, m.hidden, m.gradHidden])]) t.buffer.destroy();
        return resultOf(name, parts);
      },
    };
  });
}
