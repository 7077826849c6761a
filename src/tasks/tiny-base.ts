// The bundled base model of the tiny-lm task: a byte-level Llama pretrained by
// `npm run pretrain` on corpus A, shipped in public/models/byte-caps/.
import { validateLlamaConfig } from '../model/config.ts';

export const TINY_BASE_NAME = 'byte-caps';
export const TINY_BASE_DIR = `public/models/${TINY_BASE_NAME}`;

export const TINY_BASE_CONFIG = validateLlamaConfig({
  model_type: 'llama',
  vocab_size: 256, // bytes: no tokenizer file needed
  hidden_size: 64,
  intermediate_size: 176,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  max_position_embeddings: 64,
  tie_word_embeddings: true,
});

export const PRETRAIN_DEFAULTS = { steps: 300, lr: 1e-2, batch: 16, seq: 32, seed: 1, warmup: 30 };
