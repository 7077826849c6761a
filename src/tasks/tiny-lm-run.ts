// The tiny-lm task as a run: a loaded model folder (the bundled base by default) adapted to corpus
// B with LoRA (or full fine-tuning), with its accuracy on both corpora before and after.
import { storesHalves } from '../io/weight-source.ts';
import type { Gpu } from '../gpu/device.ts';
import type { ModelFolder } from '../io/model-folder.ts';
import { checkRunFits, lmRunParts } from './lm-run.ts';
import { lmTraining, type LmRunOptions } from './run-options.ts';
import type { TaskRun } from './task-run.ts';
import { createTinyLmTask } from './tiny-lm.ts';

export async function createTinyLmRun(gpu: Gpu, folder: ModelFolder, o: LmRunOptions): Promise<TaskRun> {
  // Every option is checked before anything is allocated on the GPU.
  const { config, weights } = folder;
  const { mode, fields } = lmTraining(o, config);
  const recompute = o.recompute ?? false;
  checkRunFits(gpu, config, { batch: o.batch, seq: o.seq, mode, recompute, training: true, packedBase: storesHalves(weights) }, o.optimizer, o.gpuMemoryBytes);
  const task = await createTinyLmTask(gpu, config, weights, { corpus: 'lines', batch: o.batch, seq: o.seq, seed: o.seed, mode, recompute });
  const before = { accuracy_lines: await task.accuracy('lines'), accuracy_caps: await task.accuracy('caps'), val_loss: await task.validationLoss!() };
  const model = task.model;
  return {
    target: task,
    ...lmRunParts(gpu, model, fields, folder.tokenizerFiles),
    async summary() {
      const after = { accuracy_lines: await task.accuracy('lines'), accuracy_caps: await task.accuracy('caps'), val_loss: await task.validationLoss!() };
      const trainable = model.trainable.reduce((s, p) => s + p.param.numel, 0);
      return { task: 'tiny-lm', base: o.baseName, mode: o.full ? 'full' : 'lora', trainable_params: trainable, before, after };
    },
  };
}
