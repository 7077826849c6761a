// The float64 reference backward of LoRALinear against central finite differences of the
// scalar loss L = Σ Y ⊙ G (G a fixed random "upstream gradient"), so dL/dY = G.
import { describe, expect, it } from 'vitest';
import { seededRandom, uniformArray } from '../util/random.ts';
import { dotLoss, expectGradientsClose as expectClose, numericGradient } from './finite-difference.ts';
import { loraBackwardReference, loraForwardReference, type LoRAReferenceLayer } from './lora-linear.ts';

function loss(layer: LoRAReferenceLayer, x: ArrayLike<number>, g: ArrayLike<number>, tokens: number): number {
  return dotLoss(loraForwardReference(layer, x, tokens).y, g);
}

describe('LoRALinear reference backward matches finite differences (float64)', () => {
  for (const [tokens, inDim, outDim, rank, scaling] of [
    [1, 1, 1, 1, 2],
    [3, 5, 4, 2, 0.5],
    [4, 7, 6, 3, 1.7],
  ]) {
    it(`N=${tokens} in=${inDim} out=${outDim} r=${rank} s=${scaling}`, () => {
      const random = seededRandom(tokens * 31 + inDim);
      const f64 = (n: number) => Float64Array.from(uniformArray(random, n));
      const layer = { weight: f64(outDim * inDim), loraA: f64(rank * inDim), loraB: f64(outDim * rank), inDim, outDim, rank, scaling };
      const x = f64(tokens * inDim);
      const g = f64(tokens * outDim);
      const grads = loraBackwardReference(layer, x, g, tokens);
      const evaluate = () => loss(layer, x, g, tokens);

      expectClose(grads.dA, numericGradient(layer.loraA as Float64Array, evaluate), 'dA');
      expectClose(grads.dB, numericGradient(layer.loraB as Float64Array, evaluate), 'dB');
      expectClose(grads.dx, numericGradient(x, evaluate), 'dX');
      expect(grads.dW).toBeNull();
    });
  }

  it('with lora_dropout (a fixed mask): dA, dB and dX match finite differences', () => {
    const random = seededRandom(11);
    const [tokens, inDim, outDim, rank] = [4, 6, 5, 2];
    const f64 = (n: number) => Float64Array.from(uniformArray(random, n));
    const layer = { weight: f64(outDim * inDim), loraA: f64(rank * inDim), loraB: f64(outDim * rank), inDim, outDim, rank, scaling: 1.5, dropout: { p: 0.4, seed: 17 } };
    const x = f64(tokens * inDim);
    const g = f64(tokens * outDim);
    const grads = loraBackwardReference(layer, x, g, tokens);
    const evaluate = () => loss(layer, x, g, tokens);
    expectClose(grads.dA, numericGradient(layer.loraA, evaluate), 'dA');
    expectClose(grads.dB, numericGradient(layer.loraB, evaluate), 'dB');
    expectClose(grads.dx, numericGradient(x, evaluate), 'dX');
  });

  it('with B = 0 (PEFT init) dA is exactly zero and dB is not', () => {
    const random = seededRandom(9);
    const [tokens, inDim, outDim, rank] = [3, 6, 5, 2];
    const layer = {
      weight: uniformArray(random, outDim * inDim),
      loraA: uniformArray(random, rank * inDim),
      loraB: new Float32Array(outDim * rank),
      inDim, outDim, rank, scaling: 2,
    };
    const grads = loraBackwardReference(layer, uniformArray(random, tokens * inDim), uniformArray(random, tokens * outDim), tokens);
    expect(grads.dA.every((v) => v === 0)).toBe(true);
    expect(grads.dB.some((v) => v !== 0)).toBe(true);
  });
});
