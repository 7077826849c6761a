// Hugging Face Llama checkpoints: config.json + model.safetensors, as
// LlamaForCausalLM.save_pretrained writes them (and merge_and_unload().save_pretrained()).
import { llamaParameterShapes, validateLlamaConfig, type LlamaConfig } from '../model/config.ts';
import { parseSafetensors, serializeSafetensors, type TensorToWrite } from './safetensors.ts';

export function llamaConfigJson(config: LlamaConfig, dtype: 'float32' | 'float16' = 'float32'): string {
  const json = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: config.vocab_size,
    hidden_size: config.hidden_size,
    intermediate_size: config.intermediate_size,
    num_hidden_layers: config.num_hidden_layers,
    num_attention_heads: config.num_attention_heads,
    num_key_value_heads: config.num_key_value_heads,
    head_dim: config.head_dim ?? config.hidden_size / config.num_attention_heads,
    hidden_act: 'silu',
    rms_norm_eps: config.rms_norm_eps,
    rope_theta: config.rope_theta,
    max_position_embeddings: config.max_position_embeddings,
    tie_word_embeddings: config.tie_word_embeddings,
    attention_bias: false,
    mlp_bias: false,
    torch_dtype: dtype,
    bos_token_id: null,
    eos_token_id: null,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** The two files of a checkpoint; tensors in HF's parameter order. */
export function llamaCheckpointFiles(config: LlamaConfig, weights: Map<string, Float32Array>, dtype: 'F32' | 'F16' = 'F32'): Record<string, string | Uint8Array> {
  const tensors: TensorToWrite[] = [];
  for (const [name, shape] of llamaParameterShapes(config)) {
    const data = weights.get(name);
    if (!data) throw new Error(`checkpoint is missing ${name}`);
    tensors.push({ name, shape, data });
  }
  return {
    'model.safetensors': serializeSafetensors(tensors, { format: 'pt' }, dtype),
    'config.json': llamaConfigJson(config, dtype === 'F16' ? 'float16' : 'float32'),
  };
}

/** Reads config.json and model.safetensors (F32, F16 or BF16), checking names and shapes. */
export function parseLlamaCheckpoint(configText: string, safetensors: Uint8Array): { config: LlamaConfig; weights: Map<string, Float32Array> } {
  const config = validateLlamaConfig(JSON.parse(configText));
  const file = parseSafetensors(safetensors);
  const present = new Map(file.tensors.map((t) => [t.name, t]));
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const info = present.get(name);
    if (!info) throw new Error(`model.safetensors has no tensor ${name}`);
    if (info.shape.join(',') !== shape.join(',')) throw new Error(`${name} has shape [${info.shape}], the config needs [${shape}]`);
    weights.set(name, file.get(name));
  }
  return { config, weights };
}
