// Bring your own model and text: a loaded model folder and the text's documents. Random windows
// of the first 90 % of the tokens train; the last 10 % give the validation loss.
import { storesHalves } from '../io/weight-source.ts';
import { splitTokens, tokenizeDocuments } from '../data/text-dataset.ts';
import type { Gpu } from '../gpu/device.ts';
import type { ModelFolder } from '../io/model-folder.ts';
import { LlamaModel } from '../model/llama-model.ts';
import { SettingError } from '../settings/schema.ts';
import { checkRunFits, lmRunParts } from './lm-run.ts';
import { lmTraining, type LmRunOptions } from './run-options.ts';
import type { TaskRun } from './task-run.ts';
import { createTextTask } from './text-task.ts';

export async function createTextRun(gpu: Gpu, folder: ModelFolder, text: { name: string; documents: string[] }, o: LmRunOptions): Promise<TaskRun> {
  if (!folder.tokenizer) throw new SettingError(`${o.baseName} has no tokenizer.json; the text cannot be tokenized without the model's own tokenizer`);
  const { config, weights } = folder;
  if (o.seq > config.max_position_embeddings) throw new SettingError(`--seq-len ${o.seq} is over the model's max_position_embeddings (${config.max_position_embeddings})`);
  const tokens = tokenizeDocuments(folder.tokenizer, text.documents, config.vocab_size);
  splitTokens(tokens, o.seq); // refuses too little text before anything is allocated
  const { mode, fields } = lmTraining(o, config);
  const recompute = o.recompute ?? false;
  checkRunFits(gpu, config, { batch: o.batch, seq: o.seq, mode, recompute, training: true, packedBase: storesHalves(weights) }, o.optimizer, o.gpuMemoryBytes);

  const model = await LlamaModel.create(gpu, config, weights, { batch: o.batch, seq: o.seq, mode, recompute });
  const task = createTextTask(model, tokens, o.seed);
  const before = await task.validationLoss!();
  return {
    target: task,
    ...lmRunParts(gpu, model, fields, folder.tokenizerFiles),
    async summary() {
      return { task: 'text', base: o.baseName, text: text.name, tokens: tokens.length, train_tokens: task.trainTokens, validation_tokens: task.validationTokens, val_loss_before: before, val_loss_after: await task.validationLoss!() };
    },
  };
}
