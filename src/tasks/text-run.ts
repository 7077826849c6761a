// Bring your own model and text: `train --task text --model DIR --text FILE`. Random windows of
// the first 90 % of the tokens train; the last 10 % give the validation loss.
import type { ParsedArgs } from '../cli/args.ts';
import { folderReader } from '../cli/folder-reader.ts';
import { numberFlag, stringFlag } from '../cli/flags.ts';
import { readTextDocuments } from '../cli/text-file.ts';
import { consecutiveBatches, randomWindows, splitTokens, tokenizeDocuments } from '../data/text-dataset.ts';
import type { Gpu } from '../gpu/device.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { IGNORE_TARGET, LlamaModel } from '../model/llama-model.ts';
import { SettingError } from '../settings/schema.ts';
import { seededRandom } from '../util/random.ts';
import { checkRunFits, lmExports, lmTrainingFromFlags } from './lm-run.ts';
import type { TaskRun } from './task-run.ts';

/** Validation reads at most this many consecutive batches of the held-out tokens. */
const VALIDATION_BATCHES = 8;

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
  const { train, validation } = splitTokens(tokens, seq);
  const { mode, fields } = lmTrainingFromFlags(args, config, modelDir);
  checkRunFits(gpu, args, config, { batch, seq, mode, training: true });

  const model = await LlamaModel.create(gpu, config, weights, { batch, seq, mode });
  const validationBatches = consecutiveBatches(validation, batch, seq).slice(0, VALIDATION_BATCHES);
  const trainable = new Set(model.trainable.map((p) => p.param));
  const validationLoss = async () => {
    model.setTraining(false);
    let sum = 0;
    let count = 0;
    for (const b of validationBatches) {
      model.setBatch(b.ids, b.targets);
      model.forward();
      const n = b.targets.filter((t) => t !== IGNORE_TARGET).length;
      sum += (await model.loss()) * n;
      count += n;
    }
    model.setTraining(true);
    return sum / count;
  };
  const before = await validationLoss();
  return {
    target: {
      trainable: model.trainable,
      frozenNames: [...model.weights].filter(([, t]) => !trainable.has(t)).map(([name]) => name),
      tokensPerStep: batch * seq,
      nextBatch(step) {
        const b = randomWindows(train, batch, seq, seededRandom(seed * 1_000_003 + step));
        model.setBatch(b.ids, b.targets);
        model.setDropoutSeed(seed * 1_000_003 + step);
      },
      forwardBackward: () => model.forwardBackward(),
      loss: () => model.loss(),
      validationLoss,
    },
    ...lmExports(gpu, model, config, fields, folder.tokenizerFiles),
    async summary() {
      return { task: 'text', base: modelDir, text: textPath, tokens: tokens.length, train_tokens: train.length, validation_tokens: validation.length, val_loss_before: before, val_loss_after: await validationLoss() };
    },
  };
}
