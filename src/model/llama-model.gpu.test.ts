// The GPU Llama against the float64 reference: logits, every gradient against finite
// differences (full fine-tuning and LoRA), LoRA's invariants at init, merge and freeze.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareArrays, describeComparison } from '../checks/compare.ts';
import { readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { fingerprintTensor } from '../gpu/kernels/fingerprint.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { numericGradient } from '../reference/finite-difference.ts';
import { llamaForwardReference, llamaLossReference, type ReferenceAdapter } from '../reference/llama.ts';
import { createFixedGuard } from '../gpu/kernels/step-guard.ts';
import { AdamW } from '../train/adamw.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { llamaParameterShapes, validateLlamaConfig, type LlamaConfig } from './config.ts';
import { IGNORE_TARGET, LlamaModel, type LlamaModelOptions, type TrainingMode } from './llama-model.ts';

const base = {
  model_type: 'llama', vocab_size: 11, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2,
  num_attention_heads: 2, num_key_value_heads: 1, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 16,
};
const TIED = validateLlamaConfig({ ...base, tie_word_embeddings: true });
const UNTIED = validateLlamaConfig({ ...base, tie_word_embeddings: false });
const [BATCH, SEQ] = [2, 5];

/** Weights large enough that every gradient is well above float32 noise. */
function randomWeights(config: LlamaConfig, seed: number): Map<string, Float32Array> {
  const random = seededRandom(seed);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = uniformArray(random, n, 0.5);
    if (name.endsWith('norm.weight')) for (let i = 0; i < n; i++) values[i] += 1;
    weights.set(name, values);
  }
  return weights;
}

function batch(seed: number, batchSize = BATCH, seq = SEQ) {
  const random = seededRandom(seed);
  const ids = Uint32Array.from({ length: batchSize * seq }, () => Math.floor(random() * base.vocab_size));
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
beforeAll(async () => {
  gpu = await acquireNodeGpu();
});
afterAll(() => gpu && releaseGpu(gpu));

async function build(config: LlamaConfig, weights: Map<string, Float32Array>, mode: TrainingMode, seed = 3, shape = { batch: BATCH, seq: SEQ }, recompute = false, more: Partial<LlamaModelOptions> = {}) {
  const model = await LlamaModel.create(gpu, config, weights, { ...shape, mode, recompute, ...more });
  const b = batch(seed, shape.batch, shape.seq);
  model.setBatch(b.ids, b.targets);
  return { model, ...b };
}

describe('LlamaModel on the GPU (Dawn)', () => {
  for (const config of [TIED, UNTIED]) {
    const tag = config.tie_word_embeddings ? 'tied' : 'untied';

    it(`logits and loss equal the float64 reference (${tag})`, async () => {
      const weights = randomWeights(config, 1);
      const { model, ids, targets } = await build(config, weights, { kind: 'frozen' });
      model.forward();
      const input = { config, weights, ids, batch: BATCH, seq: SEQ };
      expectClose(await model.logits(), llamaForwardReference(input), 'logits');
      expect(await model.loss()).toBeCloseTo(llamaLossReference(input, targets), 4);
      // A training step writes dL/dlogits over the logits: logits() then runs the head again.
      model.forwardBackward();
      expectClose(await model.logits(), llamaForwardReference(input), 'logits after a step');
      model.forward();
      expectClose(await model.logits(), llamaForwardReference(input), 'logits after a step and a forward');
    });

    // 10 tokens in chunks of 8 rows (hidden 8: a chunk must start at a multiple of 8 rows to bind
    // at 256-byte offsets): a full chunk and a ragged one of 2.
    it(`the head in chunks of rows: logits, loss and every full fine-tuning gradient as in one chunk (${tag})`, async () => {
      const weights = randomWeights(config, 2);
      const { model, ids, targets } = await build(config, weights, { kind: 'full' }, 3, { batch: BATCH, seq: SEQ }, false, { logitsChunkRows: 8 });
      const { model: whole } = await build(config, weights, { kind: 'full' });
      whole.forward(); // one chunk, current: rows are copied from the logits buffer itself
      expectClose(await whole.logits([4, 1]), Float64Array.from([...llamaForwardReference({ config, weights, ids, batch: BATCH, seq: SEQ }).slice(4 * config.vocab_size, 5 * config.vocab_size), ...llamaForwardReference({ config, weights, ids, batch: BATCH, seq: SEQ }).slice(config.vocab_size, 2 * config.vocab_size)]), 'rows 4, 1 of one chunk');
      // One (8, V) logits buffer instead of (10, V).
      expect(whole.allocatedBytes - model.allocatedBytes).toBe((BATCH * SEQ - 8) * config.vocab_size * 4);
      const input = { config, weights, ids, batch: BATCH, seq: SEQ };
      model.forward();
      expect(await model.loss()).toBeCloseTo(llamaLossReference(input, targets), 4);
      const reference = llamaForwardReference(input);
      expectClose(await model.logits(), reference, 'logits, chunk by chunk');
      // Some rows only, in any order: the chunks holding them run again (8 + 2 rows: both here).
      const V = config.vocab_size;
      const pick = (rows: number[]) => Float64Array.from(rows.flatMap((r) => [...reference.slice(r * V, (r + 1) * V)]));
      expectClose(await model.logits([9, 0, 8]), pick([9, 0, 8]), 'rows 9, 0, 8');
      await expect(model.logits([10])).rejects.toThrow(/row 10 is outside the batch's 10 rows/);
      model.forwardBackward();
      expect(await model.loss()).toBeCloseTo(llamaLossReference(input, targets), 4);
      expectClose(await model.logits(), llamaForwardReference(input), 'logits after a step, the head run again');
      const f64 = new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)]));
      const input64 = { config, weights: f64, ids, batch: BATCH, seq: SEQ };
      for (const name of ['model.embed_tokens.weight', 'model.norm.weight', ...(config.tie_word_embeddings ? [] : ['lm_head.weight'])]) {
        const p = model.trainable.find((t) => t.name === name)!;
        const numeric = numericGradient(f64.get(name)!, () => llamaLossReference(input64, targets), 1e-5);
        expectClose(await readTensor(gpu, p.grad), numeric, name, { atol: 2e-4, rtol: 2e-3 });
      }
      // Every gradient equals the one-chunk model's to float32 rounding (the head's dW sums its chunks).
      whole.forwardBackward();
      for (const [i, p] of model.trainable.entries()) {
        expectClose(await readTensor(gpu, p.grad), await readTensor(gpu, whole.trainable[i].grad), p.name, { atol: 1e-6, rtol: 1e-5 });
      }
      model.destroy();
      whole.destroy();
    });

    it(`full fine-tuning: every gradient matches finite differences (${tag})`, async () => {
      const weights = randomWeights(config, 2);
      const { model, ids, targets } = await build(config, weights, { kind: 'full' });
      model.forwardBackward();
      const f64 = new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)]));
      const input = { config, weights: f64, ids, batch: BATCH, seq: SEQ };
      expect(model.trainable.map((p) => p.name).sort()).toEqual([...llamaParameterShapes(config).keys()].sort());
      for (const p of model.trainable) {
        const numeric = numericGradient(f64.get(p.name)!, () => llamaLossReference(input, targets), 1e-5);
        expectClose(await readTensor(gpu, p.grad), numeric, p.name, { atol: 2e-4, rtol: 2e-3 });
      }
    });
  }

  // 10 tokens: every layer's forward takes the low-rank path; 32 tokens (≥ 2·in everywhere): every one folds.
  for (const [shape, path] of [[{ batch: BATCH, seq: SEQ }, 'low-rank'], [{ batch: 4, seq: 8 }, 'folded']] as const) it(`LoRA (all-linear, ${shape.batch} × ${shape.seq} tokens, ${path} forward): gradients of A and B match finite differences; the base has none`, async () => {
    const config = TIED;
    const weights = randomWeights(config, 4);
    const mode: TrainingMode = { kind: 'lora', lora: { targetModules: 'all-linear', r: 2, loraAlpha: 4, seed: 1 } };
    const { model, ids, targets } = await build(config, weights, mode, 3, shape);
    expect(model.linears.map((l) => l.lora!.forwardPath.training)).toEqual(model.linears.map(() => path));
    const random = seededRandom(9);
    const adapters = new Map<string, ReferenceAdapter & { loraA: Float64Array; loraB: Float64Array }>();
    for (const l of model.linears) {
      const lora = l.lora!;
      const b = uniformArray(random, lora.loraB.numel, 0.5);
      writeTensor(gpu, lora.loraB, b);
      adapters.set(l.path, { loraA: Float64Array.from(await readTensor(gpu, lora.loraA)), loraB: Float64Array.from(b), rank: lora.config.rank, scaling: lora.scaling });
      expect(l.gradWeight).toBeNull();
    }
    expect(model.trainable).toHaveLength(2 * 7 * config.num_hidden_layers);
    model.forwardBackward();
    const input = { config, weights, ids, ...shape, adapters };
    for (const l of model.linears) {
      const a = adapters.get(l.path)!;
      const loss = () => llamaLossReference(input, targets);
      expectClose(await readTensor(gpu, l.lora!.gradA), numericGradient(a.loraA, loss, 1e-5), `${l.path}.lora_A`, { atol: 2e-4, rtol: 2e-3 });
      expectClose(await readTensor(gpu, l.lora!.gradB), numericGradient(a.loraB, loss, 1e-5), `${l.path}.lora_B`, { atol: 2e-4, rtol: 2e-3 });
    }
  });

  // q, v and up_proj adapted: o_proj's, down_proj's inputs (attn, act) are shared by the layers,
  // x1 and x2 kept; under recompute every block's activations are shared and computed again.
  for (const recompute of [false, true]) it(`LoRA on q, v, up_proj${recompute ? ' with activation checkpointing' : ' (unread activations shared between layers)'}: gradients match finite differences`, async () => {
    const config = UNTIED;
    const weights = randomWeights(config, 5);
    const mode: TrainingMode = { kind: 'lora', lora: { targetModules: ['q_proj', 'v_proj', 'up_proj'], r: 2, loraAlpha: 4, seed: 1 } };
    const { model, ids, targets } = await build(config, weights, mode, 3, { batch: BATCH, seq: SEQ }, recompute);
    const random = seededRandom(10);
    const adapters = new Map<string, ReferenceAdapter & { loraA: Float64Array; loraB: Float64Array }>();
    for (const l of model.linears.filter((x) => x.lora)) {
      const b = uniformArray(random, l.lora!.loraB.numel, 0.5);
      writeTensor(gpu, l.lora!.loraB, b);
      adapters.set(l.path, { loraA: Float64Array.from(await readTensor(gpu, l.lora!.loraA)), loraB: Float64Array.from(b), rank: 2, scaling: l.lora!.scaling });
    }
    expect(adapters.size).toBe(3 * config.num_hidden_layers);
    model.forwardBackward();
    const input = { config, weights, ids, batch: BATCH, seq: SEQ, adapters };
    expect(await model.loss()).toBeCloseTo(llamaLossReference(input, targets), 4);
    for (const l of model.linears.filter((x) => x.lora)) {
      const a = adapters.get(l.path)!;
      const loss = () => llamaLossReference(input, targets);
      expectClose(await readTensor(gpu, l.lora!.gradA), numericGradient(a.loraA, loss, 1e-5), `${l.path}.lora_A`, { atol: 2e-4, rtol: 2e-3 });
      expectClose(await readTensor(gpu, l.lora!.gradB), numericGradient(a.loraB, loss, 1e-5), `${l.path}.lora_B`, { atol: 2e-4, rtol: 2e-3 });
    }
    model.destroy();
  });

  // q/k/v (and gate/up) read one X: their H = X·Aᵀ and dA = dHᵀ·X run as one dispatch per group.
  it('LoRA layers sharing an input, grouped: the loss and gradients of one dispatch per layer, 6 fewer dispatches per block', async () => {
    const config = TIED;
    const weights = randomWeights(config, 8);
    // Ragged ranks inside each group (k_proj 1, up_proj 3, the rest 2).
    const mode: TrainingMode = { kind: 'lora', lora: { targetModules: 'all-linear', r: 2, loraAlpha: 4, seed: 1, rankPattern: { k_proj: 1, up_proj: 3 } } };
    const perLayer = await LlamaModel.create(gpu, config, weights, { batch: BATCH, seq: SEQ, mode, groupSharedInput: false });
    const grouped = await LlamaModel.create(gpu, config, weights, { batch: BATCH, seq: SEQ, mode });
    const b = batch(3);
    const random = seededRandom(11);
    for (let i = 0; i < perLayer.linears.length; i++) {
      const values = uniformArray(random, perLayer.linears[i].lora!.loraB.numel, 0.5);
      writeTensor(gpu, perLayer.linears[i].lora!.loraB, values);
      writeTensor(gpu, grouped.linears[i].lora!.loraB, values);
    }
    for (const m of [perLayer, grouped]) {
      m.setBatch(b.ids, b.targets);
      m.forwardBackward();
    }
    // o_proj and down_proj read inputs of their own.
    expect(grouped.linears.filter((l) => l.lora!.config.sharedInput).map((l) => l.path.split('.').pop())).toEqual(
      Array(config.num_hidden_layers).fill(['q_proj', 'k_proj', 'v_proj', 'gate_proj', 'up_proj']).flat());
    expect(perLayer.linears.some((l) => l.lora!.config.sharedInput)).toBe(false);
    expect(await grouped.loss()).toBeCloseTo(await perLayer.loss(), 6);
    for (let i = 0; i < perLayer.trainable.length; i++) {
      const name = perLayer.trainable[i].name;
      expectClose(await readTensor(gpu, grouped.trainable[i].grad), await readTensor(gpu, perLayer.trainable[i].grad), name);
    }
    // Per block: H and dA of q, k, v (3 + 3 → 1 + 1) and of gate, up (2 + 2 → 1 + 1).
    expect(perLayer.dispatchCount - grouped.dispatchCount).toBe(6 * config.num_hidden_layers);
    // Merged, no layer reads H: the group's forward dispatch is not encoded either.
    for (const m of [perLayer, grouped]) m.merge();
    expect(grouped.forwardFlops).toBe(perLayer.forwardFlops);
    grouped.forward();
    perLayer.forward();
    expectClose(await grouped.logits(), await perLayer.logits(), 'merged logits');
    perLayer.destroy();
    grouped.destroy();
  });

  it('full fine-tuning with activation checkpointing: the same gradients as without, and fewer activation bytes', async () => {
    const config = TIED;
    const weights = randomWeights(config, 6);
    const plain = await build(config, weights, { kind: 'full' });
    const checkpointed = await build(config, weights, { kind: 'full' }, 3, { batch: BATCH, seq: SEQ }, true);
    plain.model.forwardBackward();
    checkpointed.model.forwardBackward();
    expect(await checkpointed.model.loss()).toBe(await plain.model.loss());
    for (let i = 0; i < plain.model.trainable.length; i++) {
      const name = plain.model.trainable[i].name;
      expect(checkpointed.model.trainable[i].name).toBe(name);
      // The recomputed forward runs the same kernels on the same inputs: the gradients are bit-identical.
      expect(await readTensor(gpu, checkpointed.model.trainable[i].grad), name).toEqual(await readTensor(gpu, plain.model.trainable[i].grad));
    }
    expect(checkpointed.model.allocatedBytes).toBeLessThan(plain.model.allocatedBytes);
    expect(checkpointed.model.dispatchCount).toBeGreaterThan(plain.model.dispatchCount);
    plain.model.destroy();
    checkpointed.model.destroy();
  });

  it('attention probabilities recomputed in the backward (the default): the gradients of keeping them, bit for bit, at (layers − 1)·batch·heads·seq² fewer floats', async () => {
    const config = UNTIED;
    const weights = randomWeights(config, 7);
    const mode: TrainingMode = { kind: 'lora', lora: { targetModules: ['q_proj', 'k_proj', 'o_proj'], r: 2, loraAlpha: 4, seed: 2 } };
    const shape = { batch: BATCH, seq: SEQ };
    const recomputed = await build(config, weights, mode);
    const kept = await LlamaModel.create(gpu, config, weights, { ...shape, mode, keepAttentionProbs: true });
    const b = batch(3, BATCH, SEQ);
    kept.setBatch(b.ids, b.targets);
    const random = seededRandom(11);
    for (let i = 0; i < kept.linears.length; i++) {
      const lora = kept.linears[i].lora;
      if (!lora) continue;
      const values = uniformArray(random, lora.loraB.numel, 0.5);
      writeTensor(gpu, lora.loraB, values);
      writeTensor(gpu, recomputed.model.linears[i].lora!.loraB, values);
    }
    kept.forwardBackward();
    recomputed.model.forwardBackward();
    expect(await recomputed.model.loss()).toBe(await kept.loss());
    for (let i = 0; i < kept.trainable.length; i++) {
      // The same attention kernel on the same q and k: the same probabilities, so the same gradients.
      expect(await readTensor(gpu, recomputed.model.trainable[i].grad), kept.trainable[i].name).toEqual(await readTensor(gpu, kept.trainable[i].grad));
    }
    const L = config.num_hidden_layers;
    expect(L).toBeGreaterThan(1);
    expect(kept.allocatedBytes - recomputed.model.allocatedBytes).toBe((L - 1) * BATCH * config.num_attention_heads * SEQ * SEQ * 4);
    expect(recomputed.model.dispatchCount - kept.dispatchCount).toBe(L - 1); // the last layer's are still in the shared buffer
    kept.destroy();
    recomputed.model.destroy();
  });

  // Full fine-tuning (every linear reads its input) and LoRA on every linear (dA reads X; B set so dA carries signal).
  for (const mode of [{ kind: 'full' }, { kind: 'lora', lora: { targetModules: 'all-linear', r: 2, loraAlpha: 4, seed: 2 } }] as TrainingMode[]) {
    it(`x1, x2 and act made again in the backward (${mode.kind}): bit-identical gradients, (layers − 1)·tokens·(2·hidden + intermediate) floats fewer`, async () => {
      const config = TIED;
      const weights = randomWeights(config, 2);
      const recomputed = await build(config, weights, mode);
      const kept = await build(config, weights, mode, 3, { batch: BATCH, seq: SEQ }, false, { keepCheapActivations: true });
      const random = seededRandom(12);
      for (const [i, l] of kept.model.linears.entries()) {
        if (!l.lora) continue;
        const values = uniformArray(random, l.lora.loraB.numel, 0.5);
        writeTensor(gpu, l.lora.loraB, values);
        writeTensor(gpu, recomputed.model.linears[i].lora!.loraB, values);
      }
      kept.model.forwardBackward();
      recomputed.model.forwardBackward();
      expect(await recomputed.model.loss()).toBe(await kept.model.loss());
      for (let i = 0; i < kept.model.trainable.length; i++) {
        // The same norm and SwiGLU kernels on the same kept inputs: the same x1, x2, act, so the same gradients.
        expect(await readTensor(gpu, recomputed.model.trainable[i].grad), kept.model.trainable[i].name).toEqual(await readTensor(gpu, kept.model.trainable[i].grad));
      }
      const [L, T] = [config.num_hidden_layers, BATCH * SEQ];
      // Kept: one of each per layer; made again: one shared buffer of each.
      expect(kept.model.allocatedBytes - recomputed.model.allocatedBytes).toBe((L - 1) * T * (2 * config.hidden_size + config.intermediate_size) * 4);
      // Two norms and SwiGLU again per layer but the last, whose values the shared buffers still hold.
      expect(recomputed.model.dispatchCount - kept.model.dispatchCount).toBe(3 * (L - 1));
      kept.model.destroy();
      recomputed.model.destroy();
    });
  }

  it('LoRA at init gives exactly the base logits; merged equals unmerged within 1e-5·(1+|x|)', async () => {
    const config = UNTIED;
    const weights = randomWeights(config, 5);
    const frozen = await build(config, weights, { kind: 'frozen' });
    frozen.model.forward();
    const baseLogits = await frozen.model.logits();
    const { model } = await build(config, weights, { kind: 'lora', lora: { targetModules: ['q_proj', 'v_proj', 'down_proj'], r: 4, loraAlpha: 8 } });
    model.forward();
    const initLogits = await model.logits();
    expect(initLogits.findIndex((v, i) => v !== baseLogits[i])).toBe(-1);

    const random = seededRandom(6);
    for (const l of model.linears) if (l.lora) writeTensor(gpu, l.lora.loraB, uniformArray(random, l.lora.loraB.numel, 0.3));
    model.forward();
    const unmerged = await model.logits();
    model.merge();
    model.forward();
    const merged = await model.logits();
    model.unmerge();
    const worst = Math.max(...merged.map((v, i) => Math.abs(v - unmerged[i]) / (1 + Math.abs(unmerged[i]))));
    expect(worst).toBeLessThan(1e-5);
    expect(merged.findIndex((v, i) => v !== unmerged[i])).not.toBe(-1); // the merge really ran a different path
  });

  it('after LoRA training steps every base tensor is bit-identical and the loss fell', async () => {
    const config = TIED;
    const weights = randomWeights(config, 7);
    const { model } = await build(config, weights, { kind: 'lora', lora: { targetModules: 'all-linear', r: 4, loraAlpha: 8 } });
    const before = new Map<string, string>();
    for (const [name, tensor] of model.weights) before.set(name, await fingerprintTensor(gpu, tensor));
    const optimizer = await AdamW.create(gpu, model.trainable, await createFixedGuard(gpu), { lr: 0.02, weightDecay: 0 });
    model.forwardBackward();
    const first = await model.loss();
    for (let step = 0; step < 10; step++) {
      optimizer.step();
      model.forwardBackward();
    }
    const last = await model.loss();
    expect(last).toBeLessThan(first);
    for (const [name, tensor] of model.weights) expect(await fingerprintTensor(gpu, tensor), name).toBe(before.get(name));
  });
});
