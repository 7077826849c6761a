// The per-dispatch profile runs a step's own kernels, one timestamped pass each: it must see every
// dispatch the step encodes, group them by kernel without the layer index, and compute what a
// step computes (the same loss), so its times are the times of the real step's work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { initLlamaWeights, validateLlamaConfig } from '../model/config.ts';
import { LlamaModel } from '../model/llama-model.ts';
import { seededRandom } from '../util/random.ts';
import { kernelGroup, profileDispatches } from './dispatch-profile.ts';
import { batchFor } from './promises.ts';

const config = validateLlamaConfig({
  model_type: 'llama', vocab_size: 13, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 3,
  num_attention_heads: 2, num_key_value_heads: 1, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 16, tie_word_embeddings: true,
});

describe('per-dispatch profile', () => {
  let gpu: Gpu;
  beforeAll(async () => (gpu = await acquireNodeGpu()));
  afterAll(() => releaseGpu(gpu));

  it('names the kernel without its layer', () => {
    expect(kernelGroup('model.layers.17.self_attn.q_proj.H=XAt')).toBe('self_attn.q_proj.H=XAt');
    expect(kernelGroup('lm_head.dX')).toBe('lm_head.dX');
  });

  it('times every dispatch of a LoRA step, grouped across layers, and computes the step’s loss', async () => {
    const model = await LlamaModel.create(gpu, config, initLlamaWeights(config, seededRandom(3)), {
      batch: 2, seq: 5, mode: { kind: 'lora', lora: { targetModules: ['q_proj', 'v_proj'], r: 2, loraAlpha: 4 } },
    });
    const b = batchFor(config, 2, 5, 1);
    model.setBatch(b.ids, b.targets);
    model.forwardBackward();
    const stepLoss = await model.loss();
    const profile = await profileDispatches(gpu, model.stepDispatches, 1);
    expect(await model.loss()).toBe(stepLoss);
    if (!gpu.features.has('timestamp-query')) {
      expect(profile.method).toBe('unavailable');
      return;
    }
    expect(profile.method).toBe('timestamp-query');
    expect(profile.dispatches).toBe(model.dispatchCount);
    expect(profile.kernels.reduce((n, k) => n + k.dispatches, 0)).toBe(model.dispatchCount);
    expect(profile.kernels.reduce((s, k) => s + k.share, 0)).toBeCloseTo(1, 6);
    expect(profile.kernels.some((k) => /layers\.\d/.test(k.kernel))).toBe(false);
    // q and v share X: their low-rank products are one kernel with one dispatch per layer.
    const h = profile.kernels.find((k) => k.kernel === 'self_attn.q_proj+v_proj.H=XAt');
    expect(h?.dispatches).toBe(config.num_hidden_layers);
    expect(profile.shortestUs).toBeGreaterThan(0);
    expect(profile.dispatchBound.dispatches).toBeGreaterThanOrEqual(1);
    model.destroy();
  });
});
