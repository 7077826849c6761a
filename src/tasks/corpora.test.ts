// The loss floor of the page's tiny-lm run (entropyPerByte('lines'), drawn dashed on the loss
// chart) against float64 calculations from the text the run trains on: the built-in text
// tokenized by the bundled model's tokenizer, cut as the text task cuts it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitTokens } from '../data/text-dataset.ts';
import { loadTokenizer } from '../data/tokenizer.ts';
import { seededRandom } from '../util/random.ts';
import { entropyPerByte, line, lineBytes, PAIRS_PER_LINE } from './corpora.ts';
import { corpusText } from './text-task.ts';
import { TINY_BASE_DIR } from './tiny-base.ts';

/** Plug-in conditional entropy H(next | previous) in nats, from the bigram counts of a stream. */
function conditionalEntropy(stream: ArrayLike<number>): number {
  const counts = new Map<number, Map<number, number>>();
  for (let i = 0; i + 1 < stream.length; i++) {
    const row = counts.get(stream[i]) ?? new Map<number, number>();
    row.set(stream[i + 1], (row.get(stream[i + 1]) ?? 0) + 1);
    counts.set(stream[i], row);
  }
  let h = 0;
  for (const row of counts.values()) {
    const total = [...row.values()].reduce((a, b) => a + b, 0);
    for (const c of row.values()) h -= (c / (stream.length - 1)) * Math.log(c / total);
  }
  return h;
}

describe('the entropy floor of the tiny-lm text', () => {
  const floor = entropyPerByte('lines');
  // The page's built-in text (session.ts), through the bundled model's own tokenizer.
  const tokenizer = loadTokenizer(readFileSync(`${TINY_BASE_DIR}/tokenizer.json`, 'utf8'));
  const text = corpusText('lines', 600, 1);
  const tokens = Uint32Array.from(tokenizer.encode(text));

  it('is ln 26 per line letter spread over the bytes of a line: ln(26)/3 nats, log2(26)/3 bits for lines', () => {
    expect(lineBytes('lines')).toBe(3 * PAIRS_PER_LINE);
    expect(lineBytes('caps')).toBe(3 * PAIRS_PER_LINE);
    expect(floor).toBeCloseTo(Math.log(26) / 3, 14);
    expect(floor / Math.LN2).toBeCloseTo(Math.log2(26) / 3, 14);
  });

  it('the bundled tokenizer reads the built-in text byte for byte (the floor is per token)', () => {
    expect([...tokens]).toEqual([...new TextEncoder().encode(text)]);
  });

  it("every byte but the one after a newline follows from the byte before: the generator's best predictor pays ln 26 there and 0 elsewhere", () => {
    const successors = new Map<number, Set<number>>();
    for (let i = 0; i + 1 < tokens.length; i++) successors.set(tokens[i], (successors.get(tokens[i]) ?? new Set()).add(tokens[i + 1]));
    for (const [byte, next] of successors) {
      if (byte === 10) expect([...next].every((b) => b >= 97 && b < 123)).toBe(true);
      else expect(next.size).toBe(1);
    }
  });

  it.each([16, 32, 5])('equals, to 1e-3, the best loss averaged over every window the text task can draw (seq %i)', (seq) => {
    const { train } = splitTokens(tokens, seq);
    // randomWindows: start uniform in [0, train.length − seq); inputs start..start+seq−1.
    let sum = 0;
    const starts = train.length - seq;
    for (let start = 0; start < starts; start++) {
      let newlines = 0;
      for (let t = 0; t < seq; t++) if (train[start + t] === 10) newlines++;
      sum += (newlines * Math.log(26)) / seq;
    }
    expect(Math.abs(sum / starts - floor)).toBeLessThan(1e-3);
  });

  it('matches the plug-in conditional entropy of the training text (a finite sample: a little below) and of 100 000 fresh lines (to 1e-3)', () => {
    const { train } = splitTokens(tokens, 16);
    const sample = conditionalEntropy(train);
    expect(sample).toBeLessThanOrEqual(floor);
    expect(floor - sample).toBeLessThan(0.01);
    const random = seededRandom(7);
    const fresh = new TextEncoder().encode(Array.from({ length: 100_000 }, () => line(random, 'lines')).join(''));
    expect(Math.abs(conditionalEntropy(fresh) - floor)).toBeLessThan(1e-3);
  });
});
