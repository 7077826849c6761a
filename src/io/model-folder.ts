// A Hugging Face model folder from local files (a directory in the CLI, picked files in the
// page): config.json, model.safetensors or model.safetensors.index.json with its shards, and
// tokenizer.json (+ tokenizer_config.json). Everything in it is untrusted input.
import { loadTokenizer, type TextTokenizer } from '../data/tokenizer.ts';
import { ConfigError, type LlamaConfig } from '../model/config.ts';
import { checkpointWeights, parseLlamaConfigText } from './hf-checkpoint.ts';
import { parseSafetensors, type SafetensorsFile } from './safetensors.ts';

/** Reads one file of the folder by name; null when it does not exist. */
export type ReadFile = (name: string) => Promise<Uint8Array | null>;

export interface ModelFolder {
  config: LlamaConfig;
  weights: Map<string, Float32Array>;
  tokenizer: TextTokenizer | null;
  /** tokenizer.json / tokenizer_config.json as read, to copy next to an exported merged model. */
  tokenizerFiles: Record<string, string>;
  /** The safetensors files read, and the dtypes found in them. */
  files: string[];
  dtypes: string[];
}

const text = (bytes: Uint8Array) => new TextDecoder('utf-8', { fatal: false }).decode(bytes);

/** Names in an index must be plain file names next to it: no folders, no way out of the folder. */
function checkShardName(name: unknown): string {
  if (typeof name !== 'string' || !/^[\w.-]+\.safetensors$/.test(name) || name.includes('..')) {
    throw new ConfigError(`model.safetensors.index.json names the shard ${JSON.stringify(name)}; shards must be plain *.safetensors file names in the same folder`);
  }
  return name;
}

export async function loadModelFolder(read: ReadFile, onProgress?: (message: string) => void): Promise<ModelFolder> {
  const configBytes = await read('config.json');
  if (!configBytes) throw new ConfigError('the model folder has no config.json');
  const config = parseLlamaConfigText(text(configBytes));

  const shards: { name: string; file: SafetensorsFile }[] = [];
  const single = await read('model.safetensors');
  if (single) {
    onProgress?.('reading model.safetensors');
    shards.push({ name: 'model.safetensors', file: parseSafetensors(single) });
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
      const bytes = await read(name);
      if (!bytes) throw new ConfigError(`model.safetensors.index.json lists ${name}, which is not in the folder`);
      shards.push({ name, file: parseSafetensors(bytes) });
    }
    // Every tensor the index places in a shard must really be there.
    for (const [tensor, shard] of Object.entries(map as Record<string, string>)) {
      if (!shards.find((s) => s.name === shard)!.file.tensors.some((t) => t.name === tensor)) {
        throw new ConfigError(`model.safetensors.index.json places ${tensor} in ${shard}, which does not hold it`);
      }
    }
  }
  const weights = checkpointWeights(config, shards);

  const tokenizerBytes = await read('tokenizer.json');
  const tokenizerConfig = await read('tokenizer_config.json');
  const tokenizer = tokenizerBytes ? loadTokenizer(text(tokenizerBytes), tokenizerConfig ? text(tokenizerConfig) : undefined) : null;
  const tokenizerFiles: Record<string, string> = {};
  if (tokenizerBytes) tokenizerFiles['tokenizer.json'] = text(tokenizerBytes);
  if (tokenizerBytes && tokenizerConfig) tokenizerFiles['tokenizer_config.json'] = text(tokenizerConfig);
  const dtypes = [...new Set(shards.flatMap((s) => s.file.tensors.map((t) => t.dtype)))].sort();
  return { config, weights, tokenizer, tokenizerFiles, files: shards.map((s) => s.name), dtypes };
}
