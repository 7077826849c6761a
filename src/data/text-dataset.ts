// The user's own text: a .txt file (one document) or .jsonl (one JSON object per line with a
// string `text` field), tokenized into one stream; training draws random windows from the first
// 90 %, validation and eval read fixed windows.
import { IGNORE_TARGET } from '../model/llama-model.ts';
import type { TextTokenizer } from './tokenizer.ts';

/** Bigger files are refused before they are read (the whole text is tokenized in memory). */
export const MAX_TEXT_BYTES = 64 * 1024 * 1024;

export class TextDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TextDataError';
  }
}

export function checkTextSize(name: string, bytes: number): void {
  if (bytes > MAX_TEXT_BYTES) {
    throw new TextDataError(`${name} is ${(bytes / 2 ** 20).toFixed(0)} MiB; the playground reads at most ${MAX_TEXT_BYTES / 2 ** 20} MiB of text. Use a smaller sample of it.`);
  }
}

/** The documents in a .txt or .jsonl file. */
export function parseTextFile(name: string, content: string): string[] {
  if (name.endsWith('.txt')) {
    if (!content.trim()) throw new TextDataError(`${name} is empty`);
    return [content];
  }
  if (!name.endsWith('.jsonl')) throw new TextDataError(`${name}: give a .txt file, or .jsonl with a "text" field on each line`);
  const docs: string[] = [];
  content.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new TextDataError(`${name} line ${i + 1} is not valid JSON`);
    }
    const text = (row as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new TextDataError(`${name} line ${i + 1} has no string "text" field`);
    docs.push(text);
  });
  if (docs.length === 0) throw new TextDataError(`${name} has no lines with text`);
  return docs;
}

/** All documents as one token stream (EOS between documents when the tokenizer has one). */
export function tokenizeDocuments(tokenizer: TextTokenizer, docs: string[], vocabSize: number): Uint32Array {
  const ids: number[] = [];
  docs.forEach((doc, i) => {
    for (const id of tokenizer.encode(doc)) ids.push(id);
    if (tokenizer.eosId !== null && i < docs.length - 1) ids.push(tokenizer.eosId);
  });
  for (const id of ids) {
    if (id >= vocabSize) throw new TextDataError(`the tokenizer produced id ${id}, outside the model's vocabulary of ${vocabSize}: is it the model's own tokenizer.json?`);
  }
  return Uint32Array.from(ids);
}

export interface Batch {
  ids: Uint32Array; // (batch, seq)
  targets: Uint32Array; // (batch, seq); IGNORE_TARGET where there is no next token
}

/** Training and validation streams: the last 10 % of tokens are held out. */
export function splitTokens(tokens: Uint32Array, seq: number): { train: Uint32Array; validation: Uint32Array } {
  const cut = Math.floor(tokens.length * 0.9);
  const train = tokens.subarray(0, cut);
  const validation = tokens.subarray(cut);
  if (train.length < seq + 1 || validation.length < 2) {
    throw new TextDataError(`the text has ${tokens.length} tokens; training with sequences of ${seq} needs at least ${Math.ceil((seq + 1) / 0.9) + 2}. Use more text or a shorter --seq-len.`);
  }
  return { train, validation };
}

/** `batch` random windows of seq + 1 tokens: ids are the first seq, targets the next token of each. */
export function randomWindows(tokens: Uint32Array, batch: number, seq: number, random: () => number): Batch {
  const ids = new Uint32Array(batch * seq);
  const targets = new Uint32Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    const start = Math.floor(random() * (tokens.length - seq));
    for (let t = 0; t < seq; t++) {
      ids[b * seq + t] = tokens[start + t];
      targets[b * seq + t] = tokens[start + t + 1];
    }
  }
  return { ids, targets };
}

/**
 * The stream cut into consecutive sequences of `seq` tokens, `batch` sequences per batch; every
 * token but the very first is predicted exactly once. The last batch is padded (ignored targets).
 */
export function consecutiveBatches(tokens: Uint32Array, batch: number, seq: number): Batch[] {
  const predicted = tokens.length - 1;
  const sequences = Math.ceil(predicted / seq);
  const batches: Batch[] = [];
  for (let first = 0; first < sequences; first += batch) {
    const ids = new Uint32Array(batch * seq);
    const targets = new Uint32Array(batch * seq).fill(IGNORE_TARGET);
    for (let b = 0; b < batch && first + b < sequences; b++) {
      const start = (first + b) * seq;
      for (let t = 0; t < seq && start + t < predicted; t++) {
        ids[b * seq + t] = tokens[start + t];
        targets[b * seq + t] = tokens[start + t + 1];
      }
    }
    batches.push({ ids, targets });
  }
  return batches;
}
