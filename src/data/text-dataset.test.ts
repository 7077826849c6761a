// The user's text: .txt and .jsonl parsing with errors that name the line, and batches in
// which every token after the first is predicted exactly once.
import { describe, expect, it } from 'vitest';
import { IGNORE_TARGET } from '../model/llama-model.ts';
import { seededRandom } from '../util/random.ts';
import { checkTextSize, consecutiveBatches, parseTextFile, randomWindows, splitTokens, tokenizeDocuments } from './text-dataset.ts';
import { byteLevelTokenizerJson, loadTokenizer } from './tokenizer.ts';

describe('text files', () => {
  it('reads .txt whole and .jsonl by its text fields', () => {
    expect(parseTextFile('a.txt', 'hello\nworld')).toEqual(['hello\nworld']);
    expect(parseTextFile('a.jsonl', '{"text": "one"}\n\n{"text": "two", "id": 3}\n')).toEqual(['one', 'two']);
  });

  it('names the line and field at fault', () => {
    expect(() => parseTextFile('a.jsonl', '{"text": "one"}\n{"txt": "two"}')).toThrow(/a\.jsonl line 2 has no string "text" field/);
    expect(() => parseTextFile('a.jsonl', '{"text": "one"}\n{oops')).toThrow(/a\.jsonl line 2 is not valid JSON/);
    expect(() => parseTextFile('a.csv', 'x')).toThrow(/give a \.txt file, or \.jsonl/);
    expect(() => parseTextFile('a.txt', '  \n')).toThrow(/empty/);
    expect(() => checkTextSize('big.txt', 300 * 2 ** 20)).toThrow(/big\.txt is 300 MiB; the playground reads at most 64 MiB/);
  });

  it('tokenizes through tokenizer.json and refuses ids outside the model vocabulary', () => {
    const tokenizer = loadTokenizer(byteLevelTokenizerJson());
    expect(Array.from(tokenizeDocuments(tokenizer, ['ab', 'c'], 256))).toEqual([97, 98, 99]);
    expect(() => tokenizeDocuments(tokenizer, ['ab'], 64)).toThrow(/id 97, outside the model's vocabulary of 64/);
  });
});

describe('batches', () => {
  const tokens = Uint32Array.from({ length: 23 }, (_, i) => i);

  it('consecutive batches predict every token after the first exactly once', () => {
    const batches = consecutiveBatches(tokens, 2, 4);
    const predicted: number[] = [];
    for (const b of batches) {
      b.targets.forEach((t, i) => {
        if (t === IGNORE_TARGET) return;
        expect(t).toBe(b.ids[i] + 1); // the next token of the stream
        predicted.push(t);
      });
    }
    expect(predicted).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(batches).toHaveLength(3); // 6 sequences of 4, 2 per batch
  });

  it('random windows are contiguous and inside the stream', () => {
    const b = randomWindows(tokens, 3, 5, seededRandom(1));
    for (let i = 0; i < 15; i++) expect(b.targets[i]).toBe(b.ids[i] + 1);
    expect(Math.max(...b.targets)).toBeLessThan(23);
  });

  it('holds out the last 10 %, and says how much text is needed', () => {
    const { train, validation } = splitTokens(Uint32Array.from({ length: 100 }, (_, i) => i), 8);
    expect([train.length, validation.length, validation[0]]).toEqual([90, 10, 90]);
    expect(() => splitTokens(tokens, 32)).toThrow(/has 23 tokens; training with sequences of 32 needs at least/);
  });
});
