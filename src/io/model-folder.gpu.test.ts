// Bring-your-own model: a tiny HF-format Llama checkpoint, written by project code as one F32
// file and as BF16 shards with an index, loads and gives the engine's logits; broken or hostile
// folders are refused with the file and field named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { byteLevelTokenizerJson } from '../data/tokenizer.ts';
import { initLlamaWeights, validateLlamaConfig, type LlamaConfig } from '../model/config.ts';
import { IGNORE_TARGET, LlamaModel } from '../model/llama-model.ts';
import { seededRandom } from '../util/random.ts';
import { llamaCheckpointFiles, llamaShardedCheckpointFiles } from './hf-checkpoint.ts';
import { loadModelFolder } from './model-folder.ts';
import { memoryFolder } from './random-access.ts';
import { readFloat32, type WeightSource } from './weight-source.ts';
import { f32ToBf16 } from './safetensors.ts';

const config = validateLlamaConfig({
  model_type: 'llama', vocab_size: 256, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 32, tie_word_embeddings: false,
});
const weights = initLlamaWeights(config, seededRandom(7));

const folder = memoryFolder;

const bf16 = (x: Float32Array) => Float32Array.from(x, (v) => new Float32Array(new Uint32Array([f32ToBf16(v) << 16]).buffer)[0]);

async function logitsOf(gpu: Gpu, c: LlamaConfig, w: WeightSource | Map<string, Float32Array>, baseStorage?: 'f32'): Promise<Float32Array> {
  const model = await LlamaModel.create(gpu, c, w, { batch: 1, seq: 6, mode: { kind: 'frozen' }, baseStorage });
  model.setBatch(Uint32Array.from(new TextEncoder().encode('qQ aA\n')), new Uint32Array(6).fill(IGNORE_TARGET));
  model.forward();
  const logits = await model.logits();
  model.destroy();
  return logits;
}

describe('HF model folders', () => {
  let gpu: Gpu;
  beforeAll(async () => (gpu = await acquireNodeGpu()));
  afterAll(() => releaseGpu(gpu));

  it('F32 model.safetensors + tokenizer.json: same weights, same logits as the engine on the originals', async () => {
    const files = { ...llamaCheckpointFiles(config, weights), 'tokenizer.json': byteLevelTokenizerJson() };
    const loaded = await loadModelFolder(folder(files));
    expect(loaded.dtypes).toEqual(['F32']);
    for (const [name, w] of weights) expect(await readFloat32(loaded.weights, name)).toEqual(w);
    expect(loaded.tokenizer!.encode('qQ é')).toEqual([...new TextEncoder().encode('qQ é')]);
    expect(loaded.tokenizer!.decode([113, 81, 10])).toBe('qQ\n');
    expect(Array.from(await logitsOf(gpu, loaded.config, loaded.weights))).toEqual(Array.from(await logitsOf(gpu, config, weights)));
  });

  it('BF16 shards with an index: the bf16-rounded weights, and the engine logits for them', async () => {
    const files = llamaShardedCheckpointFiles(config, weights, 8 * 1024, 'BF16');
    const shards = Object.keys(files).filter((n) => n.endsWith('.safetensors'));
    expect(shards.length).toBeGreaterThan(2);
    const progress: string[] = [];
    const loaded = await loadModelFolder(folder(files), (m) => progress.push(m));
    expect(progress).toHaveLength(shards.length);
    expect(loaded.dtypes).toEqual(['BF16']);
    expect(loaded.tokenizer).toBeNull();
    const rounded = new Map([...weights].map(([n, w]) => [n, bf16(w)]));
    for (const [name, w] of rounded) expect(await readFloat32(loaded.weights, name)).toEqual(w);
    // Widened to f32 on upload: the same kernels, the same logits bit for bit.
    const reference = await logitsOf(gpu, config, rounded);
    expect(Array.from(await logitsOf(gpu, loaded.config, loaded.weights, 'f32'))).toEqual(Array.from(reference));
    // Kept packed (the default): other kernels summing in another order, equal to f32 rounding.
    const packed = await logitsOf(gpu, loaded.config, loaded.weights);
    const scale = Math.max(...reference.map(Math.abs));
    packed.forEach((v, i) => expect(Math.abs(v - reference[i])).toBeLessThan(1e-5 * scale));
  });

  it('refuses broken and hostile folders, naming the file and field', async () => {
    const single = llamaCheckpointFiles(config, weights);
    const sharded = llamaShardedCheckpointFiles(config, weights, 8 * 1024);
    const index = JSON.parse(sharded['model.safetensors.index.json'] as string);
    const withIndex = (weightMap: Record<string, string>) => ({ ...sharded, 'model.safetensors.index.json': JSON.stringify({ weight_map: weightMap }) });
    const cases: [Record<string, string | Uint8Array>, RegExp][] = [
      [{ 'model.safetensors': single['model.safetensors'] }, /no config\.json/],
      [{ 'config.json': single['config.json'] }, /neither model\.safetensors nor model\.safetensors\.index\.json/],
      [{ ...single, 'config.json': JSON.stringify({ ...JSON.parse(single['config.json'] as string), model_type: 'gpt2' }) }, /model_type 'gpt2' is not supported; 'llama' \(LlamaForCausalLM\), 'mistral' \(MistralForCausalLM\) and 'qwen2'/],
      [{ ...single, 'config.json': JSON.stringify({ ...JSON.parse(single['config.json'] as string), num_hidden_layers: 1e9 }) }, /num_hidden_layers must be a whole number from 1 to 1024/],
      [{ ...single, 'config.json': JSON.stringify({ ...JSON.parse(single['config.json'] as string), num_hidden_layers: 3 }) }, /no tensor model\.layers\.2\./],
      [{ ...single, 'config.json': '{"model_type": "llama",' }, /config\.json is not valid JSON/],
      [withIndex({ ...index.weight_map, 'model.norm.weight': '../../etc/passwd.safetensors' }), /shards must be plain \*\.safetensors file names/],
      [withIndex({ ...index.weight_map, 'model.norm.weight': 'model-00009-of-00009.safetensors' }), /lists model-00009-of-00009\.safetensors, which is not in the folder/],
      [withIndex({ ...index.weight_map, 'model.norm.weight': Object.values(index.weight_map)[0] as string }), /places model\.norm\.weight in model-00001/],
      [{ ...single, 'tokenizer.json': '{"model": {"type": "Nonsense"}}' }, /tokenizer\.json could not be loaded/],
      [{ ...single, 'model.safetensors': (single['model.safetensors'] as Uint8Array).subarray(0, 3000) }, /model\.safetensors: tensors need \d+ data bytes, file has \d+ \(truncated/],
      [{ ...single, 'model.safetensors': Uint8Array.from(single['model.safetensors'] as Uint8Array, (b, i) => (i === 3 ? 0xff : b)) }, /model\.safetensors: header length \d+ is over/],
    ];
    for (const [files, message] of cases) await expect(loadModelFolder(folder(files))).rejects.toThrow(message);
  });
});
