// The loaded base model in CPU memory: config, weights (f32), tokenizer. The Session holds one; a
// run uploads it to the GPU (one copy at a time), and a rebuilt run re-uploads it from here, so
// the base files are never read again after loading.
import type { TextTokenizer } from '../data/tokenizer.ts';
import type { LlamaConfig } from '../model/config.ts';

export interface BaseModel {
  name: string;
  config: LlamaConfig;
  weights: Map<string, Float32Array>;
  tokenizer: TextTokenizer;
  tokenizerFiles: Record<string, string>;
  dtypes: string[];
}
