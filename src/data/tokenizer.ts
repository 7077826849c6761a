// Text ↔ token ids. A model folder's tokenizer.json goes through @huggingface/tokenizers (the
// tokenizers.js port of HF tokenizers); the bundled byte-level models use a tokenizer.json that
// maps every byte to its own id (GPT-2's byte-to-unicode alphabet, no merges), generated here.
import { Tokenizer } from '@huggingface/tokenizers';

export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** Id appended after each document of a dataset, when the tokenizer has one. */
  eosId: number | null;
}

export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

export function loadTokenizer(tokenizerJsonText: string, tokenizerConfigText?: string): TextTokenizer {
  let json: Record<string, unknown>;
  let config: Record<string, unknown> = {};
  try {
    json = JSON.parse(tokenizerJsonText);
    if (tokenizerConfigText) config = JSON.parse(tokenizerConfigText);
  } catch (err) {
    throw new TokenizerError(`tokenizer.json or tokenizer_config.json is not valid JSON: ${(err as Error).message}`);
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (err) {
    throw new TokenizerError(`tokenizer.json could not be loaded: ${(err as Error).message}`);
  }
  const eos = typeof config.eos_token === 'string' ? config.eos_token : (config.eos_token as { content?: string } | undefined)?.content;
  const eosIds = eos ? tokenizer.encode(eos, { add_special_tokens: false }).ids : [];
  return {
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    decode: (ids) => tokenizer.decode([...ids]),
    eosId: eosIds.length === 1 ? eosIds[0] : null,
  };
}

/** GPT-2's reversible byte → printable character map (the ByteLevel pre-tokenizer's alphabet). */
function byteToUnicode(): string[] {
  const direct: number[] = [];
  for (let b = 33; b <= 126; b++) direct.push(b);
  for (let b = 161; b <= 172; b++) direct.push(b);
  for (let b = 174; b <= 255; b++) direct.push(b);
  const chars: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCodePoint(direct.includes(b) ? b : 256 + extra++);
  return chars;
}

/** tokenizer.json of a byte-level model: token id = UTF-8 byte value (vocab_size 256). */
export function byteLevelTokenizerJson(): string {
  const vocab: Record<string, number> = {};
  byteToUnicode().forEach((ch, b) => (vocab[ch] = b));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const json = {
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: byteLevel, post_processor: null, decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

export const BYTE_LEVEL_TOKENIZER_CONFIG = `${JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', model_max_length: 1024, clean_up_tokenization_spaces: false }, null, 2)}\n`;
