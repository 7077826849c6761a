// The two generated corpora of the tiny-lm task (byte-level, seeded, no downloaded text). Each
// line is four pairs of a random lowercase letter and its capital:
//   A "caps":   "qQ aA zZ mM\n"      — four pairs a line, separated by spaces
//   B "lines":  "qQ\naA\nzZ\nmM\n"  — one pair a line
// The bundled base learns A; adapting it to B must change the format it writes after each pair
// while keeping what it knows. B uses only bytes A trained: a byte A never shows has an
// untrained (tied) embedding that a LoRA cannot change, so a dash separator stayed unlikely.
// And a new 26-way letter mapping (we tried q→r) is a full-rank change: rank 4 stayed at chance.
// Training and evaluation text come from different seeds.
import type { Random } from '../util/random.ts';

export type CorpusName = 'caps' | 'lines';
export const PAIRS_PER_LINE = 4;

const A = 'a'.charCodeAt(0);

export function separator(corpus: CorpusName): string {
  return corpus === 'caps' ? ' ' : '\n';
}

const randomLetter = (random: Random) => String.fromCharCode(A + Math.floor(random() * 26));

export function line(random: Random, corpus: CorpusName): string {
  const pairs = Array.from({ length: PAIRS_PER_LINE }, () => {
    const letter = randomLetter(random);
    return letter + letter.toUpperCase();
  });
  return `${pairs.join(separator(corpus))}\n`;
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

/** A completion prompt: one pair of `corpus` then a lone letter: "kK\nx" → "X\n" (lines). */
export function completionPrompt(random: Random, corpus: CorpusName): { prompt: string; answer: string } {
  const first = randomLetter(random);
  const letter = randomLetter(random);
  const sep = separator(corpus);
  return { prompt: `${first}${first.toUpperCase()}${sep}${letter}`, answer: `${letter.toUpperCase()}${sep}` };
}

/** Bytes in one line of `corpus`: PAIRS_PER_LINE pairs, their separators and the newline. */
export function lineBytes(corpus: CorpusName): number {
  return line(() => 0, corpus).length;
}

/**
 * The entropy rate of `corpus`'s generator, in nats per byte: each line holds PAIRS_PER_LINE
 * letters drawn uniformly from 26 (ln 26 each), and every other byte follows from what came before
 * (a capital from its letter, the separator or newline from the position in the line). No model
 * can do better on average on fresh text: this is the floor of the next-byte loss on a stream of
 * such lines read from random offsets. For 'lines' it is exact with a context of one byte (the
 * byte after "\n" is random, all others are fixed by the byte before); for 'caps' a window that
 * starts mid-line cannot always tell " " from "\n", so its floor there is a little higher, and
 * windows cut at line starts (sampleSequences) do not predict the first letter, so theirs is lower.
 * Divide by ln 2 for bits.
 */
export function entropyPerByte(corpus: CorpusName): number {
  return (PAIRS_PER_LINE * Math.log(26)) / lineBytes(corpus);
}
