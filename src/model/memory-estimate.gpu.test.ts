// The memory estimate is made before anything is allocated, so it must equal what the model and
// trainer then really allocate — byte for byte, in every mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totalBytes, withAllocationScope } from '../gpu/allocations.ts';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import type { OptimizerKind } from '../train/optimizer.ts';
import { Trainer } from '../train/trainer.ts';
import { seededRandom } from '../util/random.ts';
import { initLlamaWeights, validateLlamaConfig } from './config.ts';
import { LlamaModel, type TrainingMode } from './llama-model.ts';
import { checkMemoryFits, estimateMemory, MemoryBudgetError } from './memory-estimate.ts';
import { llamaCheckpointFiles } from '../io/hf-checkpoint.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { memoryFolder } from '../io/random-access.ts';

const base = {
  model_type: 'llama', vocab_size: 13, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2,
  num_attention_heads: 2, num_key_value_heads: 1, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 16,
};

const cases: [string, boolean, TrainingMode, OptimizerKind?][] = [
  ['lora all-linear, tied', true, { kind: 'lora', lora: { targetModules: 'all-linear', r: 2, loraAlpha: 4 } }],
  ['lora all-linear, tied, SGD (no optimizer state)', true, { kind: 'lora', lora: { targetModules: 'all-linear', r: 2, loraAlpha: 4 } }, 'sgd'],
  ['lora q,v with patterns, dropout and one layer, untied', false, {
    kind: 'lora', lora: { targetModules: ['q_proj', 'v_proj'], r: 3, loraAlpha: 3, rankPattern: { v_proj: 1 }, layersToTransform: [1], loraDropout: 0.1 },
  }],
  ['DoRA on q,v, PiSSA init, untied', false, { kind: 'lora', lora: { targetModules: ['q_proj', 'v_proj'], r: 2, loraAlpha: 4, useDora: true, initLoraWeights: 'pissa' } }],
  ['full fine-tuning, tied', true, { kind: 'full' }],
  ['full fine-tuning, untied', false, { kind: 'full' }],
  ['frozen', false, { kind: 'frozen' }],
];
// The same runs with activation checkpointing (each block keeps only its output).
const recomputeCases: [string, boolean, TrainingMode][] = [
  ['lora q,v, recompute', true, { kind: 'lora', lora: { targetModules: ['q_proj', 'v_proj'], r: 2, loraAlpha: 4 } }],
  ['full fine-tuning, recompute', false, { kind: 'full' }],
];

describe('memory estimate', () => {
  let gpu: Gpu;
  beforeAll(async () => (gpu = await acquireNodeGpu()));
  afterAll(() => releaseGpu(gpu));

  for (const [name, tied, mode, optimizer] of cases) {
    it(`equals the bytes allocated: ${name}`, async () => {
      const config = validateLlamaConfig({ ...base, tie_word_embeddings: tied });
      const weights = initLlamaWeights(config, seededRandom(1));
      const options = { batch: 2, seq: 5, mode };
      const estimate = estimateMemory(config, { ...options, training: mode.kind !== 'frozen', optimizer });
      const model = await LlamaModel.create(gpu, config, weights, options);
      expect(model.allocatedBytes).toBe(estimate.model);
      // The same checkpoint as BF16, its frozen matrices kept packed (full fine-tuning widens them).
      const bf16 = (await loadModelFolder(memoryFolder(llamaCheckpointFiles(config, weights, 'BF16')))).weights;
      const packedEstimate = estimateMemory(config, { ...options, training: mode.kind !== 'frozen', optimizer, packedBase: true });
      const packed = await LlamaModel.create(gpu, config, bf16, options);
      expect(packed.allocatedBytes).toBe(packedEstimate.model);
      if (mode.kind === 'full') expect(packedEstimate.model).toBe(estimate.model);
      else expect(packedEstimate.parts['base weights']).toBeLessThan(0.7 * estimate.parts['base weights']); // norms stay f32
      packed.destroy();
      if (mode.kind !== 'frozen') {
        const target = { trainable: model.trainable, frozenNames: [], tokensPerStep: 10, nextBatch() {}, forwardBackward() {}, lossSum: model.lossSum, lossScale: () => 1 };
        const { allocations } = await withAllocationScope(gpu, () => Trainer.create(gpu, target, optimizer ? { optimizer } : {}));
        expect(model.allocatedBytes + totalBytes(allocations)).toBe(estimate.total);
      }
      model.destroy();
      expect(model.allocatedBytes).toBe(0);
    });
  }
});

describe('memory estimate with activation checkpointing', () => {
  let gpu: Gpu;
  beforeAll(async () => (gpu = await acquireNodeGpu()));
  afterAll(() => releaseGpu(gpu));

  for (const [name, tied, mode] of recomputeCases) {
    it(`equals the bytes allocated and is below the plain run: ${name}`, async () => {
      const config = validateLlamaConfig({ ...base, tie_word_embeddings: tied });
      const weights = initLlamaWeights(config, seededRandom(1));
      const options = { batch: 2, seq: 5, mode, recompute: true };
      const estimate = estimateMemory(config, { ...options, training: true });
      const model = await LlamaModel.create(gpu, config, weights, options);
      expect(model.allocatedBytes).toBe(estimate.model);
      expect(estimate.parts.activations).toBeLessThan(estimateMemory(config, { ...options, recompute: false, training: true }).parts.activations);
      model.destroy();
    });
  }
});

describe('memory estimate with the attention probabilities kept per layer', () => {
  let gpu: Gpu;
  beforeAll(async () => (gpu = await acquireNodeGpu()));
  afterAll(() => releaseGpu(gpu));

  it('equals the bytes allocated, (layers − 1)·batch·heads·seq² floats above the default (recomputed) run', async () => {
    const config = validateLlamaConfig(base);
    const weights = initLlamaWeights(config, seededRandom(1));
    const options = { batch: 2, seq: 5, mode: recomputeCases[0][2], keepAttentionProbs: true };
    const estimate = estimateMemory(config, { ...options, training: true });
    const model = await LlamaModel.create(gpu, config, weights, options);
    expect(model.allocatedBytes).toBe(estimate.model);
    const recomputed = estimateMemory(config, { ...options, keepAttentionProbs: false, training: true });
    expect(estimate.parts.activations - recomputed.parts.activations).toBe((config.num_hidden_layers - 1) * 2 * config.num_attention_heads * 5 * 5 * 4);
    model.destroy();
  });

  it('equals the bytes allocated with the head in chunks of rows: (tokens − chunk)·vocab floats below one chunk', async () => {
    const config = validateLlamaConfig(base);
    const weights = initLlamaWeights(config, seededRandom(1));
    const options = { batch: 2, seq: 5, mode: recomputeCases[0][2], logitsChunkRows: 8 };
    const estimate = estimateMemory(config, { ...options, training: true });
    const model = await LlamaModel.create(gpu, config, weights, options);
    expect(model.allocatedBytes).toBe(estimate.model);
    const whole = estimateMemory(config, { ...options, logitsChunkRows: undefined, training: true });
    expect(whole.parts.activations - estimate.parts.activations).toBe((10 - 8) * config.vocab_size * 4);
    model.destroy();
  });
});

describe('memory check', () => {
  const config = validateLlamaConfig({ ...base, vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, max_position_embeddings: 4096 });
  const limits = { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31, budget: 4 * 1024 ** 3 };

  it('refuses a 7B model over budget, naming the largest part and what to change', () => {
    const e = estimateMemory(config, { batch: 1, seq: 128, mode: { kind: 'full' }, training: true });
    expect(() => checkMemoryFits(e, limits, { kind: 'full' })).toThrow(MemoryBudgetError);
    expect(() => checkMemoryFits(e, limits, { kind: 'full' })).toThrow(/over the budget of 4\.0 GiB.*LoRA instead of full fine-tuning/);
  });

  it('names the per-buffer limit when one activation is too big', () => {
    const e = estimateMemory(config, { batch: 64, seq: 4096, mode: { kind: 'frozen' }, training: false });
    expect(() => checkMemoryFits(e, { ...limits, budget: Infinity }, { kind: 'frozen' })).toThrow(/maxStorageBufferBindingSize.*shorter sequences or a smaller batch/);
  });

  it('LoRA needs far less than full fine-tuning for the same model', () => {
    const lora = estimateMemory(config, { batch: 1, seq: 128, mode: { kind: 'lora', lora: { targetModules: 'all-linear', r: 8, loraAlpha: 16 } }, training: true });
    const full = estimateMemory(config, { batch: 1, seq: 128, mode: { kind: 'full' }, training: true });
    expect(lora.parts.optimizer).toBeLessThan(full.parts.optimizer / 100);
    expect(lora.parts['base weights']).toBe(full.parts['base weights']);
  });
});
