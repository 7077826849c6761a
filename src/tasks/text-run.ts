// Bring your own model and text: `train --task text --model DIR --text FILE`. Random windows of
// the first 90 % of the tokens train; the last 10 % give the validation loss.
import type { ParsedArgs } from '../cli/args.ts';
import { folderReader } from '../cli/folder-reader.ts';
import { numberFlag, stringFlag } from '../cli/flags.ts';
import { readTextDocuments } from '../cli/text-file.ts';
import { splitTokens, tokenizeDocuments } from '../data/text-dataset.ts';
import type { Gpu } from '../gpu/device.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { LlamaModel } from '../model/llama-model.ts';
import { SettingError } from '../settings/schema.ts';
import { checkRunFits, lmExports, lmTrainingFromFlags } from './lm-run.ts';
import type { TaskRun } from './task-run.ts';
import { createTextTask } from './text-task.ts';

export async function createTextRun(gpu: Gpu, args: ParsedArgs): Promise<TaskRun> {
  const modelDir = stringFlag(args, 'model');
  const textPath = stringFlag(args, 'text');
  if (!modelDir || !textPath) throw new SettingError('--task text needs --model DIR (an HF Llama folder with tokenizer.json) and --text FILE (.txt or .jsonl)');
  const folder = await loadModelFolder(await folderReader(modelDir));
  if (!folder.tokenizer) throw new SettingError(`${modelDir} has no tokenizer.json; the text cannot be tokenized without the model's own tokenizer`);
  const { config, weights } = folder;
  const [batch, seq, seed] = [numberFlag(args, 'batch'), numberFlag(args, 'seq-len'), numberFlag(args, 'seed')];
  if (seq > config.max_position_embeddings) throw new SettingError(`--seq-len ${seq} is over the model's max_position_embeddings (${config.max_position_embeddings})`);
  const tokens = tokenizeDocuments(folder.tokenizer, await readTextDocuments(textPath), config.vocab_size);
  splitTokens(tokens, seq); // refuses too little text before anything is allocated
  const { mode, fields } = lmTrainingFromFlags(args, config, modelDir);
  checkRunFits(gpu, args, config, { batch, seq, mode, training: true });

  const model = await LlamaModel.create(gpu, config, weights, { batch, seq, mode });
  const task = createTextTask(model, tokens, seed);
  const before = await task.validationLoss!();
  return {
    target: task,
    ...lmExports(gpu, model, fields, folder.tokenizerFiles),
    async summary() {
      return { task: 'text', base: modelDir, text: textPath, tokens: tokens.length, train_tokens: task.trainTokens, validation_tokens: task.validationTokens, val_loss_before: before, val_loss_after: await task.validationLoss!() };
    },
  };
}
