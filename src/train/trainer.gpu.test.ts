// The trainer queues a window of steps and reads their metrics back once. Windows must change
// nothing a user sees: the same losses and norms as one readback per step, the same stop at the
// first non-finite step, the same parameters after the rollback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { createTeacherTask } from '../tasks/low-rank-teacher.ts';
import { NonFiniteError, Trainer, type StepMetrics, type TrainerOptions } from './trainer.ts';

let gpu: Gpu;
beforeAll(async () => (gpu = await acquireNodeGpu()));
afterAll(() => releaseGpu(gpu));

async function train(options: Partial<TrainerOptions>) {
  const task = await createTeacherTask(gpu, { dim: 64, trueRank: 4, tokens: 64, rank: 4, alpha: 8, seed: 0 });
  const trainer = await Trainer.create(gpu, task, options);
  const metrics: StepMetrics[] = [];
  const error = await trainer.run((m) => metrics.push(m)).catch((e: unknown) => e);
  const params = await Promise.all(task.trainable.map((p) => readTensor(gpu, p.param)));
  const validation = await task.validationLoss!();
  trainer.destroy();
  return { metrics, error, params, validation, completed: trainer.step };
}

const comparable = (ms: StepMetrics[]) => ms.map((m) => ({ step: m.step, loss: m.loss, lr: m.lr, gradNorm: m.gradNorm, gradNorms: m.gradNorms, valLoss: m.valLoss }));

describe('trainer windows', () => {
  it('a window of 10 gives the same metrics and parameters as a readback after every step', async () => {
    const options = { steps: 25, lr: 0.01, maxGradNorm: 0.5, evalEvery: 7 };
    const [each, windowed] = [await train({ ...options, metricsEvery: 1 }), await train({ ...options, metricsEvery: 10 })];
    expect(windowed.metrics).toHaveLength(25);
    expect(comparable(windowed.metrics)).toEqual(comparable(each.metrics));
    expect(windowed.metrics.filter((m) => m.valLoss !== undefined).map((m) => m.step)).toEqual([7, 14, 21, 25]);
    expect(windowed.params).toEqual(each.params);
  });

  it('a divergence inside a window stops at the same step, with the same finite parameters', async () => {
    const options = { steps: 60, lr: 10, optimizer: 'sgd' as const, maxGradNorm: null };
    const [each, windowed] = [await train({ ...options, metricsEvery: 1 }), await train({ ...options, metricsEvery: 10 })];
    expect(each.error).toBeInstanceOf(NonFiniteError);
    expect(windowed.error).toBeInstanceOf(NonFiniteError);
    const stoppedAt = (each.error as NonFiniteError).step;
    expect(stoppedAt % 10).not.toBe(1); // inside a window, not at its start
    expect((windowed.error as NonFiniteError).step).toBe(stoppedAt);
    expect(windowed.metrics.map((m) => m.step)).toEqual(Array.from({ length: stoppedAt - 1 }, (_, i) => i + 1));
    expect(windowed.params).toEqual(each.params);
    for (const p of windowed.params) expect(p.every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(windowed.validation)).toBe(true); // the restored parameters give a finite loss
    expect(windowed.completed).toBe(stoppedAt - 1);
  });

  it('splitting every dispatch into its own submission changes nothing', async () => {
    const options = { steps: 12, lr: 0.01 };
    const whole = await train(options);
    const submit = gpu.device.queue.submit.bind(gpu.device.queue);
    let submissions = 0;
    gpu.device.queue.submit = (buffers) => {
      submissions++;
      submit(buffers);
    };
    const budget = gpu.submissionFlops;
    gpu.submissionFlops = 1; // every dispatch goes alone
    try {
      const split = await train(options);
      expect(comparable(split.metrics)).toEqual(comparable(whole.metrics));
      expect(split.params).toEqual(whole.params);
      expect(submissions).toBeGreaterThan(12 * 10); // a teacher step alone has more than 10 dispatches
    } finally {
      gpu.submissionFlops = budget;
      gpu.device.queue.submit = submit;
    }
  });
});
