// Qwen2: the Llama network plus biases on q_proj, k_proj and v_proj. With nonzero random biases
// the GPU model equals the float64 reference (logits and loss); LoRA and full fine-tuning
// gradients (dBias too) equal finite differences of it; under LoRA the biases stay frozen; a
// merged export keeps Qwen2ForCausalLM and the biases; use_sliding_window is refused past the window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareArrays, describeComparison } from '../checks/compare.ts';
import { readAdapter, mergedCheckpointFiles } from '../adapters/model-adapter.ts';
import { liveAllocations } from '../gpu/allocations.ts';
import { readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { createFixedGuard } from '../gpu/kernels/step-guard.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { parseLlamaCheckpoint } from '../io/hf-checkpoint.ts';
import { adapterFolderFiles } from '../io/peft.ts';
import { parseSafetensors } from '../io/safetensors.ts';
import { numericGradient } from '../reference/finite-difference.ts';
import { llamaForwardReference, llamaLossReference, type ReferenceAdapter } from '../reference/llama.ts';
import { AdamW } from '../train/adamw.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { ConfigError, initLlamaWeights, llamaParameterShapes, validateLlamaConfig, type LlamaConfig } from './config.ts';
import { IGNORE_TARGET, LlamaModel, type TrainingMode } from './llama-model.ts';
import { estimateMemory } from './memory-estimate.ts';

// Ragged: 3 query heads and 1 key/value head of 4, so q_proj's bias has 12 values, k's and v's 4.
// The window (4) is shorter than the sequences below, but use_sliding_window is false: it is ignored.
const QWEN2 = validateLlamaConfig({
  model_type: 'qwen2', vocab_size: 13, hidden_size: 12, intermediate_size: 10, num_hidden_layers: 2, num_attention_heads: 3, num_key_value_heads: 1,
  rms_norm_eps: 1e-6, rope_theta: 1000000, max_position_embeddings: 32, tie_word_embeddings: true,
  use_sliding_window: false, sliding_window: 4, max_window_layers: 2,
});
const [BATCH, SEQ] = [2, 5];
const BIASES = [0, 1].flatMap((l) => ['q_proj', 'k_proj', 'v_proj'].map((m) => `model.layers.${l}.self_attn.${m}.bias`));

/** Uniform in ±0.5 (biases included: nonzero), norms around 1: every gradient well above float32 noise. */
function randomWeights(config: LlamaConfig, seed: number): Map<string, Float32Array> {
  const random = seededRandom(seed);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const values = uniformArray(random, shape.reduce((a, b) => a * b, 1), 0.5);
    if (name.endsWith('norm.weight')) for (let i = 0; i < values.length; i++) values[i] += 1;
    weights.set(name, values);
  }
  return weights;
}

function batch(seed: number, batchSize: number, seq: number) {
  const random = seededRandom(seed);
  const ids = Uint32Array.from({ length: batchSize * seq }, () => Math.floor(random() * QWEN2.vocab_size));
  const targets = Uint32Array.from({ length: batchSize * seq }, (_, i) => (i % seq === seq - 1 ? IGNORE_TARGET : ids[i + 1]));
  return { ids, targets };
}

function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, what: string, tol = { atol: 1e-5, rtol: 1e-4 }) {
  let scale = 1;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  const c = compareArrays(got, ref, { atol: tol.atol * scale, rtol: tol.rtol });
  expect(c.ok, `${what}: ${describeComparison(c)}`).toBe(true);
}

let gpu: Gpu;
beforeAll(async () => (gpu = await acquireNodeGpu()));
afterAll(() => gpu && releaseGpu(gpu));

async function build(weights: Map<string, Float32Array>, mode: TrainingMode, shape = { batch: BATCH, seq: SEQ }, config = QWEN2) {
  const model = await LlamaModel.create(gpu, config, weights, { ...shape, mode });
  const b = batch(3, shape.batch, shape.seq);
  model.setBatch(b.ids, b.targets);
  return { model, ...b };
}

describe('qwen2', () => {
  it('the config is read as Qwen2: q/k/v carry biases (after their weights, as HF orders them), o_proj and the MLP none', () => {
    const shapes = llamaParameterShapes(QWEN2);
    const names = [...shapes.keys()];
    expect(names.filter((n) => n.endsWith('.bias'))).toEqual(BIASES);
    expect(shapes.get('model.layers.1.self_attn.q_proj.bias')).toEqual([12]);
    expect(shapes.get('model.layers.1.self_attn.k_proj.bias')).toEqual([4]);
    expect(names.indexOf('model.layers.0.self_attn.q_proj.bias')).toBe(names.indexOf('model.layers.0.self_attn.q_proj.weight') + 1);
    expect([...llamaParameterShapes({ ...QWEN2, model_type: 'llama' }).keys()].some((n) => n.endsWith('.bias'))).toBe(false);
    // initLlamaWeights gives the biases random values (HF starts them at 0), so generated models exercise them.
    const init = initLlamaWeights(QWEN2, seededRandom(1));
    for (const name of BIASES) expect(init.get(name)!.some((v) => v !== 0), name).toBe(true);
    expect(() => validateLlamaConfig({ ...QWEN2, model_type: 'gpt2' })).toThrow(/model_type 'gpt2' is not supported; 'llama' \(LlamaForCausalLM\), 'mistral' \(MistralForCausalLM\) and 'qwen2' \(Qwen2ForCausalLM\) are/);
    expect(() => validateLlamaConfig({ ...QWEN2, use_sliding_window: 'no' })).toThrow(/use_sliding_window must be true or false/);
    expect(() => validateLlamaConfig({ ...QWEN2, max_window_layers: -1 })).toThrow(/max_window_layers must be a whole number ≥ 0/);
  });

  it('with nonzero biases, the GPU logits and loss equal the float64 reference (which they would not without the biases)', async () => {
    const weights = randomWeights(QWEN2, 1);
    const { model, ids, targets } = await build(weights, { kind: 'frozen' });
    model.forward();
    const input = { config: QWEN2, weights, ids, batch: BATCH, seq: SEQ };
    const logits = await model.logits();
    expectClose(logits, llamaForwardReference(input), 'logits');
    expect(await model.loss()).toBeCloseTo(llamaLossReference(input, targets), 4);
    const unbiased = new Map([...weights].map(([n, v]) => [n, n.endsWith('.bias') ? new Float32Array(v.length) : v]));
    expect(compareArrays(logits, llamaForwardReference({ ...input, weights: unbiased }), { atol: 1e-3, rtol: 1e-3 }).ok).toBe(false);
    // use_sliding_window is false: the reference ignores the window (4 < seq) as transformers does.
    expect(llamaForwardReference(input)).toEqual(llamaForwardReference({ ...input, config: { ...QWEN2, sliding_window: null } }));
    model.destroy();
  });

  it('full fine-tuning: every gradient, the q/k/v biases\' included, matches finite differences', async () => {
    const weights = randomWeights(QWEN2, 2);
    const { model, ids, targets } = await build(weights, { kind: 'full' });
    model.forwardBackward();
    const f64 = new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)]));
    const input = { config: QWEN2, weights: f64, ids, batch: BATCH, seq: SEQ };
    expect(model.trainable.map((p) => p.name).sort()).toEqual([...llamaParameterShapes(QWEN2).keys()].sort());
    for (const p of model.trainable) {
      const numeric = numericGradient(f64.get(p.name)!, () => llamaLossReference(input, targets), 1e-5);
      expectClose(await readTensor(gpu, p.grad), numeric, p.name, { atol: 2e-4, rtol: 2e-3 });
    }
    model.destroy();
  });

  // 10 tokens: the low-rank forward; 24 tokens (≥ 2·in for every layer): the folded one.
  for (const [shape, path] of [[{ batch: BATCH, seq: SEQ }, 'low-rank'], [{ batch: 3, seq: 8 }, 'folded']] as const) it(`LoRA (all-linear, ${path} forward): A and B gradients match finite differences; the biases are frozen and unchanged by a step`, async () => {
    const weights = randomWeights(QWEN2, 4);
    const mode: TrainingMode = { kind: 'lora', lora: { targetModules: 'all-linear', r: 2, loraAlpha: 4, seed: 1 } };
    const { model, ids, targets } = await build(weights, mode, shape);
    expect(model.linears.map((l) => l.lora!.forwardPath.training)).toEqual(model.linears.map(() => path));
    const random = seededRandom(9);
    const adapters = new Map<string, ReferenceAdapter & { loraA: Float64Array; loraB: Float64Array }>();
    for (const l of model.linears) {
      const lora = l.lora!;
      const b = uniformArray(random, lora.loraB.numel, 0.5);
      writeTensor(gpu, lora.loraB, b);
      adapters.set(l.path, { loraA: Float64Array.from(await readTensor(gpu, lora.loraA)), loraB: Float64Array.from(b), rank: lora.config.rank, scaling: lora.scaling });
    }
    expect(model.trainable).toHaveLength(2 * 7 * QWEN2.num_hidden_layers); // A and B only: no bias
    for (const name of BIASES) expect(model.weights.has(name), name).toBe(true);
    model.forwardBackward();
    const input = { config: QWEN2, weights, ids, ...shape, adapters };
    const loss = () => llamaLossReference(input, targets);
    expect(await model.loss()).toBeCloseTo(loss(), 4);
    for (const l of model.linears) {
      const a = adapters.get(l.path)!;
      expectClose(await readTensor(gpu, l.lora!.gradA), numericGradient(a.loraA, loss, 1e-5), `${l.path}.lora_A`, { atol: 2e-4, rtol: 2e-3 });
      expectClose(await readTensor(gpu, l.lora!.gradB), numericGradient(a.loraB, loss, 1e-5), `${l.path}.lora_B`, { atol: 2e-4, rtol: 2e-3 });
    }
    const optimizer = await AdamW.create(gpu, model.trainable, await createFixedGuard(gpu), { lr: 0.05, weightDecay: 0 });
    optimizer.step();
    for (const name of BIASES) expect(await readTensor(gpu, model.weights.get(name)!), name).toEqual(weights.get(name));
    model.destroy();
  });

  it('a merged export keeps Qwen2ForCausalLM, its window keys and the biases, and computes what the adapted model did; the adapter holds only LoRA tensors', async () => {
    const weights = randomWeights(QWEN2, 5);
    const targetModules = ['q_proj', 'v_proj', 'o_proj'] as const;
    const { model, ids } = await build(weights, { kind: 'lora', lora: { targetModules, r: 2, loraAlpha: 4 } });
    const random = seededRandom(6);
    for (const l of model.linears) if (l.lora) writeTensor(gpu, l.lora.loraB, uniformArray(random, l.lora.loraB.numel, 0.3));
    model.forward();
    const adapted = await model.logits();

    const files = await mergedCheckpointFiles(gpu, model);
    const config = JSON.parse(files['config.json'] as string);
    expect(config).toMatchObject({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], use_sliding_window: false, sliding_window: 4, max_window_layers: 2 });
    expect(config).not.toHaveProperty('attention_bias'); // Qwen2Config has no such key; its q/k/v always have biases
    const merged = parseLlamaCheckpoint(files['config.json'] as string, files['model.safetensors'] as Uint8Array);
    expect(merged.config.model_type).toBe('qwen2');
    for (const name of BIASES) expect(merged.weights.get(name), name).toEqual(weights.get(name));
    expectClose(adapted, llamaForwardReference({ config: merged.config, weights: merged.weights, ids, batch: BATCH, seq: SEQ }), 'merged checkpoint vs adapted model');

    const fields = { r: 2, loraAlpha: 4, targetModules: [...targetModules], useRslora: false, layersToTransform: null, rankPattern: {}, alphaPattern: {}, loraDropout: 0, baseModelNameOrPath: null };
    const adapter = adapterFolderFiles(await readAdapter(gpu, model, fields));
    expect(JSON.parse(adapter['adapter_config.json'] as string)).toMatchObject({ target_modules: [...targetModules], bias: 'none' });
    const names = parseSafetensors(adapter['adapter_model.safetensors'] as Uint8Array).tensors.map((t) => t.name);
    expect(names).toHaveLength(2 * targetModules.length * QWEN2.num_hidden_layers);
    expect(names.every((n) => /^base_model\.model\.model\.layers\.\d\.self_attn\.[qvo]_proj\.lora_[AB]\.weight$/.test(n))).toBe(true);
    model.destroy();
  });

  it('the memory estimate counts the biases (and their gradients in full fine-tuning) byte for byte', async () => {
    const weights = randomWeights(QWEN2, 7);
    for (const mode of [{ kind: 'full' }, { kind: 'lora', lora: { targetModules: 'all-linear', r: 2, loraAlpha: 4 } }, { kind: 'frozen' }] as TrainingMode[]) {
      const model = await LlamaModel.create(gpu, QWEN2, weights, { batch: BATCH, seq: SEQ, mode });
      expect(model.allocatedBytes, mode.kind).toBe(estimateMemory(QWEN2, { batch: BATCH, seq: SEQ, mode, training: false }).model);
      model.destroy();
    }
  });

  it('with use_sliding_window, a sequence longer than sliding_window is refused before anything is allocated, naming it', async () => {
    const windowed = validateLlamaConfig({ ...QWEN2, use_sliding_window: true });
    const weights = randomWeights(QWEN2, 8);
    const before = liveAllocations(gpu).length;
    const created = LlamaModel.create(gpu, windowed, weights, { batch: 1, seq: 5, mode: { kind: 'frozen' } });
    await expect(created).rejects.toThrow(ConfigError);
    await expect(created).rejects.toThrow(/this qwen2 model has sliding_window 4, shorter than the sequence length 5/);
    expect(liveAllocations(gpu).length).toBe(before);
    const fits = await LlamaModel.create(gpu, windowed, weights, { batch: 1, seq: 4, mode: { kind: 'frozen' } });
    fits.destroy();
  });
});
