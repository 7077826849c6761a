// submitDispatches sizes submissions by estimated flops: the split itself, on plain numbers.
import { describe, expect, it } from 'vitest';
import { splitByFlops } from './dispatch.ts';

const items = (...flops: number[]) => flops.map((f, i) => ({ id: i, flops: f }));
const ids = (chunks: { id: number }[][]) => chunks.map((c) => c.map((x) => x.id));

describe('splitByFlops', () => {
  it('keeps everything in one submission under the budget', () => {
    expect(ids(splitByFlops(items(1, 2, 3), 6))).toEqual([[0, 1, 2]]);
    expect(ids(splitByFlops(items(1, 2, 3), Infinity))).toEqual([[0, 1, 2]]);
  });

  it('starts a new submission before the one that would pass the budget, in order', () => {
    expect(ids(splitByFlops(items(4, 4, 4, 1, 1), 8))).toEqual([[0, 1], [2, 3, 4]]);
    expect(ids(splitByFlops(items(3, 3, 3, 3), 5))).toEqual([[0], [1], [2], [3]]);
  });

  it('puts a dispatch larger than the budget alone, and never makes an empty submission', () => {
    expect(ids(splitByFlops(items(1, 100, 1), 10))).toEqual([[0], [1], [2]]);
    expect(ids(splitByFlops(items(100), 10))).toEqual([[0]]);
    expect(splitByFlops([], 10)).toEqual([[]]);
  });
});
