// The two generated corpora of the tiny-lm task (byte-level, seeded, no downloaded text):
//   A "caps":  "abc:ABC\n"  — a three-letter word, a colon, the word in capitals
//   B "shift": "abc:bcd\n"  — the word with each letter moved one along (z → a)
// The bundled base learns A; adapting it to B must change what it writes after the colon.
// Words are split once into training and held-out sets, so evaluation uses unseen words.
import { seededRandom, type Random } from '../util/random.ts';

export type CorpusName = 'caps' | 'shift';
export const LINE_LENGTH = 8; // "abc:ABC\n"
export const PROMPT_LENGTH = 4; // "abc:"
export const ANSWER_LENGTH = 3;

const A = 'a'.charCodeAt(0);

export function transformWord(word: string, corpus: CorpusName): string {
  if (corpus === 'caps') return word.toUpperCase();
  return [...word].map((c) => String.fromCharCode(A + ((c.charCodeAt(0) - A + 1) % 26))).join('');
}

/** All 26³ words, split by a fixed seed: about 80 % for training, 20 % held out. */
export function wordSplit(): { train: string[]; heldOut: string[] } {
  const random = seededRandom(20261128);
  const train: string[] = [];
  const heldOut: string[] = [];
  for (let i = 0; i < 26 ** 3; i++) {
    const word = String.fromCharCode(A + Math.floor(i / 676), A + (Math.floor(i / 26) % 26), A + (i % 26));
    (random() < 0.8 ? train : heldOut).push(word);
  }
  return { train, heldOut };
}

export function line(word: string, corpus: CorpusName): string {
  return `${word}:${transformWord(word, corpus)}\n`;
}

/** `count` sequences of `seqLen` bytes, each a run of whole lines (cut at seqLen). */
export function sampleSequences(words: string[], corpus: CorpusName, count: number, seqLen: number, random: Random): Uint8Array[] {
  const sequences: Uint8Array[] = [];
  for (let s = 0; s < count; s++) {
    let text = '';
    while (text.length < seqLen + 1) text += line(words[Math.floor(random() * words.length)], corpus);
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
