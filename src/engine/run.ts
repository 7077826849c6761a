// A training run of the Session: the low-rank teacher (one LoRALinear) or a Llama with LoRA (or
// full fine-tuning) on text, behind one interface for training, checkpoints, the inspector, the
// merge, exports and generation. Built by src/engine/session.ts, which owns the device.
import { ConfigError } from '../model/config.ts';
import { storesHalves } from '../io/weight-source.ts';
import type { Dtype } from '../io/safetensors.ts';
import { consecutiveBatches } from '../data/text-dataset.ts';
import { withAllocationScope, type Allocation } from '../gpu/allocations.ts';
import { readTensor, writeTensor, type GpuTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { fingerprintTensors } from '../gpu/kernels/fingerprint.ts';
import { ExactMerge } from '../lora/exact-merge.ts';
import { IGNORE_TARGET, LlamaModel } from '../model/llama-model.ts';
import { checkRunFitsDevice } from '../model/memory-estimate.ts';
import { PAGE_TEACHER, trainerSettings, type PlaygroundSettings } from '../settings/playground-settings.ts';
import { createTeacherTask, type TeacherTask } from '../tasks/low-rank-teacher.ts';
import { createTextTask } from '../tasks/text-task.ts';
import { lmRunParts } from '../tasks/lm-run.ts';
import { lmTraining } from '../tasks/run-options.ts';
import type { TaskRun } from '../tasks/task-run.ts';
import { entropyPerByte } from '../tasks/corpora.ts';
import { ACCURACY_MIN_SEQ, exactMatchOnePass } from '../tasks/tiny-lm.ts';
import { mergedLayerFile, teacherExports } from '../tasks/teacher-run.ts';
import { Trainer, type StepMetrics, type TrainerOptions } from '../train/trainer.ts';
import { seededRandom } from '../util/random.ts';
import type { BaseModel } from './base-model.ts';
import { spectraReader, type RunSpectra } from './spectra.ts';
import type { AccuracyPlan, AccuracyPoint, Files, Generation, MergeReport, ModuleInfo, Timing } from './types.ts';

export interface Run {
  readonly modules: ModuleInfo[];
  readonly frozenNames: string[];
  readonly completed: number;
  readonly merged: boolean;
  /** Up to `limit` steps queued together, their metrics read back at once (trainer.trainSteps). */
  steps(limit: number): Promise<StepMetrics[]>;
  /** Another learning rate or clipping continues the same run. */
  adjust(o: Pick<TrainerOptions, 'lr' | 'maxGradNorm'>): void;
  /** The trainable tensors (A, B of every module) read back, for a checkpoint in memory. */
  checkpoint(): Promise<Float32Array[]>;
  /** Writes a checkpoint's tensors back and continues the step count from `step`. */
  restore(tensors: Float32Array[], step: number): void;
  /** One fingerprint of every frozen base tensor, computed on the GPU. */
  fingerprint(): Promise<string>;
  /** Folds every adapter into its base (refusing non-finite results), and reports parity and timing. */
  merge(): Promise<MergeReport>;
  unmerge(): void;
  adapterFiles(): Promise<Files>;
  mergedFiles(dtype?: Dtype): Promise<Files>;
  /**
   * Completions of the base and of the adapted model. While merged, the base's comes from the
   * base weights themselves (the saved copy put back, then merged again), not from the merged ones.
   */
  generate?(prompt: string, maxNew: number, temperature: number, seed: number): Promise<Generation>;
  /** The lowest loss this run can reach, where the task knows it (the teacher's floor for its rank). */
  readonly lossFloor?: number;
  /** Whether (and on how many prompts) `accuracy` measures; absent for the teacher and the CLI's runs. */
  readonly accuracyPlan?: AccuracyPlan;
  /** Exact-match accuracy on both tiny-lm corpora now (the page's run on the bundled base and the built-in text). */
  accuracy?(): Promise<Omit<AccuracyPoint, 'step'>>;
  /** The language model the run trains (null for the teacher): the library writes adapters into it. */
  readonly model: LlamaModel | null;
  /** The spectra of every adapter's ΔW = s·B·A at the current step (and the teacher's ΔW*): src/engine/spectra.ts. */
  spectra(): Promise<RunSpectra>;
  /** Task figures after training (the CLI's summary line); absent for the page's runs. */
  summary?(): Promise<Record<string, unknown>>;
  destroy(): void;
}


/** Folds every adapter into its base (ExactMerge) and returns how long the GPU took. */
async function timedMerge(gpu: Gpu, merging: ExactMerge): Promise<number> {
  const t0 = performance.now();
  await merging.merge();
  await gpu.device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}

/**
 * The median of timed runs after a warm-up, with their spread (min–max): 9 runs where the warm-up
 * took under 100 ms, 5 under 2 s, otherwise 1 (a real model's forward on a software GPU: more
 * would hold the merge for minutes).
 */
async function timed(gpu: Gpu, run: () => void): Promise<Timing> {
  const once = async () => {
    const t0 = performance.now();
    run();
    await gpu.device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  const warmUp = await once();
  const runs = warmUp > 2000 ? 1 : warmUp > 100 ? 5 : 9;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1], runs };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function combinedFingerprint(gpu: Gpu, tensors: GpuTensor[]): Promise<string> {
  const parts = await fingerprintTensors(gpu, tensors);
  let h = 0x811c9dc5;
  let g = 0x01000193;
  for (const ch of parts.join('|')) {
    h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    g = Math.imul(g ^ ch.charCodeAt(0), 0x85ebca6b) >>> 0;
  }
  return `${h.toString(16).padStart(8, '0')}${g.toString(16).padStart(8, '0')}`;
}

export async function createTeacherRun(gpu: Gpu, s: PlaygroundSettings): Promise<Run> {
  const built = await withAllocationScope(gpu, async () => {
    const task = await createTeacherTask(gpu, { ...PAGE_TEACHER, rank: s.rank, alpha: s.alpha, useRslora: s.rslora, seed: s.seed, useDora: s.dora, init: s.init });
    const trainer = await Trainer.create(gpu, task, { ...trainerSettings(s), evalEvery: 10 });
    return { task, trainer };
  });
  const { task, trainer } = built.value;
  const layer = task.layer;
  const { dim } = PAGE_TEACHER;
  const merging = new ExactMerge(gpu, [{ path: 'student', lora: layer }]);
  return Object.assign(new RunControls(gpu, trainer, task.trainable, merging), {
    model: null,
    lossFloor: task.expected.floor,
    modules: [{
      path: 'student', inDim: dim, outDim: dim, rank: s.rank, scale: layer.scaling, baseGrad: layer.gradWeight,
      gradNames: { base: null, a: 'student.lora_A.weight', b: 'student.lora_B.weight' },
    }],
    frozenNames: task.frozenNames,
    fingerprint: () => combinedFingerprint(gpu, [layer.weight]),
    async merge() {
      layer.foldingAllowed = false; // the probe runs in training mode, whose path at this size is low-rank anyway
      const unmerged = await task.probe();
      const msUnmerged = await timed(gpu, task.forwardProbe);
      layer.foldingAllowed = true;
      layer.adapterEnabled = false;
      const msBase = await timed(gpu, task.forwardProbe);
      layer.adapterEnabled = true;
      const mergeMs = await timedMerge(gpu, merging);
      const merged = await task.probe();
      return { maxAbsDiff: maxAbsDiff(merged, unmerged), ms: { merge: mergeMs, base: msBase, unmerged: msUnmerged, folded: null, merged: await timed(gpu, task.forwardProbe) } };
    },
    unmerge: () => merging.unmerge(),
    spectra: spectraReader(gpu, { layers: [{ path: 'student', lora: layer }], merged: () => merging.merged, step: () => trainer.step, teacher: { truth: task.truth, expected: task.expected } }),
    ...teacherExports(gpu, layer, { dim, rank: s.rank, alpha: s.alpha, rslora: s.rslora }, mergedLayerFile(dim)),
    destroy: () => {
      merging.unmerge();
      destroyAll(built.allocations);
    },
  });
}

/** What both workbenches do the same way: step, learning rate, checkpoint and restore, merge state. */
class RunControls {
  constructor(
    private readonly gpu: Gpu,
    private readonly trainer: Trainer,
    private readonly trainable: { param: GpuTensor }[],
    private readonly merging: ExactMerge,
  ) {}

  get completed(): number {
    return this.trainer.step;
  }

  get merged(): boolean {
    return this.merging.merged;
  }

  steps(limit: number): Promise<StepMetrics[]> {
    return this.trainer.trainSteps(limit);
  }

  adjust(o: Pick<TrainerOptions, 'lr' | 'maxGradNorm'>): void {
    this.trainer.adjust(o);
  }

  async checkpoint(): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const p of this.trainable) out.push(await readTensor(this.gpu, p.param));
    return out;
  }

  restore(tensors: Float32Array[], step: number): void {
    if (tensors.length !== this.trainable.length) throw new Error(`the checkpoint has ${tensors.length} tensors, the model ${this.trainable.length}`);
    this.trainable.forEach((p, i) => writeTensor(this.gpu, p.param, tensors[i]));
    this.trainer.resumeAt(step);
  }
}

function destroyAll(allocations: Allocation[]): void {
  for (const a of allocations) a.buffer.destroy();
}

/** Prompts per corpus of the page's accuracy: both corpora take 2·16/batch forward passes (8 at batch 4). */
export const PAGE_ACCURACY_PROMPTS = 16;

/**
 * The page's tiny-lm accuracy and loss floor. Only the bundled base on the built-in text (corpus
 * 'lines', bytes as tokens) has them: a loaded model or text has no corpora to ask.
 */
function corporaParts(model: LlamaModel, s: PlaygroundSettings, corpora: boolean): Pick<Run, 'accuracyPlan' | 'accuracy' | 'lossFloor'> {
  if (!corpora) return { accuracyPlan: { reason: 'a loaded model or text has no built-in corpora: accuracy is measured for the bundled byte-caps model on the built-in text' } };
  // The built-in text is a stream of 'lines' lines read from random offsets: its entropy rate is the floor.
  const lossFloor = entropyPerByte('lines');
  if (s.seq < ACCURACY_MIN_SEQ) return { lossFloor, accuracyPlan: { reason: `a prompt and its answer take ${ACCURACY_MIN_SEQ} bytes: use a sequence length of at least ${ACCURACY_MIN_SEQ}` } };
  const o = { seed: s.seed, count: PAGE_ACCURACY_PROMPTS, batch: s.batch, seq: s.seq };
  return {
    lossFloor,
    accuracyPlan: { prompts: o.count },
    accuracy: () => exactMatchOnePass(model, ['lines', 'caps'], o),
  };
}

/** `corpora`: the base is the bundled byte-caps model and the text the built-in one (accuracy and loss floor). */
export async function createLmRun(gpu: Gpu, base: BaseModel, tokens: Uint32Array, s: PlaygroundSettings, o: { corpora?: boolean } = {}): Promise<Run> {
  const layersToTransform = Array.from({ length: s.layerTo - s.layerFrom + 1 }, (_, i) => s.layerFrom + i);
  const { mode, fields } = lmTraining({
    lora: { rank: s.rank, alpha: s.alpha, rslora: s.rslora, targets: s.targets, layers: layersToTransform, rankPattern: {}, alphaPattern: {}, dropout: s.dropout, useDora: s.dora, init: s.init },
    full: s.full, batch: s.batch, seq: s.seq, seed: s.seed, optimizer: s.optimizer, gpuMemoryBytes: Infinity, baseName: base.name,
  }, base.config);
  if (s.seq > base.config.max_position_embeddings) throw new ConfigError(`the sequence length ${s.seq} is over ${base.name}'s max_position_embeddings (${base.config.max_position_embeddings}): use at most ${base.config.max_position_embeddings} tokens`);
  const options = { batch: s.batch, seq: s.seq, mode, recompute: s.recompute };
  checkRunFitsDevice(gpu, base.config, { ...options, training: true, optimizer: s.optimizer, packedBase: storesHalves(base.weights) });
  const built = await withAllocationScope(gpu, async () => {
    const model = await LlamaModel.create(gpu, base.config, base.weights, options);
    const task = createTextTask(model, tokens, s.seed);
    const trainer = await Trainer.create(gpu, task, { ...trainerSettings(s), evalEvery: 10 });
    return { model, task, trainer };
  });
  const { model, task, trainer } = built.value;
  const layers = model.linears.filter((l) => l.lora).map((l) => ({ path: l.path, lora: l.lora! }));
  // The base weights as the GPU holds them: under full fine-tuning they are what trains.
  const frozen = [...model.weights.values()];
  const merging = new ExactMerge(gpu, layers);
  const probe = consecutiveBatches(tokens.subarray(Math.floor(tokens.length * 0.9)), s.batch, s.seq)[0];
  const forwardProbe = () => {
    model.setBatch(probe.ids, probe.targets);
    model.forward();
  };
  const exports = lmRunParts(gpu, model, fields, base.tokenizerFiles);
  const modules = modelModules(model);
  return Object.assign(new RunControls(gpu, trainer, task.trainable, merging), {
    model,
    ...corporaParts(model, s, o.corpora ?? false),
    modules,
    frozenNames: task.frozenNames,
    fingerprint: () => combinedFingerprint(gpu, frozen),
    async merge() {
      if (!layers.length) throw new Error('full fine-tuning trains the weights themselves: there is no adapter to merge');
      model.setTraining(false);
      // Compared with the low-rank path, not the folded one: folding computes what merging does.
      model.setFoldingAllowed(false);
      forwardProbe();
      const unmerged = await model.logits();
      const msUnmerged = await timed(gpu, forwardProbe);
      model.setFoldingAllowed(true);
      const folds = layers.some((l) => l.lora.forwardPath.evaluation === 'folded');
      const msFolded = folds ? await timed(gpu, forwardProbe) : null;
      model.setAdapterEnabled(false);
      const msBase = await timed(gpu, forwardProbe);
      model.setAdapterEnabled(true);
      const mergeMs = await timedMerge(gpu, merging);
      forwardProbe();
      const merged = await model.logits();
      const report = { maxAbsDiff: maxAbsDiff(merged, unmerged), ms: { merge: mergeMs, base: msBase, unmerged: msUnmerged, folded: msFolded, merged: await timed(gpu, forwardProbe) } };
      model.setTraining(true);
      return report;
    },
    unmerge: () => merging.unmerge(),
    spectra: spectraReader(gpu, { layers, merged: () => merging.merged, step: () => trainer.step }),
    async adapterFiles() {
      if (!layers.length) throw new Error('full fine-tuning has no adapter: download the merged weights instead');
      return exports.adapterFiles();
    },
    mergedFiles: (dtype: Dtype = 'F32') => exports.mergedFiles(dtype),
    async generate(prompt: string, maxNew: number, temperature: number, seed: number): Promise<Generation> {
      const encoded = base.tokenizer.encode(prompt);
      const prompted = encoded.slice(-(s.seq - 1)); // the run's model reads s.seq tokens: the prompt's end is kept
      const run = async (adapter: boolean) => {
        model.setTraining(false);
        model.setAdapterEnabled(adapter);
        const ids = new Uint32Array(s.batch * s.seq);
        prompted.forEach((t, i) => (ids[i] = t));
        const random = seededRandom(seed);
        const out: number[] = [];
        let length = prompted.length;
        while (out.length < maxNew && length < s.seq && length > 0) {
          model.setBatch(ids, new Uint32Array(ids.length).fill(IGNORE_TARGET));
          model.forward({ loss: false }); // the head runs in logits(), for the one row read
          const row = await model.logits([length - 1]);
          const next = temperature <= 0 ? argmax(row) : sample(row, temperature, random);
          ids[length++] = next;
          out.push(next);
        }
        model.setAdapterEnabled(true);
        model.setTraining(true);
        return { text: base.tokenizer.decode(out), count: out.length };
      };
      // Full fine-tuning wrote over the base weights: there is no base left to ask. Merged, the
      // weights hold W + s·B·A, and switching the adapter off would still compute the merged
      // model: the saved base goes back for the base's completion (ExactMerge, bit for bit), and
      // the same merge is made again (the same kernel on the same weights: the same bits).
      const merged = merging.merged;
      let baseText: string | null = null;
      if (layers.length) {
        if (merged) merging.unmerge();
        try {
          baseText = (await run(false)).text;
        } finally {
          if (merged) await merging.merge();
        }
      }
      const adapted = await run(true);
      return {
        base: baseText, adapted: adapted.text, merged, context: s.seq, modelContext: base.config.max_position_embeddings,
        promptTokens: prompted.length, promptDropped: encoded.length - prompted.length, requested: maxNew, generated: adapted.count,
      };
    },
    destroy: () => {
      merging.unmerge();
      destroyAll(built.allocations);
    },
  });
}

/** The teacher's truth when a task run trains the low-rank teacher (the CLI's), for its spectra. */
function teacherOf(target: object): Pick<TeacherTask, 'truth' | 'expected'> | undefined {
  const t = target as Partial<TeacherTask>;
  return t.truth && t.expected ? { truth: t.truth, expected: t.expected } : undefined;
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
  return best;
}

/** A draw from softmax(row / temperature). */
function sample(row: Float32Array, temperature: number, random: () => number): number {
  const max = row.reduce((m, x) => Math.max(m, x), -Infinity);
  const weights = Array.from(row, (x) => Math.exp((x - max) / temperature));
  let u = random() * weights.reduce((a, b) => a + b, 0);
  for (let v = 0; v < weights.length; v++) if ((u -= weights[v]) <= 0) return v;
  return weights.length - 1;
}

/** What the inspector shows of a model's linear layers: those with an adapter, or (full fine-tuning) every one. */
function modelModules(model: LlamaModel): ModuleInfo[] {
  return model.linears
    .filter((l) => l.lora || l.gradWeight)
    .map((l) => ({
      path: l.path, inDim: l.weight.shape[1], outDim: l.weight.shape[0], rank: l.lora?.config.rank ?? null, scale: l.lora?.scaling ?? null,
      baseGrad: l.gradWeight ? { name: l.gradWeight.label, shape: [...l.gradWeight.shape] } : null,
      gradNames: { base: l.gradWeight ? `${l.path}.weight` : null, a: l.lora ? `${l.path}.lora_A.weight` : null, b: l.lora ? `${l.path}.lora_B.weight` : null },
    }));
}

/**
 * A run from a task built from plain options (src/tasks/*-run.ts: the CLI's teacher, tiny-lm and
 * text tasks): the same trainer, checkpoints, exact merge, fingerprint and exports as the page's
 * runs. Everything the task and the trainer allocate is freed with the run.
 */
export async function runFromTask(gpu: Gpu, build: (gpu: Gpu) => Promise<TaskRun>, trainer: Partial<TrainerOptions>): Promise<Run> {
  const built = await withAllocationScope(gpu, async () => {
    const task = await build(gpu);
    return { task, trainer: await Trainer.create(gpu, task.target, trainer) };
  });
  const { task } = built.value;
  const merging = new ExactMerge(gpu, task.loraLayers);
  const modules: ModuleInfo[] = task.model
    ? modelModules(task.model)
    : task.loraLayers.map((l) => ({
      path: l.path, inDim: l.lora.config.inFeatures, outDim: l.lora.config.outFeatures, rank: l.lora.config.rank, scale: l.lora.scaling, baseGrad: l.lora.gradWeight,
      gradNames: { base: null, a: `student.lora_A.weight`, b: `student.lora_B.weight` },
    }));
  return Object.assign(new RunControls(gpu, built.value.trainer, task.target.trainable, merging), {
    model: task.model,
    modules,
    frozenNames: task.target.frozenNames,
    fingerprint: () => combinedFingerprint(gpu, task.baseTensors),
    async merge(): Promise<MergeReport> {
      throw new Error('the parity and timing report of a merge is measured on the page\'s runs; export the merged weights instead');
    },
    unmerge: () => merging.unmerge(),
    spectra: spectraReader(gpu, { layers: task.loraLayers, merged: () => merging.merged, step: () => built.value.trainer.step, teacher: teacherOf(task.target) }),
    adapterFiles: () => task.adapterFiles(),
    mergedFiles: (dtype: Dtype = 'F32') => task.mergedFiles(dtype),
    summary: task.summary && (() => task.summary!()),
    destroy: () => {
      merging.unmerge();
      destroyAll(built.allocations);
    },
  });
}
