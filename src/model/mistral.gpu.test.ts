// Mistral: the Llama network under another model_type, whose one difference, sliding-window
// attention, only shows past the window. Within the window the GPU model equals the float64
// reference (which implements the window); a longer sequence is refused before anything is
// allocated, naming sliding_window; exports keep the type, so transformers loads MistralForCausalLM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareArrays, describeComparison } from '../checks/compare.ts';
import { liveAllocations } from '../gpu/allocations.ts';
import { readTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { llamaConfigJson } from '../io/hf-checkpoint.ts';
import { numericGradient } from '../reference/finite-difference.ts';
import { llamaForwardReference, llamaLossReference } from '../reference/llama.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { ConfigError, llamaParameterShapes, validateLlamaConfig, type LlamaConfig } from './config.ts';
import { IGNORE_TARGET, LlamaModel } from './llama-model.ts';
import { checkRunFitsDevice } from './memory-estimate.ts';

const MISTRAL = validateLlamaConfig({
  model_type: 'mistral', vocab_size: 11, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 32, tie_word_embeddings: false, sliding_window: 6, head_dim: null,
});

function weightsFor(config: LlamaConfig): Map<string, Float32Array> {
  const random = seededRandom(5);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const values = uniformArray(random, shape.reduce((a, b) => a * b, 1), 0.5);
    if (name.endsWith('norm.weight')) for (let i = 0; i < values.length; i++) values[i] += 1;
    weights.set(name, values);
  }
  return weights;
}

function ids(batch: number, seq: number): Uint32Array {
  const random = seededRandom(8);
  return Uint32Array.from({ length: batch * seq }, () => Math.floor(random() * 11));
}

let gpu: Gpu;
beforeAll(async () => (gpu = await acquireNodeGpu()));
afterAll(() => gpu && releaseGpu(gpu));

describe('mistral', () => {
  it('the config is read as Mistral (head_dim null means hidden / heads); other types are refused, naming every supported one', () => {
    expect(MISTRAL.model_type).toBe('mistral');
    expect(MISTRAL.head_dim).toBeUndefined();
    expect(() => validateLlamaConfig({ ...MISTRAL, model_type: 'gpt2' })).toThrow(/model_type 'gpt2' is not supported; 'llama' \(LlamaForCausalLM\), 'mistral' \(MistralForCausalLM\) and 'qwen2' \(Qwen2ForCausalLM\) are/);
    expect(() => validateLlamaConfig({ ...MISTRAL, sliding_window: 0 })).toThrow(/sliding_window must be a whole number ≥ 1 or null/);
  });

  it('within the sliding window, the GPU logits equal the float64 reference', async () => {
    const [batch, seq] = [2, 6];
    const weights = weightsFor(MISTRAL);
    const model = await LlamaModel.create(gpu, MISTRAL, weights, { batch, seq, mode: { kind: 'frozen' } });
    const input = ids(batch, seq);
    model.setBatch(input, new Uint32Array(batch * seq).fill(IGNORE_TARGET));
    model.forward();
    const reference = llamaForwardReference({ config: MISTRAL, weights, ids: input, batch, seq });
    let scale = 1;
    for (const v of reference) scale = Math.max(scale, Math.abs(v));
    const c = compareArrays(await model.logits(), reference, { atol: 1e-5 * scale, rtol: 1e-4 });
    expect(c.ok, describeComparison(c)).toBe(true);
    model.destroy();
  });

  it('full fine-tuning within the window: every gradient matches finite differences of the windowed reference', async () => {
    const [batch, seq] = [2, 6];
    const weights = weightsFor(MISTRAL);
    const model = await LlamaModel.create(gpu, MISTRAL, weights, { batch, seq, mode: { kind: 'full' } });
    const input = ids(batch, seq);
    const targets = Uint32Array.from(input, (_, i) => (i % seq === seq - 1 ? IGNORE_TARGET : input[i + 1]));
    model.setBatch(input, targets);
    model.forwardBackward();
    const f64 = new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)]));
    const reference = { config: MISTRAL, weights: f64, ids: input, batch, seq };
    expect(model.trainable.map((p) => p.name).sort()).toEqual([...llamaParameterShapes(MISTRAL).keys()].sort());
    for (const p of model.trainable) {
      const numeric = numericGradient(f64.get(p.name)!, () => llamaLossReference(reference, targets), 1e-5);
      const c = compareArrays(await readTensor(gpu, p.grad), numeric, { atol: 2e-4 * Math.max(1, ...numeric.map(Math.abs)), rtol: 2e-3 }); // as llama-model.gpu.test.ts
      expect(c.ok, `${p.name}: ${describeComparison(c)}`).toBe(true);
    }
    model.destroy();
  });

  it('past the window the reference differs from full attention: so a longer sequence is refused, naming sliding_window, before anything is allocated', async () => {
    const [batch, seq] = [1, 9];
    const weights = weightsFor(MISTRAL);
    const input = ids(batch, seq);
    const windowed = llamaForwardReference({ config: MISTRAL, weights, ids: input, batch, seq });
    const full = llamaForwardReference({ config: { ...MISTRAL, sliding_window: null }, weights, ids: input, batch, seq });
    const vocab = MISTRAL.vocab_size;
    // Rows inside the window agree; the last rows (which see more than 6 keys) do not.
    expect(windowed.slice(0, 6 * vocab)).toEqual(full.slice(0, 6 * vocab));
    expect(windowed.slice(8 * vocab).some((v, i) => Math.abs(v - full[8 * vocab + i]) > 1e-6)).toBe(true);

    const before = liveAllocations(gpu).length;
    const refusal = /sliding_window 6, shorter than the sequence length 9.*at most 6 tokens/;
    await expect(LlamaModel.create(gpu, MISTRAL, weights, { batch, seq, mode: { kind: 'frozen' } })).rejects.toThrow(ConfigError);
    await expect(LlamaModel.create(gpu, MISTRAL, weights, { batch, seq, mode: { kind: 'frozen' } })).rejects.toThrow(refusal);
    expect(() => checkRunFitsDevice(gpu, MISTRAL, { batch, seq, mode: { kind: 'frozen' }, training: false })).toThrow(refusal);
    expect(liveAllocations(gpu).length).toBe(before);
  });

  it('the exported config.json keeps the type, class and window transformers needs', () => {
    const json = JSON.parse(llamaConfigJson(MISTRAL));
    expect(json).toMatchObject({ model_type: 'mistral', architectures: ['MistralForCausalLM'], sliding_window: 6, head_dim: 4 });
    expect(JSON.parse(llamaConfigJson({ ...MISTRAL, model_type: 'llama' })).sliding_window).toBeUndefined();
  });
});
