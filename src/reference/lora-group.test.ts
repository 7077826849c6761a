// The shared-input group reference: H_i = X·A_iᵀ agrees with a plain matmul, and dA_i = dH_iᵀ·X
// is the gradient of L = Σ_i Σ H_i ⊙ G_i with respect to A_i (central finite differences).
import { describe, expect, it } from 'vitest';
import { seededRandom, uniformArray } from '../util/random.ts';
import { dotLoss, expectGradientsClose, numericGradient } from './finite-difference.ts';
import { groupGradAReference, groupHiddenReference } from './lora-group.ts';
import { matmulReference } from './matmul.ts';

describe('shared-input low-rank group reference', () => {
  for (const [tokens, inDim, ranks] of [[1, 1, [1, 1]], [5, 7, [3, 1, 2]], [4, 9, [2, 5]]] as [number, number, number[]][]) {
    it(`N=${tokens} in=${inDim} ranks ${ranks.join(',')}`, () => {
      const random = seededRandom(tokens * 17 + inDim);
      const f64 = (n: number) => Float64Array.from(uniformArray(random, n));
      const x = f64(tokens * inDim);
      const members = ranks.map((rank) => ({ loraA: f64(rank * inDim), rank }));
      const g = ranks.map((rank) => f64(tokens * rank));
      const h = groupHiddenReference(x, tokens, inDim, members);
      members.forEach((m, i) => {
        const plain = matmulReference({ a: x, b: m.loraA, m: tokens, n: m.rank, k: inDim, transB: true });
        h[i].forEach((v, e) => expect(v).toBeCloseTo(plain[e], 12));
      });
      const dA = groupGradAReference(x, tokens, inDim, g.map((values, i) => ({ values, rank: ranks[i] })));
      const loss = () => groupHiddenReference(x, tokens, inDim, members).reduce((sum, hi, i) => sum + dotLoss(hi, g[i]), 0);
      members.forEach((m, i) => expectGradientsClose(dA[i], numericGradient(m.loraA, loss), `dA_${i}`));
    });
  }
});
