// The float64 DoRA reference (src/reference/dora.ts) against central finite differences of
// L = Σ Y ⊙ G. The backward treats the row norm n as a constant (PEFT detaches it), so the
// finite differences perturb a forward whose n is held at its value at the unperturbed point;
// a second test shows that this is a real choice: the full derivative (n moving) differs.
import { describe, expect, it } from 'vitest';
import { seededRandom, uniformArray } from '../util/random.ts';
import { doraBackwardReference, doraForwardReference, doraMergeReference, doraNormReference, type DoraReferenceLayer } from './dora.ts';
import { dotLoss, expectGradientsClose as expectClose, numericGradient } from './finite-difference.ts';
import { matmulReference } from './matmul.ts';

function randomLayer(seed: number, tokens: number, inDim: number, outDim: number, rank: number, scaling: number) {
  const random = seededRandom(seed);
  const f64 = (n: number) => Float64Array.from(uniformArray(random, n));
  const layer = { weight: f64(outDim * inDim), loraA: f64(rank * inDim), loraB: f64(outDim * rank), magnitude: f64(outDim).map((v) => 1 + v), inDim, outDim, rank, scaling };
  return { layer, x: f64(tokens * inDim), g: f64(tokens * outDim) };
}

describe('DoRA reference backward (norm detached) matches finite differences (float64)', () => {
  for (const [tokens, inDim, outDim, rank, scaling] of [[1, 1, 1, 1, 2], [3, 5, 4, 2, 0.5], [4, 7, 6, 3, 1.7]]) {
    it(`N=${tokens} in=${inDim} out=${outDim} r=${rank} s=${scaling}`, () => {
      const { layer, x, g } = randomLayer(tokens * 31 + inDim, tokens, inDim, outDim, rank, scaling);
      const grads = doraBackwardReference(layer, x, g, tokens);
      const norm = doraNormReference(layer); // held fixed: the detached norm
      const evaluate = () => dotLoss(doraForwardReference(layer, x, tokens, norm).y, g);
      expectClose(grads.dMagnitude, numericGradient(layer.magnitude, evaluate), 'dm');
      expectClose(grads.dA, numericGradient(layer.loraA, evaluate), 'dA');
      expectClose(grads.dB, numericGradient(layer.loraB, evaluate), 'dB');
      expectClose(grads.dx, numericGradient(x, evaluate), 'dX');
    });
  }

  it('the detached norm is a choice: with n moving, dB differs from the finite differences', () => {
    const { layer, x, g } = randomLayer(5, 3, 5, 4, 2, 1);
    const grads = doraBackwardReference(layer, x, g, 3);
    const full = numericGradient(layer.loraB, () => dotLoss(doraForwardReference(layer, x, 3).y, g));
    expect(() => expectClose(grads.dB, full, 'dB')).toThrow(/dB\[\d+\]/);
  });
});

describe('DoRA reference forward, init and merge', () => {
  it('with m = ‖W‖ per row and B = 0 the layer is the base: Y = X·Wᵀ', () => {
    const { layer, x } = randomLayer(7, 3, 6, 5, 2, 2);
    const base: DoraReferenceLayer = { ...layer, loraB: new Float64Array(layer.loraB.length) };
    base.magnitude = doraNormReference(base);
    const y = doraForwardReference(base, x, 3).y;
    const plain = matmulReference({ a: x, b: layer.weight, m: 3, n: 5, k: 6, transB: true });
    y.forEach((v, i) => expect(v).toBeCloseTo(plain[i], 12));
  });

  it('the merged weight gives the unmerged output: X·W\'ᵀ = Y', () => {
    const { layer, x } = randomLayer(8, 4, 7, 5, 3, 0.7);
    const merged = doraMergeReference(layer);
    const y = doraForwardReference(layer, x, 4).y;
    const yMerged = matmulReference({ a: x, b: merged, m: 4, n: 5, k: 7, transB: true });
    y.forEach((v, i) => expect(v).toBeCloseTo(yMerged[i], 12));
    // Every merged row has the magnitude as its norm.
    for (let o = 0; o < 5; o++) expect(Math.hypot(...merged.slice(o * 7, o * 7 + 7))).toBeCloseTo(layer.magnitude[o], 12);
  });
});
