// Task "tiny-lm": a small byte-level Llama pretrained on corpus A (caps) is adapted to corpus B
// (shift). Training minimises next-byte cross-entropy; the task metric is exact-match accuracy
// of the three bytes a model writes after "abc:" for held-out words.
import type { Gpu } from '../gpu/device.ts';
import type { LlamaConfig } from '../model/config.ts';
import { IGNORE_TARGET, LlamaModel, type TrainingMode } from '../model/llama-model.ts';
import type { TrainingTarget } from '../train/trainer.ts';
import { seededRandom } from '../util/random.ts';
import { ANSWER_LENGTH, batchFromSequences, PROMPT_LENGTH, sampleSequences, transformWord, wordSplit, type CorpusName } from './corpora.ts';

export interface TinyLmOptions {
  corpus: CorpusName;
  batch: number;
  seq: number;
  seed: number;
  mode: TrainingMode;
}

export interface TinyLmTask extends TrainingTarget {
  model: LlamaModel;
  /** Exact-match accuracy on `count` held-out words of `corpus` (greedy decoding). */
  accuracy(corpus: CorpusName, count?: number): Promise<number>;
}

export async function createTinyLmTask(gpu: Gpu, config: LlamaConfig, weights: Map<string, Float32Array>, o: TinyLmOptions): Promise<TinyLmTask> {
  if (o.seq > config.max_position_embeddings) throw new RangeError(`sequence length ${o.seq} is over the model's max_position_embeddings (${config.max_position_embeddings})`);
  const model = await LlamaModel.create(gpu, config, weights, { batch: o.batch, seq: o.seq, mode: o.mode });
  const words = wordSplit();
  const validation = batchFromSequences(sampleSequences(words.heldOut, o.corpus, o.batch, o.seq, seededRandom(o.seed + 99)), o.seq);
  const trainable = new Set(model.trainable.map((p) => p.param));
  return {
    model,
    trainable: model.trainable,
    frozenNames: [...model.weights].filter(([, t]) => !trainable.has(t)).map(([name]) => name),
    tokensPerStep: o.batch * o.seq,
    nextBatch(step) {
      const random = seededRandom(o.seed * 1_000_003 + step);
      const b = batchFromSequences(sampleSequences(words.train, o.corpus, o.batch, o.seq, random), o.seq);
      model.setBatch(b.ids, b.targets);
    },
    forwardBackward: () => model.forwardBackward(),
    loss: () => model.loss(),
    async validationLoss() {
      model.setBatch(validation.ids, validation.targets);
      model.forward();
      return model.loss();
    },
    async accuracy(corpus, count = 4 * o.batch) {
      const list = words.heldOut.filter((_, i) => i % 7 === 0).slice(0, count);
      let correct = 0;
      for (let start = 0; start < list.length; start += o.batch) {
        const chunk = list.slice(start, start + o.batch);
        const answers = await greedyAnswers(model, chunk, o.batch, o.seq);
        chunk.forEach((w, i) => (correct += answers[i] === transformWord(w, corpus) ? 1 : 0));
      }
      return correct / list.length;
    },
  };
}

/** Writes "abc:" at the start of each sequence and decodes three bytes greedily. */
async function greedyAnswers(model: LlamaModel, words: string[], batch: number, seq: number): Promise<string[]> {
  const vocab = model.config.vocab_size;
  const ids = new Uint32Array(batch * seq).fill(10); // newline padding after the prompt
  words.forEach((w, b) => new TextEncoder().encode(`${w}:`).forEach((byte, t) => (ids[b * seq + t] = byte)));
  const answers = words.map(() => '');
  for (let k = 0; k < ANSWER_LENGTH; k++) {
    model.setBatch(ids, new Uint32Array(batch * seq).fill(IGNORE_TARGET));
    model.forward();
    const logits = await model.logits();
    const position = PROMPT_LENGTH - 1 + k;
    words.forEach((_, b) => {
      const row = (b * seq + position) * vocab;
      let best = 0;
      for (let v = 1; v < vocab; v++) if (logits[row + v] > logits[row + best]) best = v;
      ids[b * seq + position + 1] = best;
      answers[b] += String.fromCharCode(best);
    });
  }
  return answers;
}
