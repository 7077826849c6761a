// Hugging Face Llama checkpoints: config.json + model.safetensors, as
// LlamaForCausalLM.save_pretrained writes them (and merge_and_unload().save_pretrained()).
import { ARCHITECTURES, ConfigError, llamaParameterShapes, validateLlamaConfig, type LlamaConfig } from '../model/config.ts';
import { parseSafetensors, serializeSafetensors, type Dtype, type SafetensorsFile, type TensorToWrite } from './safetensors.ts';

export function llamaConfigJson(config: LlamaConfig, dtype: 'float32' | 'float16' | 'bfloat16' = 'float32'): string {
  const json = {
    architectures: [ARCHITECTURES[config.model_type]],
    model_type: config.model_type,
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
    ...(config.model_type === 'mistral' ? { sliding_window: config.sliding_window ?? null } : {}),
    ...(config.model_type === 'qwen2' ? qwen2WindowKeys(config) : {}),
    tie_word_embeddings: config.tie_word_embeddings,
    // Qwen2Config has neither key: its q/k/v always carry biases, its o_proj and MLP never do.
    ...(config.model_type === 'qwen2' ? {} : { attention_bias: false, mlp_bias: false }),
    torch_dtype: dtype,
    bos_token_id: null,
    eos_token_id: null,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Qwen2's window settings as its config.json had them (absent keys stay absent). */
function qwen2WindowKeys(c: LlamaConfig) {
  const keys = { use_sliding_window: c.use_sliding_window, sliding_window: c.sliding_window, max_window_layers: c.max_window_layers };
  return Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined));
}

/** The two files of a checkpoint; tensors in HF's parameter order. */
export function llamaCheckpointFiles(config: LlamaConfig, weights: Map<string, Float32Array>, dtype: Dtype = 'F32'): Record<string, string | Uint8Array> {
  const tensors: TensorToWrite[] = [];
  for (const [name, shape] of llamaParameterShapes(config)) {
    const data = weights.get(name);
    if (!data) throw new Error(`checkpoint is missing ${name}`);
    tensors.push({ name, shape, data });
  }
  return {
    'model.safetensors': serializeSafetensors(tensors, { format: 'pt' }, dtype),
    'config.json': llamaConfigJson(config, ({ F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const)[dtype]),
  };
}

/** Reads config.json and model.safetensors (F32, F16 or BF16), checking names and shapes. */
export function parseLlamaCheckpoint(configText: string, safetensors: Uint8Array): { config: LlamaConfig; weights: Map<string, Float32Array> } {
  const config = parseLlamaConfigText(configText);
  return { config, weights: checkpointWeights(config, [{ name: 'model.safetensors', file: parseSafetensors(safetensors) }]) };
}

export function parseLlamaConfigText(configText: string): LlamaConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(configText);
  } catch (err) {
    throw new ConfigError(`config.json is not valid JSON: ${(err as Error).message}`);
  }
  return validateLlamaConfig(raw);
}

/**
 * Every parameter the config needs, from one file or several shards; tensors the config does not
 * need (rotary inv_freq buffers, a tied lm_head) are ignored.
 */
export function checkpointWeights(config: LlamaConfig, files: { name: string; file: SafetensorsFile }[]): Map<string, Float32Array> {
  const where = new Map<string, { name: string; file: SafetensorsFile; shape: number[] }>();
  for (const f of files) for (const t of f.file.tensors) where.set(t.name, { name: f.name, file: f.file, shape: t.shape });
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const found = where.get(name);
    if (!found) throw new ConfigError(`the checkpoint has no tensor ${name} (looked in ${files.map((f) => f.name).join(', ')})`);
    if (found.shape.join(',') !== shape.join(',')) throw new ConfigError(`${name} in ${found.name} has shape [${found.shape}], the config needs [${shape}]`);
    weights.set(name, found.file.get(name));
  }
  return weights;
}

/**
 * The checkpoint split into shards of at most `shardBytes` of tensor data, with the
 * model.safetensors.index.json that save_pretrained writes for large models.
 */
export function llamaShardedCheckpointFiles(config: LlamaConfig, weights: Map<string, Float32Array>, shardBytes: number, dtype: Dtype = 'F32'): Record<string, string | Uint8Array> {
  const bytesPer = dtype === 'F32' ? 4 : 2;
  const shards: TensorToWrite[][] = [[]];
  let used = 0;
  for (const [name, shape] of llamaParameterShapes(config)) {
    const data = weights.get(name);
    if (!data) throw new Error(`checkpoint is missing ${name}`);
    if (used > 0 && used + data.length * bytesPer > shardBytes) {
      shards.push([]);
      used = 0;
    }
    shards[shards.length - 1].push({ name, shape, data });
    used += data.length * bytesPer;
  }
  const files: Record<string, string | Uint8Array> = {};
  const weightMap: Record<string, string> = {};
  let total = 0;
  const count = String(shards.length).padStart(5, '0');
  shards.forEach((tensors, i) => {
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${count}.safetensors`;
    files[file] = serializeSafetensors(tensors, { format: 'pt' }, dtype);
    for (const t of tensors) {
      weightMap[t.name] = file;
      total += t.data.length * bytesPer;
    }
  });
  files['model.safetensors.index.json'] = `${JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2)}\n`;
  files['config.json'] = llamaConfigJson(config, ({ F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const)[dtype]);
  return files;
}
