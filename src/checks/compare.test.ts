import { describe, expect, it } from 'vitest';
import { compareArrays } from './compare.ts';

describe('compareArrays', () => {
  const tol = { atol: 1e-6, rtol: 1e-3 };
  it('passes values within atol + rtol·|ref|', () => {
    expect(compareArrays([1.0009, 0], [1, 0.0000005], tol).ok).toBe(true);
  });
  it('fails values outside it, and reports the worst', () => {
    const c = compareArrays([1, 2.01], [1, 2], tol);
    expect(c.ok).toBe(false);
    expect(c.worst?.index).toBe(1);
  });
  it('fails NaN and length mismatches', () => {
    expect(compareArrays([NaN], [0], tol).ok).toBe(false);
    expect(compareArrays([1, 2], [1], tol).ok).toBe(false);
  });
});
