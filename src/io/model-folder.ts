// A Hugging Face model folder from local files (a directory in the CLI, picked files in the
// page, a Hub download's cache): config.json, model.safetensors or model.safetensors.index.json
// with its shards, and tokenizer.json (+ tokenizer_config.json). Everything in it is untrusted
// input. Only headers are read here: every name, shape and offset is checked against the files'
// sizes, and the weights stay in the files until a run uploads them one tensor at a time.
import type { TextTokenizer } from '../data/tokenizer.ts';
import { ConfigError, llamaParameterShapes, type LlamaConfig } from '../model/config.ts';
import { parseLlamaConfigText } from './hf-checkpoint.ts';
import { readWhole, type OpenFile } from './random-access.ts';
import type { Dtype } from './safetensors.ts';
import { openSafetensors, type SafetensorsOnDisk, type WeightSource } from './weight-source.ts';

export interface ModelFolder {
  config: LlamaConfig;
  /** Read lazily from the files, in their own dtype. */
  weights: WeightSource;
  tokenizer: TextTokenizer | null;
  /** tokenizer.json / tokenizer_config.json as read, to copy next to an exported merged model. */
  tokenizerFiles: Record<string, string>;
  /** The safetensors files read, and the dtypes found in them. */
  files: string[];
  dtypes: string[];
  /** Bytes of the largest safetensors file (the loader's memory bound is a fraction of it). */
  largestFileBytes: number;
}

const text = (bytes: Uint8Array) => new TextDecoder('utf-8', { fatal: false }).decode(bytes);

/** Names in an index must be plain file names next to it: no folders, no way out of the folder. */
function checkShardName(name: unknown): string {
  if (typeof name !== 'string' || !/^[\w.-]+\.safetensors$/.test(name) || name.includes('..')) {
    throw new ConfigError(`model.safetensors.index.json names the shard ${JSON.stringify(name)}; shards must be plain *.safetensors file names in the same folder`);
  }
  return name;
}

export async function loadModelFolder(open: OpenFile, onProgress?: (message: string) => void): Promise<ModelFolder> {
  const read = async (name: string) => {
    const f = await open(name);
    return f && readWhole(f);
  };
  const configBytes = await read('config.json');
  if (!configBytes) throw new ConfigError('the model folder has no config.json');
  const config = parseLlamaConfigText(text(configBytes));

  const shards: { name: string; file: SafetensorsOnDisk; bytes: number }[] = [];
  const openShard = async (name: string, missing: string) => {
    const f = await open(name);
    if (!f) throw new ConfigError(missing);
    try {
      shards.push({ name, file: await openSafetensors(f), bytes: f.size });
    } catch (err) {
      throw new ConfigError(`${name}: ${(err as Error).message}`);
    }
  };
  const single = await open('model.safetensors');
  if (single) {
    onProgress?.('reading model.safetensors');
    await openShard('model.safetensors', 'model.safetensors disappeared while loading');
  } else {
    const indexBytes = await read('model.safetensors.index.json');
    if (!indexBytes) throw new ConfigError('the model folder has neither model.safetensors nor model.safetensors.index.json');
    let index: { weight_map?: unknown };
    try {
      index = JSON.parse(text(indexBytes));
    } catch (err) {
      throw new ConfigError(`model.safetensors.index.json is not valid JSON: ${(err as Error).message}`);
    }
    const map = index.weight_map;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new ConfigError('model.safetensors.index.json has no weight_map object');
    const names = [...new Set(Object.values(map).map(checkShardName))].sort();
    for (const [i, name] of names.entries()) {
      onProgress?.(`reading shard ${i + 1} of ${names.length}: ${name}`);
      await openShard(name, `model.safetensors.index.json lists ${name}, which is not in the folder`);
    }
    // Every tensor the index places in a shard must really be there.
    for (const [tensor, shard] of Object.entries(map as Record<string, string>)) {
      if (!shards.find((s) => s.name === shard)!.file.tensors.some((t) => t.name === tensor)) {
        throw new ConfigError(`model.safetensors.index.json places ${tensor} in ${shard}, which does not hold it`);
      }
    }
  }
  const weights = checkpointSource(config, shards);

  const tokenizerBytes = await read('tokenizer.json');
  const tokenizerConfig = await read('tokenizer_config.json');
  // Imported here, not at the top: the page's engine worker fetches @huggingface/tokenizers only
  // when a model with a tokenizer is loaded (scripts/first-load-bytes.mjs measures the first load).
  const tokenizer = tokenizerBytes ? (await import('../data/tokenizer.ts')).loadTokenizer(text(tokenizerBytes), tokenizerConfig ? text(tokenizerConfig) : undefined) : null;
  const tokenizerFiles: Record<string, string> = {};
  if (tokenizerBytes) tokenizerFiles['tokenizer.json'] = text(tokenizerBytes);
  if (tokenizerBytes && tokenizerConfig) tokenizerFiles['tokenizer_config.json'] = text(tokenizerConfig);
  const dtypes = [...new Set([...weights.tensors.values()].map((t) => t.dtype))].sort();
  return { config, weights, tokenizer, tokenizerFiles, files: shards.map((s) => s.name), dtypes, largestFileBytes: Math.max(0, ...shards.map((s) => s.bytes)) };
}

/**
 * Every parameter the config needs, found in one file or several shards with the right shape;
 * tensors the config does not need (rotary inv_freq buffers, a tied lm_head) are ignored.
 */
export function checkpointSource(config: LlamaConfig, shards: { name: string; file: SafetensorsOnDisk }[]): WeightSource {
  const where = new Map<string, { shard: string; file: SafetensorsOnDisk; info: SafetensorsOnDisk['tensors'][number] }>();
  for (const s of shards) for (const t of s.file.tensors) where.set(t.name, { shard: s.name, file: s.file, info: t });
  const tensors = new Map<string, { dtype: Dtype; shape: readonly number[] }>();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const found = where.get(name);
    if (!found) throw new ConfigError(`the checkpoint has no tensor ${name} (looked in ${shards.map((s) => s.name).join(', ')})`);
    if (found.info.shape.join(',') !== shape.join(',')) throw new ConfigError(`${name} in ${found.shard} has shape [${found.info.shape}], the config needs [${shape}]`);
    tensors.set(name, { dtype: found.info.dtype, shape });
  }
  return {
    tensors,
    async read(name) {
      const found = where.get(name);
      if (!found || !tensors.has(name)) throw new Error(`the checkpoint has no tensor ${name}`);
      return { dtype: found.info.dtype, bytes: await found.file.read(found.info) };
    },
  };
}
