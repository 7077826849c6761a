// Training on a token stream (the user's text, or a built-in corpus written out as text):
// random windows of the first 90 % train, consecutive windows of the last 10 % validate.
// Shared by the CLI (`train --task text`) and the page.
import { consecutiveBatches, randomWindows, splitTokens, type Batch } from '../data/text-dataset.ts';
import { IGNORE_TARGET, type LlamaModel } from '../model/llama-model.ts';
import type { TrainingTarget } from '../train/trainer.ts';
import { seededRandom } from '../util/random.ts';
import { line, type CorpusName } from './corpora.ts';

/** Validation reads at most this many consecutive batches of the held-out tokens. */
export const VALIDATION_BATCHES = 8;

/** Mean next-token loss over batches, weighted by the tokens each predicts (eval mode). */
export async function meanLoss(model: LlamaModel, batches: Batch[]): Promise<number> {
  const wasTraining = model.linears.some((l) => l.lora?.training);
  model.setTraining(false);
  let sum = 0;
  let count = 0;
  for (const b of batches) {
    model.setBatch(b.ids, b.targets);
    model.forward();
    const n = b.targets.filter((t) => t !== IGNORE_TARGET).length;
    sum += (await model.loss()) * n;
    count += n;
  }
  model.setTraining(wasTraining);
  return count ? sum / count : NaN;
}

export interface TextTask extends TrainingTarget {
  trainTokens: number;
  validationTokens: number;
}

export function createTextTask(model: LlamaModel, tokens: Uint32Array, seed: number): TextTask {
  const { batch, seq } = model.options;
  const { train, validation } = splitTokens(tokens, seq);
  const validationBatches = consecutiveBatches(validation, batch, seq).slice(0, VALIDATION_BATCHES);
  const trainable = new Set(model.trainable.map((p) => p.param));
  return {
    trainable: model.trainable,
    frozenNames: [...model.weights].filter(([, t]) => !trainable.has(t)).map(([name]) => name),
    tokensPerStep: batch * seq,
    trainTokens: train.length,
    validationTokens: validation.length,
    nextBatch(step) {
      const b = randomWindows(train, batch, seq, seededRandom(seed * 1_000_003 + step));
      model.setBatch(b.ids, b.targets);
      model.setDropoutSeed(seed * 1_000_003 + step);
    },
    forwardBackward: () => model.forwardBackward(),
    lossSum: model.lossSum,
    lossScale: () => model.lossScale(),
    validationLoss: () => meanLoss(model, validationBatches),
  };
}

/** A built-in corpus written out as text (`lines` lines, seeded), for the page's default task. */
export function corpusText(corpus: CorpusName, lines: number, seed: number): string {
  const random = seededRandom(seed);
  return Array.from({ length: lines }, () => line(random, corpus)).join('');
}
