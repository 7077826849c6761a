// Well-known Llama-architecture models, with the dimensions from their published config.json,
// for parameter counts and memory estimates (no weights are involved).
import { validateLlamaConfig, type LlamaConfig } from './config.ts';

const llama = (c: Omit<LlamaConfig, 'model_type'>) => validateLlamaConfig({ model_type: 'llama', ...c });

export const PRESETS: Record<string, LlamaConfig> = {
  'llama-2-7b': llama({ vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 4096, tie_word_embeddings: false }),
  'llama-3-8b': llama({ vocab_size: 128256, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, rms_norm_eps: 1e-5, rope_theta: 500000, max_position_embeddings: 8192, tie_word_embeddings: false }),
  'llama-3.2-1b': llama({ vocab_size: 128256, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, rms_norm_eps: 1e-5, rope_theta: 500000, max_position_embeddings: 131072, tie_word_embeddings: true }),
  'tinyllama-1.1b': llama({ vocab_size: 32000, hidden_size: 2048, intermediate_size: 5632, num_hidden_layers: 22, num_attention_heads: 32, num_key_value_heads: 4, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 2048, tie_word_embeddings: false }),
  'smollm2-135m': llama({ vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, rms_norm_eps: 1e-5, rope_theta: 100000, max_position_embeddings: 8192, tie_word_embeddings: true }),
};
