// The two generated corpora of the tiny-lm task (byte-level, seeded, no downloaded text). Each
// line is four pairs: a random lowercase letter and its partner.
//   A "caps":  "qQ aA zZ mM\n"  — the partner is the capital
//   B "shift": "qr ab za mn\n"  — the partner is the next letter (z → a)
// The bundled base learns A; adapting it to B must change what it writes after each letter.
// Training and evaluation text come from different seeds.
import type { Random } from '../util/random.ts';

export type CorpusName = 'caps' | 'shift';
export const PAIRS_PER_LINE = 4;

const A = 'a'.charCodeAt(0);

export function partner(letter: string, corpus: CorpusName): string {
  if (corpus === 'caps') return letter.toUpperCase();
  return String.fromCharCode(A + ((letter.charCodeAt(0) - A + 1) % 26));
}

const randomLetter = (random: Random) => String.fromCharCode(A + Math.floor(random() * 26));

export function line(random: Random, corpus: CorpusName): string {
  const pairs = Array.from({ length: PAIRS_PER_LINE }, () => {
    const letter = randomLetter(random);
    return letter + partner(letter, corpus);
  });
  return `${pairs.join(' ')}\n`;
}

/** `count` sequences of `seqLen + 1` bytes (inputs and next-byte targets), cut from lines. */
export function sampleSequences(corpus: CorpusName, count: number, seqLen: number, random: Random): Uint8Array[] {
  const sequences: Uint8Array[] = [];
  for (let s = 0; s < count; s++) {
    let text = '';
    while (text.length < seqLen + 1) text += line(random, corpus);
    sequences.push(new TextEncoder().encode(text.slice(0, seqLen + 1)));
  }
  return sequences;
}

/** ids = bytes 0..seqLen-1, targets = bytes 1..seqLen, for a batch of sequences. */
export function batchFromSequences(sequences: Uint8Array[], seqLen: number): { ids: Uint32Array; targets: Uint32Array } {
  const ids = new Uint32Array(sequences.length * seqLen);
  const targets = new Uint32Array(sequences.length * seqLen);
  sequences.forEach((bytes, b) => {
    for (let t = 0; t < seqLen; t++) {
      ids[b * seqLen + t] = bytes[t];
      targets[b * seqLen + t] = bytes[t + 1];
    }
  });
  return { ids, targets };
}

/** A completion prompt: two pairs of `corpus` then a lone letter, e.g. "kK pP x" → "X". */
export function completionPrompt(random: Random, corpus: CorpusName): { prompt: string; answer: string } {
  const context = Array.from({ length: 2 }, () => {
    const letter = randomLetter(random);
    return letter + partner(letter, corpus);
  });
  const letter = randomLetter(random);
  return { prompt: `${context.join(' ')} ${letter}`, answer: partner(letter, corpus) };
}
