// Short runs of each task on the GPU (Dawn): the loss falls, runs are reproducible, a diverging
// run stops with a clear error and keeps its last finite adapter.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { parseLlamaCheckpoint } from '../io/hf-checkpoint.ts';
import { initLlamaWeights, validateLlamaConfig } from '../model/config.ts';
import { NonFiniteError, Trainer } from '../train/trainer.ts';
import { seededRandom } from '../util/random.ts';
import { createTeacherTask } from './low-rank-teacher.ts';
import { TINY_BASE_DIR } from './tiny-base.ts';
import { createTinyLmTask } from './tiny-lm.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await acquireNodeGpu();
});
afterAll(() => gpu && releaseGpu(gpu));

async function teacherLosses(rank: number, steps: number, seed = 3, lr = 0.02) {
  const task = await createTeacherTask(gpu, { dim: 32, trueRank: 2, rank, alpha: 2 * rank, tokens: 32, seed });
  const trainer = await Trainer.create(gpu, task, { steps, lr, maxGradNorm: null });
  const losses: number[] = [];
  await trainer.run((m) => losses.push(m.loss));
  return { task, losses, val: await task.validationLoss!() };
}

describe('low-rank teacher', () => {
  it('with r ≥ k the loss goes to ~0', async () => {
    const { task, losses, val } = await teacherLosses(2, 150);
    expect(losses[0]).toBeGreaterThan(0.5 * task.expected.initialLoss);
    expect(val).toBeLessThan(1e-3 * task.expected.initialLoss);
  });

  it('with r < k the loss stalls near the floor (k − r)/k of the start', async () => {
    const { task, val } = await teacherLosses(1, 300, 3, 0.01);
    expect(task.expected.floor).toBeCloseTo(task.expected.initialLoss / 2, 10);
    expect(val).toBeGreaterThan(0.8 * task.expected.floor);
    expect(val).toBeLessThan(1.3 * task.expected.floor);
  });

  it('same seed, same losses', async () => {
    const [a, b] = [await teacherLosses(2, 4), await teacherLosses(2, 4)];
    expect(a.losses).toEqual(b.losses);
  });

  it('an absurd learning rate stops at the first non-finite step and rolls back', async () => {
    const task = await createTeacherTask(gpu, { dim: 16, trueRank: 2, rank: 2, alpha: 4, tokens: 16, seed: 1 });
    // Adam moves each parameter by about lr per step: 1e30 overflows f32 within two steps.
    const trainer = await Trainer.create(gpu, task, { steps: 20, lr: 1e30, maxGradNorm: null });
    const error = await trainer.run(() => {}).catch((e) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    expect((error as NonFiniteError).message).toMatch(/training stopped at step \d+: (the loss is|a gradient is non-finite)/);
    expect(Number.isFinite(await task.validationLoss!())).toBe(true);
  });
});

describe('tiny-lm', () => {
  const config = validateLlamaConfig({
    model_type: 'llama', vocab_size: 256, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1,
    num_attention_heads: 2, num_key_value_heads: 1, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 16, tie_word_embeddings: true,
  });

  it('a short LoRA run lowers the loss; base gradients are null', async () => {
    const weights = initLlamaWeights(config, seededRandom(1));
    const task = await createTinyLmTask(gpu, config, weights, { corpus: 'lines', batch: 4, seq: 16, seed: 2, mode: { kind: 'lora', lora: { targetModules: 'all-linear', r: 4, loraAlpha: 8 } } });
    const trainer = await Trainer.create(gpu, task, { steps: 12, lr: 0.05 });
    const metrics: { loss: number; base: Record<string, null> }[] = [];
    await trainer.run((m) => metrics.push({ loss: m.loss, base: m.baseGradients }));
    expect(metrics.at(-1)!.loss).toBeLessThan(metrics[0].loss);
    expect(Object.keys(metrics[0].base)).toContain('model.layers.0.self_attn.q_proj.weight');
    expect(Object.values(metrics[0].base).every((v) => v === null)).toBe(true);
  });

  it('the bundled base writes the pairs of corpus A, not the one-pair lines of corpus B', async () => {
    const { config: c, weights } = parseLlamaCheckpoint(readFileSync(`${TINY_BASE_DIR}/config.json`, 'utf8'), readFileSync(`${TINY_BASE_DIR}/model.safetensors`));
    const task = await createTinyLmTask(gpu, c, weights, { corpus: 'lines', batch: 8, seq: 32, seed: 0, mode: { kind: 'frozen' } });
    expect(await task.accuracy('caps', 16)).toBeGreaterThan(0.8);
    expect(await task.accuracy('lines', 16)).toBeLessThan(0.2);
  });
});
