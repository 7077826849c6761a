import { describe, expect, it } from 'vitest';
import type { Generation } from '../engine/types.ts';
import { contextNote, overheadVerdict } from './report-text.ts';

const t = (median: number, min: number, max: number, runs = 9) => ({ median, min, max, runs });

describe('merge panel: the overhead sentence comes from the measured numbers', () => {
  it('overlapping spreads: no measurable overhead, with the ratio and both spreads', () => {
    expect(overheadVerdict(t(2, 1.5, 3), t(2.2, 1.8, 2.9))).toBe(
      'merged forward: 2.20 ms vs base 2.00 ms (ratio 1.10): within the run-to-run spread (base 1.50–3.00 ms, merged 1.80–2.90 ms over 9 runs each), so no overhead is measurable here',
    );
  });

  it('a merged forward slower than every base run is called slower, not "no overhead"', () => {
    const text = overheadVerdict(t(1, 0.9, 1.1), t(1.5, 1.4, 1.7));
    expect(text).toMatch(/^merged forward: 1\.50 ms vs base 1\.00 ms \(ratio 1\.50\): slower than every base run/);
    expect(text).not.toContain('no overhead');
  });

  it('faster than every base run, and a single timed run, are said as such', () => {
    expect(overheadVerdict(t(1, 0.9, 1.1), t(0.5, 0.4, 0.6))).toContain('faster than every base run');
    expect(overheadVerdict(t(1, 1, 1, 1), t(1.2, 1.2, 1.2, 1))).toBe('merged forward: 1.20 ms vs base 1.00 ms (ratio 1.20), from one timed run each: no spread to judge the difference by');
  });
});

describe('try it: a completion cut short says why, with the engine’s numbers', () => {
  const g: Generation = { base: 'a', adapted: 'b', merged: false, context: 16, modelContext: 64, promptTokens: 7, promptDropped: 0, requested: 20, generated: 9 };
  it('stopped at the sequence length', () => {
    expect(contextNote(g)).toBe("stopped after 9 of 20 new tokens: this run's model reads at most 16 tokens (its sequence length) and the prompt takes 7; a run with a longer sequence length (up to the model's context of 64) can write more.");
  });
  it('nothing to say when every token asked for was written', () => {
    expect(contextNote({ ...g, requested: 9 })).toBeNull();
  });
  it('a prompt cut to fit, at the model’s full context', () => {
    expect(contextNote({ ...g, context: 64, promptTokens: 63, promptDropped: 5, requested: 8, generated: 1 })).toBe(
      "the prompt's first 5 tokens were cut to fit, stopped after 1 of 8 new tokens: this run's model reads at most 64 tokens (its sequence length) and the prompt takes 63.",
    );
  });
});
