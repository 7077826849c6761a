import { describe, expect, it } from 'vitest';
import { downsample, smooth, type LossPoint } from './series.ts';

describe('loss series', () => {
  it('smoothing starts at the first value and follows a constant exactly', () => {
    expect(smooth([2, 2, 2])).toEqual([2, 2, 2].map(() => expect.closeTo(2, 12)));
    expect(smooth([4, 0])[0]).toBeCloseTo(4, 12);
  });

  it('draws at most ~max points of 20,000, keeping extremes, validation points and the last step', () => {
    const points: LossPoint[] = Array.from({ length: 20_000 }, (_, i) => ({ step: i + 1, loss: 1 + Math.sin(i) * 0.1, ...(i % 1000 === 0 ? { valLoss: 1 } : {}) }));
    points[12_345].loss = 9; // a spike must survive
    const drawn = downsample(points, 1500);
    expect(drawn.length).toBeLessThanOrEqual(1500 + 40);
    expect(drawn.some((p) => p.loss === 9)).toBe(true);
    expect(drawn.filter((p) => p.valLoss !== undefined)).toHaveLength(20);
    expect(drawn.at(-1)!.step).toBe(20_000);
    expect(drawn.every((p, i) => i === 0 || p.step > drawn[i - 1].step)).toBe(true);
  });
});
