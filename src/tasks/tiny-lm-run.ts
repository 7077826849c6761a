// The tiny-lm task as a CLI run: loads the bundled base (or --model DIR), adapts it to corpus B
// with LoRA (or full fine-tuning with --full), and exports the adapter and the merged model.
import type { ParsedArgs } from '../cli/args.ts';
import { folderReader } from '../cli/folder-reader.ts';
import { numberFlag, stringFlag } from '../cli/flags.ts';
import type { Gpu } from '../gpu/device.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { checkRunFits, lmExports, lmTrainingFromFlags } from './lm-run.ts';
import type { TaskRun } from './task-run.ts';
import { TINY_BASE_DIR } from './tiny-base.ts';
import { createTinyLmTask } from './tiny-lm.ts';

export async function createTinyLmRun(gpu: Gpu, args: ParsedArgs): Promise<TaskRun> {
  // Every flag is checked before anything is allocated on the GPU.
  const modelDir = stringFlag(args, 'model') ?? TINY_BASE_DIR;
  const folder = await loadModelFolder(await folderReader(modelDir));
  const { config, weights } = folder;
  const { mode, fields } = lmTrainingFromFlags(args, config, modelDir);
  const full = mode.kind === 'full';
  const [batch, seq] = [numberFlag(args, 'batch'), numberFlag(args, 'seq-len')];
  checkRunFits(gpu, args, config, { batch, seq, mode, training: true });
  const task = await createTinyLmTask(gpu, config, weights, { corpus: 'lines', batch, seq, seed: numberFlag(args, 'seed'), mode });
  const before = { accuracy_lines: await task.accuracy('lines'), accuracy_caps: await task.accuracy('caps'), val_loss: await task.validationLoss!() };
  const model = task.model;
  return {
    target: task,
    ...lmExports(gpu, model, fields, folder.tokenizerFiles),
    async summary() {
      const after = { accuracy_lines: await task.accuracy('lines'), accuracy_caps: await task.accuracy('caps'), val_loss: await task.validationLoss!() };
      const trainable = model.trainable.reduce((s, p) => s + p.param.numel, 0);
      return { task: 'tiny-lm', base: modelDir, mode: full ? 'full' : 'lora', trainable_params: trainable, before, after };
    },
  };
}
