// Merge → export → unmerge leaves the base exactly as it was: ExactMerge copies the saved weights
// back, while the arithmetic unmerge (W + s·B·A − s·B·A in float32) does not in general — which is
// why every path that undoes a merge (the page's merge, the merged exports, the CLI) uses it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergedCheckpointFiles } from '../adapters/model-adapter.ts';
import { readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { parseSafetensors } from '../io/safetensors.ts';
import { initLlamaWeights, validateLlamaConfig } from '../model/config.ts';
import { LlamaModel } from '../model/llama-model.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { ExactMerge } from './exact-merge.ts';

const config = validateLlamaConfig({
  model_type: 'llama', vocab_size: 13, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 8, tie_word_embeddings: true,
});

let gpu: Gpu;
beforeAll(async () => (gpu = await acquireNodeGpu()));
afterAll(() => gpu && releaseGpu(gpu));

async function trainedLookingModel(): Promise<LlamaModel> {
  const model = await LlamaModel.create(gpu, config, initLlamaWeights(config, seededRandom(4)), { batch: 1, seq: 4, mode: { kind: 'lora', lora: { targetModules: 'all-linear', r: 3, loraAlpha: 7 } } });
  const random = seededRandom(9);
  for (const l of model.linears) writeTensor(gpu, l.lora!.loraB, uniformArray(random, l.lora!.loraB.numel, 0.3)); // B ≠ 0, as after training
  return model;
}

async function weightsOf(model: LlamaModel): Promise<Map<string, Uint32Array>> {
  const out = new Map<string, Uint32Array>();
  for (const [name, t] of model.weights) out.set(name, new Uint32Array((await readTensor(gpu, t)).buffer)); // bits, not values
  return out;
}

describe('exact merge', () => {
  it('the merged export holds W + s·B·A, and the base comes back bit for bit afterwards', async () => {
    const model = await trainedLookingModel();
    const before = await weightsOf(model);
    const files = await mergedCheckpointFiles(gpu, model, 'F32');
    expect(await weightsOf(model)).toEqual(before);
    const merged = parseSafetensors(files['model.safetensors'] as Uint8Array);
    const q = merged.get('model.layers.0.self_attn.q_proj.weight');
    const base = new Float32Array(before.get('model.layers.0.self_attn.q_proj.weight')!.buffer);
    expect(q.some((v, i) => v !== base[i])).toBe(true); // the export is not the base
    model.destroy();
  });

  it('merge then unmerge through ExactMerge restores every bit; the arithmetic unmerge does not', async () => {
    const model = await trainedLookingModel();
    const before = await weightsOf(model);
    const merging = new ExactMerge(gpu, model.linears.map((l) => ({ path: l.path, lora: l.lora! })));
    await merging.merge();
    expect(merging.merged).toBe(true);
    merging.unmerge();
    expect(await weightsOf(model)).toEqual(before);

    model.merge();
    model.unmerge(); // W + s·B·A − s·B·A, rounded twice
    const after = await weightsOf(model);
    let differing = 0;
    for (const [name, bits] of before) {
      const now = after.get(name)!;
      for (let i = 0; i < bits.length; i++) if (bits[i] !== now[i]) differing++;
    }
    expect(differing).toBeGreaterThan(0);
    model.destroy();
  });
});
