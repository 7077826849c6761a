// LoRA+ (src/train/loraplus.ts): B's learning rate is λ·lr, A's stays lr, as PEFT groups them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { createTeacherTask } from '../tasks/low-rank-teacher.ts';
import { loraplusLrScale } from './loraplus.ts';
import { Trainer, type TrainerOptions } from './trainer.ts';

let gpu: Gpu;
beforeAll(async () => (gpu = await acquireNodeGpu()));
afterAll(() => releaseGpu(gpu));

/** A and B after `steps` steps on the d = 17 teacher (ragged), from the same init and batches. */
async function trainedFactors(options: Partial<TrainerOptions>, steps: number) {
  const task = await createTeacherTask(gpu, { dim: 17, trueRank: 3, tokens: 9, rank: 2, alpha: 4, seed: 3 });
  const a0 = await readTensor(gpu, task.layer.loraA);
  const trainer = await Trainer.create(gpu, task, { steps, maxGradNorm: null, ...options });
  await trainer.run(() => {});
  const result = { a0, a: await readTensor(gpu, task.layer.loraA), b: await readTensor(gpu, task.layer.loraB) };
  trainer.destroy();
  return result;
}

describe('LoRA+', () => {
  it('groups lora_B and 1-D tensors at λ·lr and lora_A at lr, as PEFT', () => {
    const t = (name: string, shape: number[]) => ({ name, param: { shape } });
    expect(loraplusLrScale(t('model.layers.0.self_attn.q_proj.lora_B.weight', [8, 2]), 16)).toBe(16);
    expect(loraplusLrScale(t('model.layers.0.self_attn.q_proj.lora_magnitude_vector', [8]), 16)).toBe(16);
    expect(loraplusLrScale(t('model.layers.0.self_attn.q_proj.lora_A.weight', [2, 8]), 16)).toBe(1);
    expect(loraplusLrScale(t('model.layers.0.self_attn.q_proj.lora_B.weight', [8, 2]), null)).toBe(1);
    expect(() => loraplusLrScale(t('x.lora_B.weight', [1, 1]), 0)).toThrow(/loraplus_lr_ratio must be a positive number, got 0/);
  });

  it.each(['sgd', 'adamw'] as const)('%s: the first step moves B λ times as far, and A not at all (B = 0 gives dA = 0)', async (optimizer) => {
    const lr = 0.003;
    const plain = await trainedFactors({ optimizer, lr }, 1);
    const plus = await trainedFactors({ optimizer, lr, loraplusLrRatio: 16 }, 1);
    expect(plus.a).toEqual(plain.a0);
    let moved = 0;
    for (let i = 0; i < plain.b.length; i++) {
      expect(plus.b[i]).toBeCloseTo(16 * plain.b[i], 6);
      moved = Math.max(moved, Math.abs(plain.b[i]));
    }
    expect(moved).toBeGreaterThan(1e-4);
  });

  it('sgd: the second step moves A at lr, from the gradient the larger B gives', async () => {
    const lr = 0.003;
    const plain = await trainedFactors({ optimizer: 'sgd', lr }, 2);
    const plus = await trainedFactors({ optimizer: 'sgd', lr, loraplusLrRatio: 16 }, 2);
    // dA = s·Bᵀ·dYᵀ·X is linear in B, and B after step 1 is 16× larger: A moves ~16× as far at the same lr.
    const step = (f: typeof plain) => f.a.map((x, i) => x - f.a0[i]);
    const [dPlain, dPlus] = [step(plain), step(plus)];
    let ratio = 0;
    let n = 0;
    for (let i = 0; i < dPlain.length; i++) if (Math.abs(dPlain[i]) > 1e-7) { ratio += dPlus[i] / dPlain[i]; n++; }
    expect(n).toBeGreaterThan(0);
    expect(ratio / n).toBeGreaterThan(12);
    expect(ratio / n).toBeLessThan(20);
  });
});
