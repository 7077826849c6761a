// The bias reference's gradient against float64 finite differences of Σ (y + b) ⊙ g.
import { describe, expect, it } from 'vitest';
import { seededRandom, uniformArray } from '../util/random.ts';
import { biasAddReference, biasGradReference } from './bias.ts';
import { dotLoss, expectGradientsClose, numericGradient } from './finite-difference.ts';

describe('bias reference', () => {
  it('adds b to every row, and its gradient is the column sums of dY', () => {
    const random = seededRandom(3);
    const [rows, cols] = [5, 3];
    const [y, b, g] = [Float64Array.from(uniformArray(random, rows * cols)), Float64Array.from(uniformArray(random, cols)), Float64Array.from(uniformArray(random, rows * cols))];
    const out = biasAddReference(y, b, rows, cols);
    expect(out[4 * cols + 2]).toBe(y[4 * cols + 2] + b[2]);
    const loss = () => dotLoss(biasAddReference(y, b, rows, cols), g);
    expectGradientsClose(biasGradReference(g, rows, cols), numericGradient(b, loss), 'db');
  });
});
