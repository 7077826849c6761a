// Task "tiny-lm": a small byte-level Llama pretrained on corpus A (caps) is adapted to corpus B
// (lines). Training minimises next-byte cross-entropy; the task metric is exact-match accuracy
// of the two bytes a model writes (greedily) after a prompt such as "kK\nx" ("X\n"), on held-out prompts.
import type { WeightSource } from '../io/weight-source.ts';
import type { Gpu } from '../gpu/device.ts';
import type { LlamaConfig } from '../model/config.ts';
import { IGNORE_TARGET, LlamaModel, type TrainingMode } from '../model/llama-model.ts';
import type { TrainingTarget } from '../train/trainer.ts';
import { seededRandom } from '../util/random.ts';
import { batchFromSequences, completionPrompt, sampleSequences, type CorpusName } from './corpora.ts';

export interface TinyLmOptions {
  corpus: CorpusName;
  batch: number;
  seq: number;
  seed: number;
  mode: TrainingMode;
  /** Activation checkpointing (LlamaModel's recompute). */
  recompute?: boolean;
}

export interface TinyLmTask extends TrainingTarget {
  model: LlamaModel;
  /** Exact-match accuracy on `count` held-out prompts of `corpus` (greedy decoding). */
  accuracy(corpus: CorpusName, count?: number): Promise<number>;
}

export async function createTinyLmTask(gpu: Gpu, config: LlamaConfig, weights: WeightSource | Map<string, Float32Array>, o: TinyLmOptions): Promise<TinyLmTask> {
  if (o.seq > config.max_position_embeddings) throw new RangeError(`sequence length ${o.seq} is over the model's max_position_embeddings (${config.max_position_embeddings})`);
  const model = await LlamaModel.create(gpu, config, weights, { batch: o.batch, seq: o.seq, mode: o.mode, recompute: o.recompute ?? false });
  // Held-out text and prompts use seeds that training never draws (training: seed·1000003 + step).
  const validation = batchFromSequences(sampleSequences(o.corpus, o.batch, o.seq, seededRandom(o.seed + 0x5eed)), o.seq);
  const trainable = new Set(model.trainable.map((p) => p.param));
  return {
    model,
    trainable: model.trainable,
    frozenNames: [...model.weights].filter(([, t]) => !trainable.has(t)).map(([name]) => name),
    tokensPerStep: o.batch * o.seq,
    nextBatch(step) {
      const random = seededRandom(o.seed * 1_000_003 + step);
      const b = batchFromSequences(sampleSequences(o.corpus, o.batch, o.seq, random), o.seq);
      model.setBatch(b.ids, b.targets);
      model.setDropoutSeed(o.seed * 1_000_003 + step);
    },
    forwardBackward: () => model.forwardBackward(),
    lossSum: model.lossSum,
    lossScale: () => model.lossScale(),
    async validationLoss() {
      model.setTraining(false);
      model.setBatch(validation.ids, validation.targets);
      model.forward();
      const loss = await model.loss();
      model.setTraining(true);
      return loss;
    },
    accuracy: (corpus, count = 4 * o.batch) => exactMatchAccuracy(model, corpus, { seed: o.seed, count, batch: o.batch, seq: o.seq }),
  };
}

/** The shortest sequence length that holds a completion prompt and its answer (see completionPrompt). */
export const ACCURACY_MIN_SEQ = 6;

/**
 * Exact-match accuracy of `model` on `count` prompts of `corpus` (drawn with their own seed,
 * seed + 0xacc, apart from the training draws): the two bytes it writes greedily after each prompt, against the answer. Batched:
 * `batch` prompts a forward pass, two passes per chunk. Shared by the tiny-lm task and the page's
 * tiny-lm run (src/engine/run.ts). Leaves the model in training mode.
 */
export async function exactMatchAccuracy(model: LlamaModel, corpus: CorpusName, o: { seed: number; count: number; batch: number; seq: number }): Promise<number> {
  const random = seededRandom(o.seed + 0xacc);
  const list = Array.from({ length: o.count }, () => completionPrompt(random, corpus));
  let correct = 0;
  model.setTraining(false);
  for (let start = 0; start < list.length; start += o.batch) {
    const chunk = list.slice(start, start + o.batch);
    const answers = await greedyContinuations(model, chunk.map((c) => c.prompt), chunk[0].answer.length, o.batch, o.seq);
    chunk.forEach((c, i) => (correct += answers[i] === c.answer ? 1 : 0));
  }
  model.setTraining(true);
  return correct / list.length;
}

/**
 * The same exact-match accuracy as exactMatchAccuracy, for several corpora at once, in one forward
 * pass per chunk of `batch` prompts instead of one per answer byte: each prompt is written with its
 * answer after it, and a prompt counts when the argmax at every answer position is the answer's
 * byte. Greedy decoding feeds back its own bytes, so while they are right its inputs are exactly
 * these, and the first wrong byte fails the prompt either way (attention is causal: a row's logits
 * do not read the bytes after it). The prompts of all corpora share the chunks. The page's run
 * measures with this (src/engine/run.ts); src/app/accuracy.gpu.test.ts checks it against the task's.
 */
export async function exactMatchOnePass<C extends CorpusName>(model: LlamaModel, corpora: readonly C[], o: { seed: number; count: number; batch: number; seq: number }): Promise<Record<C, number>> {
  const items = corpora.flatMap((corpus) => {
    const random = seededRandom(o.seed + 0xacc); // the prompts exactMatchAccuracy draws for this corpus
    return Array.from({ length: o.count }, () => ({ corpus, ...completionPrompt(random, corpus) }));
  });
  const vocab = model.config.vocab_size;
  const correct = new Map<CorpusName, number>(corpora.map((c) => [c, 0]));
  model.setTraining(false);
  for (let start = 0; start < items.length; start += o.batch) {
    const chunk = items.slice(start, start + o.batch);
    const ids = new Uint32Array(o.batch * o.seq).fill(10); // newline padding, as greedyContinuations
    chunk.forEach(({ prompt, answer }, b) => {
      if (prompt.length + answer.length > o.seq) throw new RangeError(`prompt plus ${answer.length} bytes is longer than the sequence length ${o.seq}`);
      [...prompt, ...answer].forEach((ch, t) => (ids[b * o.seq + t] = ch.charCodeAt(0)));
    });
    model.setBatch(ids, new Uint32Array(o.batch * o.seq).fill(IGNORE_TARGET));
    model.forward({ loss: false });
    const logits = await model.logits();
    chunk.forEach(({ corpus, prompt, answer }, b) => {
      const right = [...answer].every((ch, k) => {
        const row = (b * o.seq + prompt.length - 1 + k) * vocab;
        let best = 0;
        for (let v = 1; v < vocab; v++) if (logits[row + v] > logits[row + best]) best = v;
        return best === ch.charCodeAt(0);
      });
      if (right) correct.set(corpus, correct.get(corpus)! + 1);
    });
  }
  model.setTraining(true);
  return Object.fromEntries(corpora.map((c) => [c, correct.get(c)! / o.count])) as Record<C, number>;
}

/** `length` bytes decoded greedily after each prompt (written at the start of its sequence). */
export async function greedyContinuations(model: LlamaModel, prompts: string[], length: number, batch: number, seq: number): Promise<string[]> {
  const vocab = model.config.vocab_size;
  const ids = new Uint32Array(batch * seq).fill(10); // newline padding after the prompt
  const lengths = prompts.map((p) => p.length);
  if (Math.max(...lengths) + length > seq) throw new RangeError(`prompt plus ${length} bytes is longer than the sequence length ${seq}`);
  prompts.forEach((p, b) => new TextEncoder().encode(p).forEach((byte, t) => (ids[b * seq + t] = byte)));
  const out = prompts.map(() => '');
  for (let k = 0; k < length; k++) {
    model.setBatch(ids, new Uint32Array(batch * seq).fill(IGNORE_TARGET));
    model.forward({ loss: false });
    const logits = await model.logits(prompts.map((_, b) => b * seq + lengths[b] - 1 + k)); // (prompts, vocab)
    prompts.forEach((_, b) => {
      const position = lengths[b] - 1 + k;
      const row = b * vocab;
      let best = 0;
      for (let v = 1; v < vocab; v++) if (logits[row + v] > logits[row + best]) best = v;
      ids[b * seq + position + 1] = best;
      out[b] += String.fromCharCode(best);
    });
  }
  return out;
}
