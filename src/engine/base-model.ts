// The loaded base model: config, tokenizer, and its weights where they lie (the picked files,
// the Hub cache, a folder), read one tensor at a time whenever a run uploads them. The Session
// holds one; a run uploads it to the GPU (one copy at a time, BF16/F16 weights kept packed), and
// a rebuilt run (a new device, another layout) reads the files again, so the checkpoint is never
// held in JavaScript memory.
import type { TextTokenizer } from '../data/tokenizer.ts';
import type { WeightSource } from '../io/weight-source.ts';
import type { LlamaConfig } from '../model/config.ts';

export interface BaseModel {
  name: string;
  config: LlamaConfig;
  weights: WeightSource;
  tokenizer: TextTokenizer;
  tokenizerFiles: Record<string, string>;
  dtypes: string[];
  /** GPU bytes of a LoRA run (r = 8, q_proj and v_proj) at batch × seq, from the config alone. */
  estimate: { batch: number; seq: number; total: number; baseWeights: number; f32Total: number };
}
