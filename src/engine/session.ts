// The Session: one engine per device, shared by the page (inside a Web Worker, src/worker/) and
// the CLI. It owns the loaded base model (one copy on the GPU at a time), the current run (the
// teacher layer or a language model with LoRA or full fine-tuning) with its trainer, checkpoints
// and device-loss recovery, merge/unmerge (restoring the saved base bit for bit), exports,
// generation, evaluation and the adapter library. It reports through typed events
// (src/engine/types.ts) and knows nothing of React, zustand, the worker or the CLI.
// docs/ARCHITECTURE.md walks through it.
import { combineAdapters, type CombinationType } from '../adapters/combine.ts';
import { adapterMode, adapterModelMismatch, clearAdapter, layoutDifference, mergedCheckpointFiles, readAdapter, writeAdapter } from '../adapters/model-adapter.ts';
import { checkAdapterName } from '../adapters/names.ts';
import { consecutiveBatches, parseTextFile, tokenizeDocuments } from '../data/text-dataset.ts';
import { liveAllocations } from '../gpu/allocations.ts';
import type { Gpu } from '../gpu/device.ts';
import { llamaCheckpointFiles } from '../io/hf-checkpoint.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import type { Dtype } from '../io/safetensors.ts';
import { readWhole, type OpenFile } from '../io/random-access.ts';
import { readAllFloat32, storesHalves } from '../io/weight-source.ts';
import { adapterFolderFiles, parseAdapter, type AdapterConfigFields, type ParsedAdapter } from '../io/peft.ts';
import { clusterFiles } from '../io/python-script.ts';
import { ConfigError, type LlamaConfig } from '../model/config.ts';
import { IGNORE_TARGET, LlamaModel } from '../model/llama-model.ts';
import { checkRunFitsDevice, estimateMemory } from '../model/memory-estimate.ts';
import type { TrainingMode } from '../model/llama-model.ts';
import { settingsErrors, settingsContextFor, trainerSettings, type PlaygroundSettings } from '../settings/playground-settings.ts';
import { corpusText, meanLoss } from '../tasks/text-task.ts';
import { TINY_BASE_CONFIG } from '../tasks/tiny-base.ts';
import { GpuStepError, NonFiniteError, type StepMetrics, type TrainerOptions } from '../train/trainer.ts';
import type { BaseModel } from './base-model.ts';
import { DeviceKeeper, type DeviceLoss } from './device-keeper.ts';
import { memoryBreakdown } from './memory.ts';
import type { TaskRun } from '../tasks/task-run.ts';
import { createLmRun, createTeacherRun, runFromTask, type Run } from './run.ts';
import type {
  AdapterLibrary, BaseSummary, CheckpointStore, Files, Generation, GpuStatus, LossPoint, MemoryBreakdown, MergeReport, RunInfo, RunProposal, RunStatus, SavedCheckpoint, SessionEvent, Spectra, StoredAdapter,
  StoredAdapterSummary, TextSummary,
} from './types.ts';

/** What the lock says while a Step runs (the device's uncaptured errors then count against it). */
const STEPPING = 'a step';
/** Losses kept with an autosave: two windows of steps, more than the page can be behind. */
const RECENT_POINTS = 20;

export const BUILTIN_TEXT_NAME = 'built-in corpus B (one pair per line)';
/** The page's runs evaluate every 10 steps (src/engine/run.ts); the cluster script does the same. */
const PAGE_EVAL_EVERY = 10;
/** The adapter is copied to memory (and the autosave) this often, and on pause. */
export const CHECKPOINT_EVERY = 10;
const FINGERPRINT_EVERY = 10;

export interface SessionOptions {
  acquireGpu(): Promise<Gpu>;
  /** The bundled model's folder (over HTTP in the page, the repository's folder in the CLI). */
  builtinModel: { name: string; read: OpenFile };
  library: AdapterLibrary;
  checkpoints?: CheckpointStore | null;
  /** A checkpoint every this many steps (and whenever a run stops); 0: only when it stops. Default CHECKPOINT_EVERY. */
  checkpointEvery?: number;
}

class UncaughtGpuError extends Error {}

export class Session {
  private readonly listeners = new Set<(e: SessionEvent) => void>();
  private readonly device: DeviceKeeper;
  private gpuStatus: GpuStatus = { state: 'pending' };
  private base: BaseModel | null = null;
  /** `source`: the file as read (the page's text, or the built-in corpus), copied beside the cluster script of an adapter export. */
  private text: { name: string; tokens: Uint32Array; builtin?: boolean; source?: { name: string; contents: string } } | null = null;
  /** The base is the bundled model (read through options.builtinModel): with the built-in text, a run measures accuracy on its corpora. */
  private builtinBase = false;
  /** The run on the GPU: the only holder of the base model's GPU copy besides `inference`. */
  private run: Run | null = null;
  /** A language model without a trainer, for the library when no run is built (never alive with a run). */
  private inference: { model: LlamaModel; batch: number; seq: number } | null = null;
  private runInfo: RunInfo | null = null;
  /** What the run was built with: a change means the next Train starts a new run. */
  private builtWith: string | null = null;
  private checkpoint: { runId: string; step: number; tensors: Float32Array[] } | null = null;
  private status: RunStatus = 'idle';
  private uncaught: string[] = [];
  private fingerprintState: { initial: string; current: string; atStep: number } | null = null;
  /** The adapter in the LoRA layers: a library name, 'unsaved' (trained here), or null (the base alone). */
  private active: { name: string | null; adapter: ParsedAdapter | null; fields: AdapterConfigFields | null } = { name: null, adapter: null, fields: null };
  private lastTraining: { steps: number; loss: number; valLoss?: number } | null = null;
  /** The one operation in progress besides training (library work, a step, a merge…): only its holder releases it. */
  private busy: { what: string } | null = null;
  /** Set the moment the device is lost, until the run is back on a new one: nothing may build meanwhile. */
  private recovering = false;
  /** Builds the current run again from what made it (after a lost device). */
  private rebuild: (() => Promise<Run>) | null = null;
  /** The error that stopped the last Train or Step (null: it ended normally or was paused). */
  private lastError: Error | null = null;
  private readonly checkpointEvery: number;
  /** The label of the current run (kept with its autosave). */
  private proposalLabel = '';
  /** The current run's last losses, kept with its autosave (see SavedCheckpoint.recent). */
  private recent: LossPoint[] = [];
  /** spectra() asked for while the loop trains: read between two windows, so they name one step exactly. */
  private spectraWaiting: { resolve: (s: Spectra) => void; reject: (err: unknown) => void }[] = [];

  constructor(private readonly options: SessionOptions) {
    this.checkpointEvery = options.checkpointEvery ?? CHECKPOINT_EVERY;
    this.device = new DeviceKeeper(options.acquireGpu, {
      status: (status) => {
        this.gpuStatus = status;
        this.emit({ type: 'gpu', status });
      },
      lost: () => {
        this.recovering = true;
        this.builtWith = null;
      },
      gaveUp: () => (this.recovering = false),
      recovered: (_gpu, loss) => this.recover(loss),
      uncaptured: (message) => {
        // The loop (or the Step) stops at its next window and restores the checkpoint.
        if (this.isActive() || this.busy?.what === STEPPING) this.uncaught.push(message);
        else this.notice('error', `The GPU reported an error: ${message}`, 'run');
      },
    });
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────

  on(listener: (e: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: SessionEvent): void {
    for (const l of this.listeners) l(e);
  }

  private notice(kind: 'error' | 'info', text: string, area: 'run' | 'library'): void {
    this.emit({ type: 'notice', kind, text, area });
  }

  private setStatus(status: RunStatus): void {
    this.status = status;
    this.emit({ type: 'status', status });
  }

  private isActive(): boolean {
    return this.status === 'running' || this.status === 'pausing';
  }

  // ── device ────────────────────────────────────────────────────────────────────────────────

  /** Acquires the device; resolves with what was found (a device, or why there is none). */
  async start(): Promise<GpuStatus> {
    await this.device.start();
    return this.gpuStatus;
  }

  private async gpu(): Promise<Gpu> {
    const gpu = await this.device.ready();
    if (!gpu) throw new Error('no GPU: this page could not get a WebGPU device (see the GPU panel)');
    return gpu;
  }

  /** Test and support hook: loses the device ('destroy', or a simulated browser 'reset'). */
  loseDevice(kind: 'destroy' | 'reset'): void {
    this.device.lose(kind);
  }

  /** Frees everything and destroys the device (Dawn keeps Node alive while a device exists). */
  close(): void {
    for (const w of this.spectraWaiting.splice(0)) w.reject(new Error('the session was closed'));
    this.dropModels();
    this.device.close();
  }

  /** Live GPU bytes by kind, from the allocation registry. */
  memory(): MemoryBreakdown | null {
    const gpu = this.device.current();
    return gpu ? memoryBreakdown(liveAllocations(gpu)) : null;
  }

  private emitMemory(): void {
    const memory = this.memory();
    if (memory) this.emit({ type: 'memory', memory });
  }

  // ── base model and text ───────────────────────────────────────────────────────────────────

  get baseConfig(): LlamaConfig {
    return this.base?.config ?? TINY_BASE_CONFIG;
  }

  private loaded(): { base: BaseSummary | null; text: TextSummary | null } {
    const b = this.base;
    return {
      base: b && { name: b.name, config: b.config, parameters: parameterCount(b), dtypes: b.dtypes, packed: storesHalves(b.weights), estimate: b.estimate },
      text: this.text && { name: this.text.name, tokens: this.text.tokens.length },
    };
  }

  /** Reads a model folder (config, safetensors, tokenizer) into memory; the GPU copy is made by the next run. */
  async loadModel(name: string, read: OpenFile): Promise<BaseSummary> {
    return (await this.libraryWork(`reading ${name}`, async () => {
      this.refuseIfUnsaved('load another model');
      const base = await readBase(name, read, (m) => this.progress(m));
      // Headers only so far: a model that cannot fit is refused here, the loaded one kept. (Without
      // a device there is nothing to check against; Train says so.)
      const gpu = await this.device.ready();
      if (gpu) checkRunFitsDevice(gpu, base.config, { batch: base.estimate.batch, seq: base.estimate.seq, mode: ESTIMATE_MODE, training: true, packedBase: storesHalves(base.weights) });
      this.clearRun(); // also forgets the last training record and the active adapter
      this.base = base;
      this.builtinBase = read === this.options.builtinModel.read;
      this.useBuiltinText();
      this.emitMemory();
      return this.loaded().base!;
    }, { throwErrors: true }))!;
  }

  loadBuiltinModel(): Promise<BaseSummary> {
    return this.loadModel(this.options.builtinModel.name, this.options.builtinModel.read);
  }

  private async ensureBase(): Promise<BaseModel> {
    if (!this.base || !this.text) {
      this.base = await readBase(this.options.builtinModel.name, this.options.builtinModel.read);
      this.builtinBase = true;
      this.useBuiltinText();
    }
    return this.base;
  }

  private useBuiltinText(): void {
    const text = corpusText('lines', 600, 1);
    this.useText(BUILTIN_TEXT_NAME, [text], true, { name: 'corpus-b-lines.txt', contents: text });
  }

  private useText(name: string, docs: string[], builtin = false, source?: { name: string; contents: string }): void {
    if (!this.base) throw new Error('load a model first: the text is tokenized with its tokenizer');
    this.text = { name, tokens: tokenizeDocuments(this.base.tokenizer, docs, this.base.config.vocab_size), builtin, source };
    this.builtWith = null; // the next Train trains on the new text
    this.emit({ type: 'base', ...this.loaded() });
  }

  /** Documents already read (the CLI's text file), tokenized with the loaded model's tokenizer. */
  async loadDocuments(name: string, documents: string[]): Promise<TextSummary> {
    await this.libraryWork(`tokenizing ${name}`, async () => this.useText(name, documents), { throwErrors: true });
    return this.loaded().text!;
  }

  /** A .txt or .jsonl file's contents, tokenized with the loaded model's tokenizer. */
  async loadText(name: string, contents: string): Promise<TextSummary> {
    await this.libraryWork(`reading ${name}`, async () => this.useText(name, parseTextFile(name, contents), false, { name, contents }), { throwErrors: true });
    return this.loaded().text!;
  }

  // ── the run: train, pause, step, reset ────────────────────────────────────────────────────

  /** What makes a run: everything but steps, learning rate and clipping (changing those continues it), plus the model and text. */
  private buildKey(s: PlaygroundSettings): string {
    // recompute applies to the language models only: toggling it does not rebuild a teacher run.
    return JSON.stringify([{ ...s, steps: 0, lr: 0, maxGradNorm: 0, recompute: s.task === 'tiny-lm' && s.recompute }, s.task === 'tiny-lm' ? [this.base?.name, this.text?.name, this.text?.tokens.length] : null]);
  }

  private async buildRun(s: PlaygroundSettings): Promise<Run> {
    const gpu = await this.gpu();
    this.dropModels();
    if (s.task === 'teacher') return createTeacherRun(gpu, s);
    const base = await this.ensureBase();
    return createLmRun(gpu, base, this.text!.tokens, s, { corpora: this.builtinBase && !!this.text?.builtin });
  }

  /** Makes `build` the current run (freeing the one before), reports it, and remembers how to build it again. */
  private async adoptRun(build: () => Promise<Run>, info: Omit<RunInfo, 'modules' | 'frozenNames' | 'step'>, label: string): Promise<Run> {
    await this.gpu();
    this.dropModels();
    this.run = await build();
    this.rebuild = build;
    this.checkpoint = null;
    this.recent = [];
    this.lastTraining = null;
    this.runUnsaved = false;
    this.runInfo = { ...info, modules: this.run.modules, frozenNames: this.run.frozenNames, step: 0, ...runExtras(this.run) };
    this.proposalLabel = label;
    const fp = await this.run.fingerprint();
    this.fingerprintState = { initial: fp, current: fp, atStep: 0 };
    this.emit({ type: 'run', run: this.runInfo });
    this.emit({ type: 'fingerprint', ...this.fingerprintState });
    this.emit({ type: 'merge', merged: false, report: null });
    this.emitMemory();
    await this.measureAccuracy(this.run); // step 0: the base before training
    return this.run;
  }

  /**
   * Exact-match accuracy on both corpora at the run's current step, for runs that measure it (the
   * page's tiny-lm run on the bundled base and the built-in text): at step 0 and at every
   * evaluation of the validation loss.
   */
  private async measureAccuracy(run: Run): Promise<void> {
    const info = this.runInfo;
    if (!run.accuracy || !info || run.merged) return;
    const step = run.completed;
    const accuracy = await run.accuracy();
    if (this.run === run) this.emit({ type: 'accuracy', runId: info.runId, point: { step, ...accuracy } });
  }

  /** Frees the run and the inference model (their GPU copies of the base). */
  private dropModels(): void {
    this.run?.destroy();
    this.run = null;
    this.inference?.model.destroy();
    this.inference = null;
    this.builtWith = null;
  }

  private async ensureRun(s: PlaygroundSettings, proposal: RunProposal): Promise<Run> {
    if (s.task === 'tiny-lm') await this.ensureBase();
    const key = this.buildKey(s);
    if (this.run && this.builtWith === key && this.runInfo) {
      this.run.adjust(trainerSettings(s)); // a lowered rate or clipping after a divergence continues the same run
      this.runInfo = { ...this.runInfo, settings: s };
      return this.run;
    }
    const errors = Object.values(settingsErrors(s, settingsContextFor(s, this.baseConfig)));
    if (errors.length) throw new Error(`fix the settings first: ${errors.join('; ')}`);
    if (this.busy) this.progress(s.task === 'tiny-lm' ? 'building the run: the base weights go to the GPU' : 'building the run');
    const run = await this.adoptRun(() => this.buildRun(s), { runId: proposal.runId, settings: s }, proposal.label);
    if (this.busy) this.progress(STEPPING);
    this.builtWith = key;
    this.setActive(s.task === 'tiny-lm' && !s.full ? 'unsaved' : null, null, null);
    return run;
  }

  /** Trains until the run's steps are done or Pause. A new run starts when the settings that make one changed. */
  async train(s: PlaygroundSettings, proposal: RunProposal): Promise<void> {
    if (this.refusedWhileBusy()) return;
    await this.trainLoop(() => this.ensureRun(s, proposal), s.steps);
  }

  private async trainLoop(ensure: () => Promise<Run>, steps: number): Promise<void> {
    this.setStatus('running');
    try {
      await this.guardedRun(ensure, async (run) => {
        while (this.status === 'running' && run.completed < steps) {
          // Windows end at checkpoints, so a checkpoint holds exactly the step it names.
          const untilCheckpoint = this.checkpointEvery > 0 ? this.checkpointEvery - (run.completed % this.checkpointEvery) : Infinity;
          await this.someSteps(run, Math.min(steps - run.completed, untilCheckpoint));
        }
      });
    } finally {
      // Whatever happened, the loop is over: never leave the session 'running'.
      const stopped = this.status;
      this.setStatus(stopped === 'pausing' || stopped === 'paused' ? 'paused' : 'idle');
      await this.serveSpectra(); // asked for after the last window
    }
  }

  /** One step of the current run (or of a new one); nothing else runs meanwhile. */
  async step(s: PlaygroundSettings, proposal: RunProposal): Promise<void> {
    if (this.refusedWhileBusy()) return;
    // Shown as progress, so the page holds its buttons until the engine lets go: after the step
    // itself come the checkpoint and the base's fingerprint (seconds at 135M parameters).
    const release = this.hold(STEPPING);
    this.progress(STEPPING);
    try {
      await this.guardedRun(() => this.ensureRun(s, proposal), (run) => this.someSteps(run, 1));
    } finally {
      release();
      this.progress(null);
      if (!this.recovering) this.setStatus(this.run ? 'paused' : 'idle');
    }
  }

  /** Takes the operation lock; the function returned releases it (and only it). */
  private hold(what: string): () => void {
    const token = { what };
    this.busy = token;
    return () => {
      if (this.busy === token) this.busy = null;
    };
  }

  /** Why nothing else may start now (null: it may). */
  private blocker(): string | null {
    if (this.recovering) return 'wait: the GPU device was lost and the run is being rebuilt on a new one';
    if (this.isActive()) return 'a run is training: pause it first';
    if (this.busy) return `wait for: ${this.busy.what}`;
    return null;
  }

  /**
   * A run built from a task's plain options (the CLI's teacher, tiny-lm and text tasks), trained
   * by the same loop, guards and checkpoints as the page's, until `steps` or Pause. Resolves with
   * the last metrics and the error that stopped it (NonFiniteError, GpuStepError, a refused
   * setting…), null when it ended normally or paused. The run stays for its exports.
   */
  async runTask(o: { runId: string; label: string; build: (gpu: Gpu) => Promise<TaskRun>; trainer: Partial<TrainerOptions> & { steps: number } }): Promise<{ last: StepMetrics | null; error: Error | null }> {
    if (this.refusedWhileBusy()) return { last: null, error: new Error('the session is busy') };
    let last: StepMetrics | null = null;
    const off = this.on((e) => {
      if (e.type === 'steps') last = e.metrics.at(-1) ?? last;
    });
    const started = this.device.generation;
    try {
      const ensure = async () => this.run ?? this.adoptRun(async () => runFromTask(await this.gpu(), o.build, o.trainer), { runId: o.runId, settings: null }, o.label);
      await this.trainLoop(ensure, o.trainer.steps);
      if (this.device.generation !== started && !this.lastError) this.lastError = new Error('the GPU device was lost during the run');
    } catch (err) {
      this.lastError = err as Error;
    } finally {
      off();
    }
    return { last, error: this.lastError };
  }

  /** A run is training or library work is in progress: say so, and repeat the status for the caller. */
  private refusedWhileBusy(): boolean {
    const blocked = this.blocker();
    if (!blocked) return false;
    if (!this.isActive()) this.notice('error', blocked, 'run');
    this.setStatus(this.status);
    return true;
  }

  /** The loop finishes the steps in flight, saves a checkpoint, then reports 'paused'. */
  pause(): void {
    if (this.status === 'running') this.setStatus('pausing');
  }

  reset(): void {
    const blocked = this.blocker();
    if (blocked) {
      // Refused: say so, and repeat what the page shows of the run, which it cleared in hope.
      this.notice('error', `Reset refused: ${blocked}`, 'run');
      this.emit({ type: 'run', run: this.runInfo });
      this.setStatus(this.status);
      return;
    }
    this.clearRun();
  }

  /** Forgets the run (its chart stays on the page): its GPU buffers, checkpoint, rebuild and records. */
  private clearRun(): void {
    this.dropModels();
    this.runInfo = null;
    this.checkpoint = null;
    this.rebuild = null;
    this.fingerprintState = null;
    this.lastTraining = null;
    this.runUnsaved = false;
    this.setActive(null, null, null);
    this.setStatus('idle');
    this.emit({ type: 'run', run: null });
    this.emit({ type: 'merge', merged: false, report: null });
    this.emitMemory();
  }

  /** True while the run has trained steps that are in no library: switching models would lose them. */
  private runUnsaved = false;

  private refuseIfUnsaved(action: string): void {
    if (!this.run || !this.runUnsaved || this.run.completed === 0) return;
    if (this.runInfo?.settings?.full) {
      throw new Error(`the current run is full fine-tuning (step ${this.run.completed}) and has no adapter to save: download its merged weights if you want them, then press Reset, before you ${action}`);
    }
    throw new Error(`the current run (step ${this.run.completed}) is not in the library: save it, or press Reset, before you ${action}`);
  }

  /**
   * Run work that must not overlap anything else (merge, exports, generation, resume): refused
   * with the reason while a run trains or other work is in progress. Reported as progress, so the
   * page holds its other buttons until the work lets go (src/ui/busy.ts).
   */
  private async exclusive<T>(what: string, work: () => Promise<T>): Promise<T> {
    const blocked = this.blocker();
    if (blocked) throw new Error(blocked);
    const release = this.hold(what);
    this.progress(what);
    try {
      return await work();
    } finally {
      release();
      this.progress(null);
    }
  }

  /** Up to `limit` steps (a window of at most 10: one readback), then checkpoint and fingerprint when due. */
  private async someSteps(run: Run, limit: number): Promise<void> {
    const metrics = await run.steps(limit);
    const last = metrics.at(-1)?.step ?? run.completed;
    if (this.uncaught.length) throw new UncaughtGpuError(`The GPU reported an error during the run (noticed after step ${last}): ${this.uncaught.join('; ')}`);
    this.reportSteps(metrics);
    if (metrics.at(-1)?.valLoss !== undefined) await this.measureAccuracy(run);
    if (this.checkpointEvery > 0 && metrics.some((m) => m.step % this.checkpointEvery === 0)) await this.saveCheckpoint(run);
    if (metrics.some((m) => m.step % FINGERPRINT_EVERY === 0)) await this.updateFingerprint(run);
    await this.serveSpectra();
  }

  /**
   * The spectra of the run's learned updates ΔW = s·B·A (every adapter's singular values,
   * effective rank, ‖ΔW‖/‖W‖; for the teacher also ΔW*, principal angles, heatmaps and the loss
   * floor): src/engine/spectra.ts. Read on request, not every step: while the loop trains it is
   * read after the window in flight (between two windows), otherwise at once; refused while other
   * work holds the session (a merge, an export, the library, a Step).
   */
  spectra(): Promise<Spectra> {
    if (this.isActive()) return new Promise((resolve, reject) => this.spectraWaiting.push({ resolve, reject }));
    const blocked = this.blocker();
    return blocked ? Promise.reject(new Error(blocked)) : this.readSpectra();
  }

  private async readSpectra(): Promise<Spectra> {
    const run = this.run;
    const info = this.runInfo;
    if (this.recovering) throw new Error('wait: the GPU device was lost and the run is being rebuilt on a new one');
    if (!run || !info) throw new Error('there is no run yet: press Train or Step first');
    const spectra = await run.spectra();
    if (this.run !== run) throw new Error('the run changed while its spectra were read: ask again');
    return { runId: info.runId, ...spectra };
  }

  /** Answers the spectra asked for during the window that just ended (or when the loop stops). */
  private async serveSpectra(): Promise<void> {
    const waiting = this.spectraWaiting.splice(0);
    if (!waiting.length) return;
    try {
      const spectra = await this.readSpectra();
      for (const w of waiting) w.resolve(spectra);
    } catch (err) {
      for (const w of waiting) w.reject(err);
    }
  }

  private reportSteps(metrics: StepMetrics[]): void {
    if (!metrics.length || !this.runInfo) return;
    const lastMetric = metrics[metrics.length - 1];
    this.runInfo = { ...this.runInfo, step: lastMetric.step };
    this.lastTraining = { steps: lastMetric.step, loss: lastMetric.loss, valLoss: [...metrics].reverse().find((m) => m.valLoss !== undefined)?.valLoss ?? this.lastTraining?.valLoss };
    this.runUnsaved = true;
    for (const m of metrics) this.recent.push({ step: m.step, loss: m.loss, ...(m.valLoss !== undefined ? { valLoss: m.valLoss } : {}) });
    if (this.recent.length > RECENT_POINTS) this.recent.splice(0, this.recent.length - RECENT_POINTS);
    this.emit({ type: 'steps', runId: this.runInfo.runId, metrics });
  }

  private async updateFingerprint(run: Run): Promise<void> {
    if (!this.fingerprintState) return;
    this.fingerprintState = { ...this.fingerprintState, current: await run.fingerprint(), atStep: run.completed };
    this.emit({ type: 'fingerprint', ...this.fingerprintState });
  }

  private async saveCheckpoint(run: Run): Promise<void> {
    const info = this.runInfo;
    if (!info || run.completed === 0 || this.checkpoint?.step === run.completed) return;
    this.checkpoint = { runId: info.runId, step: run.completed, tensors: await run.checkpoint() };
    this.emit({ type: 'checkpoint', runId: info.runId, step: run.completed });
    const store = this.options.checkpoints;
    if (!store) return;
    try {
      const lm = info.settings?.task === 'tiny-lm';
      await store.write({
        runId: info.runId, label: this.proposalLabel, settings: info.settings, step: run.completed, finished: info.settings ? run.completed >= info.settings.steps : false,
        tensors: this.checkpoint.tensors, recent: this.recent.filter((p) => p.step <= run.completed), base: lm ? this.base?.name ?? null : null, text: lm ? this.text?.name ?? null : null, data: lm ? this.dataKey() : null,
      });
    } catch (err) {
      this.notice('error', `autosave failed: ${(err as Error).message}; the run goes on, but a reload would lose its progress`, 'run');
    }
  }

  private async guardedRun(ensure: () => Promise<Run>, work: (run: Run) => Promise<void>): Promise<void> {
    const started = this.device.generation;
    this.uncaught = [];
    this.lastError = null;
    try {
      const run = await ensure();
      if (run.merged) throw new Error('the adapter is merged: unmerge before training');
      await work(run);
      await this.saveCheckpoint(run);
    } catch (err) {
      // A lost device fails the step in flight; the recovery reports it and restores.
      if (this.device.generation !== started) return;
      this.lastError = err as Error;
      if (err instanceof UncaughtGpuError) {
        this.notice('error', `${err.message}. ${this.restoreCheckpoint()}`, 'run');
        this.setStatus(this.run ? 'paused' : 'idle');
      } else {
        this.notice('error', (err as Error).message, 'run');
        if (err instanceof NonFiniteError || err instanceof GpuStepError) this.setStatus('paused');
      }
    } finally {
      if (this.device.generation === started && this.run) {
        if (this.busy) this.progress('checking that the base weights did not change');
        await this.updateFingerprint(this.run);
      }
      this.emitMemory();
    }
  }

  /** After a GPU error the adapter may hold a half-applied update: back to the last checkpoint. */
  private restoreCheckpoint(): string {
    const cp = this.checkpoint;
    const info = this.runInfo;
    if (!this.run || !cp || !info || cp.runId !== info.runId) {
      this.dropModels();
      return 'This run had no checkpoint yet: the next Train starts a new run (the chart keeps this one).';
    }
    this.run.restore(cp.tensors, cp.step);
    this.runInfo = { ...info, step: cp.step };
    this.emit({ type: 'rolled-back', runId: cp.runId, step: cp.step });
    return `The adapter was restored from its checkpoint at step ${cp.step}; press Train to continue.`;
  }

  /**
   * A new device after a loss: rebuild the run from the same settings (the base weights are
   * regenerated or re-uploaded from memory), write the last checkpoint back, and report the step
   * it returned to. The library's model gets its adapter back too. No run and no saved adapter is lost.
   */
  private async recover(loss: DeviceLoss): Promise<void> {
    // `recovering` was set when the device was lost: nothing else builds until the run is back.
    try {
      await this.rebuildAfterLoss(loss);
    } finally {
      this.recovering = false;
      this.emitMemory();
    }
  }

  private async rebuildAfterLoss(loss: DeviceLoss): Promise<void> {
    const lostAt = this.run?.completed ?? 0;
    const info = this.runInfo;
    const hadInference = this.inference;
    this.run = null; // their buffers died with the device
    this.inference = null;
    this.builtWith = null;
    this.setStatus('idle');
    if (hadInference && this.base) {
      try {
        await this.activateParsed(this.active.name, this.active.adapter, this.active.fields);
        this.notice('info', 'The GPU device was replaced: the base model and its active adapter are back on the new device.', 'library');
      } catch (err) {
        this.notice('error', `The GPU device was replaced and the library's model could not be rebuilt: ${(err as Error).message}`, 'library');
      }
    }
    if (!info) return;
    const cp = this.checkpoint;
    try {
      if (!this.rebuild) throw new Error('the run does not know how it was built');
      this.run = await this.rebuild();
      if (info.settings) this.builtWith = this.buildKey(info.settings);
      const restoredStep = cp && cp.runId === info.runId ? cp.step : 0;
      if (cp && restoredStep > 0) this.run.restore(cp.tensors, restoredStep);
      this.runInfo = { ...info, modules: this.run.modules, step: restoredStep };
      this.emit({ type: 'run', run: this.runInfo });
      this.emit({ type: 'rolled-back', runId: info.runId, step: restoredStep });
      const fp = await this.run.fingerprint();
      this.fingerprintState = { initial: this.fingerprintState?.initial ?? fp, current: fp, atStep: restoredStep };
      this.emit({ type: 'fingerprint', ...this.fingerprintState });
      this.emit({ type: 'merge', merged: false, report: null });
      this.setStatus(restoredStep > 0 ? 'paused' : 'idle');
      this.notice('error', `The GPU device was lost at step ${lostAt} (${loss.reason}: ${loss.message}). A new device was acquired and the adapter restored from step ${restoredStep}; press Train to resume.`, 'run');
    } catch (err) {
      this.notice('error', `The GPU device was lost (${loss.reason}) and the run could not be rebuilt: ${(err as Error).message}. Your runs are kept; press Reset and Train to start again.`, 'run');
    }
  }

  // ── autosave ──────────────────────────────────────────────────────────────────────────────

  /** The autosaved run that did not finish, if any (without its tensors). */
  async interruptedRun(): Promise<Omit<SavedCheckpoint, 'tensors'> | null> {
    const saved = await this.options.checkpoints?.read();
    if (!saved || saved.finished) return null;
    const { tensors: _tensors, ...rest } = saved;
    return rest;
  }

  /** Rebuilds the autosaved run `runId` with its settings and writes its adapter back at its step. */
  resumeInterruptedRun(runId: string): Promise<RunInfo> {
    return this.exclusive('resuming the autosaved run', () => this.resume(runId));
  }

  private async resume(runId: string): Promise<RunInfo> {
    const saved = await this.options.checkpoints?.read();
    if (!saved || saved.runId !== runId) throw new Error('the autosaved run is gone: another run has been saved since');
    const s = saved.settings;
    if (!s) throw new Error('the autosaved run was not made on this page: nothing to resume here');
    if (s.task === 'tiny-lm') {
      await this.ensureBase();
      // The run trained on a model and text of the user's: the same ones must be loaded again first.
      if (saved.data && saved.data !== this.dataKey()) {
        throw new Error(`the autosaved run trained ${saved.base} on ${saved.text}: load that model and text first (Model and text), then resume`);
      }
    }
    this.refuseIfUnsaved('resume another run');
    this.dropModels();
    // Built and restored aside; the session takes it only once all of it worked.
    const build = () => this.buildRun(s);
    const run = await build();
    try {
      run.restore(saved.tensors, saved.step);
    } catch (err) {
      run.destroy();
      throw err;
    }
    this.run = run;
    this.rebuild = build;
    this.builtWith = this.buildKey(s);
    this.runUnsaved = true;
    this.lastTraining = null;
    this.setActive(s.task === 'tiny-lm' && !s.full ? 'unsaved' : null, null, null);
    this.checkpoint = { runId: saved.runId, step: saved.step, tensors: saved.tensors };
    this.proposalLabel = saved.label;
    this.runInfo = { runId: saved.runId, settings: s, modules: run.modules, frozenNames: run.frozenNames, step: saved.step, ...runExtras(run) };
    const fp = await run.fingerprint();
    this.fingerprintState = { initial: fp, current: fp, atStep: saved.step };
    this.emit({ type: 'run', run: this.runInfo });
    this.recent = (saved.recent ?? []).filter((p) => p.step <= saved.step);
    this.emit({ type: 'rolled-back', runId: saved.runId, step: saved.step, recent: this.recent });
    this.emit({ type: 'fingerprint', ...this.fingerprintState });
    this.emit({ type: 'merge', merged: false, report: null });
    this.setStatus('paused');
    this.emitMemory();
    await this.measureAccuracy(run); // where the resumed run stands (the page's earlier points were not kept)
    return this.runInfo;
  }

  /** What a language-model run trained on, beyond names: the config, the size of the weights, the text's length. */
  private dataKey(): string {
    const b = this.base;
    return JSON.stringify([b?.name, b?.config, b ? parameterCount(b) : 0, this.text?.name, this.text?.tokens.length]);
  }

  async discardInterruptedRun(): Promise<void> {
    await this.options.checkpoints?.clear();
  }

  // ── merge, exports, generation ────────────────────────────────────────────────────────────

  private idleRun(): Run {
    if (this.isActive()) throw new Error('a run is training: pause it first');
    if (!this.run) throw new Error('there is no run yet: press Train or Step first');
    return this.run;
  }

  merge(): Promise<MergeReport> {
    return this.exclusive('merging on the GPU', async () => {
      const run = this.idleRun();
      const report = await run.merge();
      this.emit({ type: 'merge', merged: true, report });
      // Merging writes W + s·B·A into the base buffers: the fingerprint changes, and comes back on unmerge.
      await this.updateFingerprint(run);
      this.emitMemory();
      return report;
    });
  }

  unmerge(): Promise<void> {
    return this.exclusive('unmerging', async () => {
      const run = this.idleRun();
      run.unmerge();
      this.emit({ type: 'merge', merged: false, report: null });
      await this.updateFingerprint(run);
      this.emitMemory();
    });
  }

  /**
   * The run's adapter as a PEFT folder (adapter_config.json, adapter_model.safetensors); for a
   * language-model run of the page, with the script that resumes it with transformers + PEFT on a
   * cluster, its accelerate configs and the text (src/io/python-script.ts).
   */
  exportAdapter(): Promise<Files> {
    return this.exclusive('exporting the adapter', async () => {
      const files = await this.idleRun().adapterFiles();
      const s = this.runInfo?.settings;
      const config = files['adapter_config.json'];
      if (!s || s.task === 'teacher' || s.full || !this.base || !this.text?.source || typeof config !== 'string') return files;
      const training = { ...trainerSettings(s), batch: s.batch, seqLen: s.seq, seed: s.seed, evalEvery: PAGE_EVAL_EVERY };
      const schedule = training.schedule.kind;
      const warmup = training.schedule.kind === 'cosine' ? training.schedule.warmupSteps : 0;
      return { ...files, ...clusterFiles({ adapterConfigJson: config, baseModel: this.base.name, text: this.text.source, training: { ...training, schedule, warmup } }) };
    });
  }

  /** The run's adapter files between two windows of steps (for a CheckpointStore: the loop waits for it). */
  checkpointAdapterFiles(): Promise<Files> {
    if (!this.run) throw new Error('there is no run yet');
    return this.run.adapterFiles();
  }

  /**
   * The merged weights (base + adapter folded on the GPU, the base restored exactly afterwards),
   * in `dtype`; by default the base's own (a BF16 checkpoint exports BF16, as PEFT's
   * merge_and_unload in the base dtype saves it).
   */
  exportMerged(dtype?: Dtype): Promise<Files> {
    return this.exclusive('merging and exporting', async () => {
      const files = await this.idleRun().mergedFiles(dtype ?? (this.run?.model && this.base ? baseDtype(this.base) : 'F32'));
      if (this.run) await this.updateFingerprint(this.run);
      return files;
    });
  }

  generate(prompt: string, maxNew: number, temperature: number, seed: number): Promise<Generation> {
    return this.exclusive('generating', async () => {
      const run = this.idleRun();
      if (!run.generate) throw new Error('generation needs the language-model task');
      return run.generate(prompt, maxNew, temperature, seed);
    });
  }

  /** Task figures after training (a task run's summary: floor, accuracy, validation loss), or null. */
  async summary(): Promise<Record<string, unknown> | null> {
    return (await this.run?.summary?.()) ?? null;
  }

  // ── the adapter library ───────────────────────────────────────────────────────────────────

  private progress(text: string | null): void {
    if (this.busy !== null && text !== null) this.busy.what = text;
    this.emit({ type: 'progress', text });
  }

  /**
   * Library work, one at a time and never while a run trains: reports progress, turns failures
   * into a notice (or rethrows them with throwErrors), and never loses a saved adapter.
   */
  private async libraryWork<T>(what: string, work: () => Promise<T>, o: { throwErrors?: boolean } = {}): Promise<T | undefined> {
    const blocked = this.isActive() ? 'a training run is in progress: pause it first' : this.blocker();
    if (blocked) {
      if (o.throwErrors) throw new Error(blocked);
      this.notice('error', blocked, 'library');
      return undefined;
    }
    const release = this.hold(what);
    this.emit({ type: 'progress', text: what });
    try {
      return await work();
    } catch (err) {
      if (o.throwErrors) throw err;
      this.notice('error', (err as Error).message, 'library');
      return undefined;
    } finally {
      release();
      this.emit({ type: 'progress', text: null });
    }
  }

  private setActive(name: string | null, adapter: ParsedAdapter | null, fields: AdapterConfigFields | null): void {
    this.active = { name, adapter, fields };
    this.emit({ type: 'active-adapter', name });
  }

  async refreshLibrary(): Promise<StoredAdapterSummary[]> {
    const adapters = (await this.options.library.list()).map(summarizeStored);
    this.emit({ type: 'library', adapters });
    return adapters;
  }

  /** The language model the library works on: the run's, or a frozen one built for it. */
  private libraryModel(): LlamaModel | null {
    return this.run?.model ?? this.inference?.model ?? null;
  }

  /** Saves the current run's adapter (any run: teacher or language model) to the library. */
  saveAdapter(name: string, record: Partial<StoredAdapter['training']> & { base?: string } = {}, o: { throwErrors?: boolean } = {}): Promise<void> {
    return this.libraryWork('saving the adapter', async () => {
      checkAdapterName(name);
      let files: Files;
      let base: string;
      if (this.run) {
        files = await this.run.adapterFiles();
        base = this.run.model ? this.base?.name ?? '' : 'low-rank teacher (64×64 layer)';
      } else if (this.inference && this.active.fields) {
        files = adapterFolderFiles(await readAdapter(await this.gpu(), this.inference.model, this.active.fields));
        base = this.base?.name ?? '';
      } else {
        throw new Error('there is no adapter to save: train one first');
      }
      if (!files['adapter_config.json']) throw new Error('full fine-tuning has no adapter to save: export the merged weights instead');
      const task = this.runInfo?.settings?.task === 'teacher' ? 'low-rank teacher' : this.text?.name;
      const { base: baseOverride, ...training } = record;
      await this.store(name, files, baseOverride ?? base, { task, steps: this.lastTraining?.steps, final_loss: this.lastTraining?.loss, val_loss: this.lastTraining?.valLoss, ...training });
      this.active = { ...this.active, name };
      this.runUnsaved = false;
      this.emit({ type: 'active-adapter', name });
      this.notice('info', `saved ${name} to the library`, 'library');
    }, o) as Promise<void>;
  }

  private async store(name: string, files: Files, base: string, training: StoredAdapter['training']): Promise<void> {
    checkAdapterName(name);
    const configJson = files['adapter_config.json'];
    const safetensors = files['adapter_model.safetensors'];
    if (typeof configJson !== 'string' || !(safetensors instanceof Uint8Array)) throw new Error('the adapter files are incomplete: adapter_config.json and adapter_model.safetensors are needed');
    const { modules } = parseAdapter(configJson, safetensors); // never store what could not be loaded back
    await this.options.library.add({ name, base, created: new Date().toISOString(), configJson, safetensors, modules: modules.size, training });
    await this.refreshLibrary();
  }

  private async loadStored(name: string): Promise<ParsedAdapter> {
    const stored = await this.options.library.get(name);
    if (!stored) throw new Error(`the library has no adapter named ${name}`);
    return parseAdapter(stored.configJson, stored.safetensors);
  }

  /** Makes a library adapter active (null: the base alone), without reloading the base files. */
  activateAdapter(name: string | null): Promise<void> {
    return this.libraryWork(name ? `switching to ${name}` : 'switching to the base model', async () => {
      if (!this.base) throw new Error('load a model first');
      if (this.run?.merged) throw new Error('the adapter is merged into the base: unmerge first');
      this.refuseIfUnsaved(`switch to ${name ?? 'the base model'} (it would replace the run's adapter)`);
      const adapter = name ? await this.loadStored(name) : null;
      const fields = adapter && configFields(adapter);
      const { rebuilt } = await this.activateParsed(name, adapter, fields);
      this.notice('info', `${name ?? 'base model'} active (${rebuilt ? 'LoRA layers rebuilt for its layout' : 'written into the existing LoRA layers'}; the base weights were not reloaded)`, 'library');
    }) as Promise<void>;
  }

  private async activateParsed(name: string | null, adapter: ParsedAdapter | null, fields: AdapterConfigFields | null): Promise<{ rebuilt: boolean }> {
    const gpu = await this.gpu();
    const base = this.base!;
    let model = this.libraryModel();
    let rebuilt = false;
    const fits = model && (adapter ? layoutDifference(model, adapter) === null : true);
    if (!model || !fits) {
      const batch = model?.options.batch ?? 4;
      const seq = model?.options.seq ?? Math.min(32, base.config.max_position_embeddings);
      const mode = adapter ? adapterMode(adapter) : ({ kind: 'frozen' } as const);
      checkRunFitsDevice(gpu, base.config, { batch, seq, mode, training: false, packedBase: storesHalves(base.weights) });
      this.dropModels(); // one copy of the base on the GPU: the run goes (its chart stays)
      if (this.runInfo) {
        this.runInfo = null;
        this.fingerprintState = null;
        this.emit({ type: 'run', run: null });
        this.setStatus('idle');
      }
      model = await LlamaModel.create(gpu, base.config, base.weights, { batch, seq, mode });
      this.inference = { model, batch, seq };
      rebuilt = true;
    }
    if (adapter) writeAdapter(gpu, model, adapter);
    else clearAdapter(gpu, model);
    this.builtWith = null; // the next Train starts a fresh run from the base
    this.setActive(name, adapter, fields);
    this.emitMemory();
    return { rebuilt };
  }

  /**
   * The CLI's eval: the mean next-token loss of the loaded base, or of the base with `adapter`, over
   * every consecutive window of the loaded text, and on request the logits of the first window.
   * Builds a frozen model for it (after the memory check), in place of any other.
   */
  evaluateText(o: { adapter: ParsedAdapter | null; batch: number; seq: number; budgetBytes: number; firstLogits: boolean }): Promise<{ loss: number; predicted: number; logits: Float32Array | null; inputIds: Uint32Array }> {
    return this.exclusive('evaluating the text', async () => {
      if (!this.base || !this.text) throw new Error('load a model and a text first');
      this.refuseIfUnsaved('evaluate another model');
      const gpu = await this.gpu();
      const mode = o.adapter ? adapterMode(o.adapter) : ({ kind: 'frozen' } as const);
      checkRunFitsDevice(gpu, this.base.config, { batch: o.batch, seq: o.seq, mode, training: false, packedBase: storesHalves(this.base.weights) }, o.budgetBytes);
      this.dropModels();
      const model = await LlamaModel.create(gpu, this.base.config, this.base.weights, { batch: o.batch, seq: o.seq, mode });
      this.inference = { model, batch: o.batch, seq: o.seq };
      if (o.adapter) writeAdapter(gpu, model, o.adapter);
      this.setActive(o.adapter ? 'evaluated adapter' : null, o.adapter, o.adapter && configFields(o.adapter));
      model.setTraining(false);
      const batches = consecutiveBatches(this.text.tokens, o.batch, o.seq);
      const loss = await meanLoss(model, batches);
      const predicted = batches.reduce((n, b) => n + b.targets.filter((t) => t !== IGNORE_TARGET).length, 0);
      let logits: Float32Array | null = null;
      if (o.firstLogits) {
        model.setBatch(batches[0].ids, batches[0].targets);
        model.forward();
        logits = await model.logits(Array.from({ length: o.seq }, (_, t) => t)); // the first sequence: (seq, vocab)
      }
      this.emitMemory();
      return { loss, predicted, logits, inputIds: batches[0].ids.slice(0, o.seq) };
    });
  }

  /** Mean next-token loss (nats per token) of the active model over the loaded text. */
  evaluate(): Promise<{ adapter: string | null; loss: number; tokens: number } | undefined> {
    return this.libraryWork('evaluating', async () => {
      if (!this.base || !this.text) throw new Error('load a model and a text first');
      let model = this.libraryModel();
      if (!model) {
        this.refuseIfUnsaved('evaluate the language model (the teacher run would be freed)');
        await this.activateParsed(null, null, null);
        model = this.libraryModel()!;
      }
      const loss = await meanLoss(model, consecutiveBatches(this.text.tokens, model.options.batch, model.options.seq).slice(0, 64));
      return { adapter: this.active.name, loss, tokens: this.text.tokens.length };
    });
  }

  deleteAdapter(name: string): Promise<void> {
    return this.libraryWork(`deleting ${name}`, async () => {
      await this.options.library.delete(name);
      if (this.active.name === name) {
        this.setActive('unsaved', this.active.adapter, this.active.fields);
        if (this.run) this.runUnsaved = true; // the run's adapter is in no library any more
      }
      await this.refreshLibrary();
    }) as Promise<void>;
  }

  combine(a: string, b: string, how: CombinationType, weights: [number, number], name: string): Promise<void> {
    return this.libraryWork('combining adapters', async () => {
      const combined = combineAdapters([await this.loadStored(a), await this.loadStored(b)], weights, how);
      await this.store(name, adapterFolderFiles(combined), this.base?.name ?? '', { combined_from: [a, b], combination: how, weights });
    }) as Promise<void>;
  }

  /** PEFT files (a folder's two files, or a .zip of them) into the library. */
  importAdapter(read: OpenFile, name: string): Promise<void> {
    return this.libraryWork('importing the adapter', async () => {
      const whole = async (file: string) => {
        const f = await read(file);
        return f && readWhole(f);
      };
      const [config, tensors] = [await whole('adapter_config.json'), await whole('adapter_model.safetensors')];
      if (!config || !tensors) throw new Error('pick adapter_config.json and adapter_model.safetensors (or a .zip holding them)');
      const configJson = new TextDecoder().decode(config);
      // What could only be refused on Activate is refused here: modules and shapes against the loaded base.
      const mismatch = adapterModelMismatch(parseAdapter(configJson, tensors), this.base?.config ?? null, this.base?.name);
      if (mismatch) {
        const against = this.base ? `${this.base.name}, the base model the library works with` : 'a language model';
        throw new Error(`${name} was not imported: this adapter does not fit ${against}: ${mismatch}. Import an adapter trained on ${this.base?.name ?? 'the model you load'} (the same target modules and layer shapes)${this.base ? ', or load the model it was trained for first' : ''}. The library is unchanged.`);
      }
      await this.store(name, { 'adapter_config.json': configJson, 'adapter_model.safetensors': tensors }, this.base?.name ?? '', { task: 'import' });
    }) as Promise<void>;
  }

  async storedAdapterFiles(name: string): Promise<Files> {
    const stored = await this.options.library.get(name);
    if (!stored) throw new Error(`the library has no adapter named ${name}`);
    return { 'adapter_config.json': stored.configJson, 'adapter_model.safetensors': stored.safetensors };
  }

  /** The loaded base with the active adapter folded in (the base restored exactly afterwards), with the tokenizer. */
  async exportActiveMerged(): Promise<{ folder: string; files: Files } | undefined> {
    return this.libraryWork('merging on the GPU and exporting', async () => {
      if (!this.base) throw new Error('load a model first');
      const gpu = await this.gpu();
      const model = this.libraryModel();
      const files = this.run?.model
        ? await this.run.mergedFiles()
        : model
          ? await mergedCheckpointFiles(gpu, model, baseDtype(this.base), this.base.tokenizerFiles)
          : { ...llamaCheckpointFiles(this.base.config, await readAllFloat32(this.base.weights), baseDtype(this.base)), ...this.base.tokenizerFiles };
      if (this.run) await this.updateFingerprint(this.run);
      return { folder: `${this.base.name}-${this.active.name ?? 'base'}-merged`, files };
    });
  }
}

/** A model folder read into memory as the Session's base; it must have its tokenizer. */
/** The run a loaded model's estimate describes: LoRA r = 8 on q_proj and v_proj. */
const ESTIMATE_MODE: TrainingMode = { kind: 'lora', lora: { targetModules: ['q_proj', 'v_proj'], r: 8, loraAlpha: 16 } };

async function readBase(name: string, read: OpenFile, progress?: (message: string) => void): Promise<BaseModel> {
  const folder = await loadModelFolder(read, progress);
  if (!folder.tokenizer) throw new ConfigError(`${name} has no tokenizer.json: pick it together with config.json and the weights (text cannot be tokenized without the model's own tokenizer)`);
  const seq = Math.min(64, folder.config.max_position_embeddings);
  const options = { batch: 1, seq, mode: ESTIMATE_MODE, training: true } as const;
  const packed = estimateMemory(folder.config, { ...options, packedBase: storesHalves(folder.weights) });
  const estimate = { batch: 1, seq, total: packed.total, baseWeights: packed.parts['base weights'], f32Total: estimateMemory(folder.config, options).total };
  return { name, config: folder.config, weights: folder.weights, tokenizer: folder.tokenizer, tokenizerFiles: folder.tokenizerFiles, dtypes: folder.dtypes, estimate };
}

/** The dtype exports keep: the base's own (BF16 stays BF16), F32 for a mixed or F32 checkpoint. */
export function baseDtype(b: BaseModel): Dtype {
  return b.dtypes.length === 1 ? (b.dtypes[0] as Dtype) : 'F32';
}

/** What a run's RunInfo says beyond its modules: its loss floor and its accuracy plan, where it has them. */
function runExtras(run: Run): Pick<RunInfo, 'lossFloor' | 'accuracy'> {
  return { ...(run.lossFloor !== undefined ? { lossFloor: run.lossFloor } : {}), ...(run.accuracyPlan ? { accuracy: run.accuracyPlan } : {}) };
}

function parameterCount(b: BaseModel): number {
  return [...b.weights.tensors.values()].reduce((n, t) => n + t.shape.reduce((a, x) => a * x, 1), 0);
}

function configFields(a: ParsedAdapter): AdapterConfigFields {
  return {
    r: a.r, loraAlpha: a.loraAlpha, targetModules: a.targetModules, useRslora: a.useRslora, layersToTransform: a.layersToTransform,
    rankPattern: a.rankPattern, alphaPattern: a.alphaPattern, loraDropout: a.loraDropout, baseModelNameOrPath: a.baseModelNameOrPath,
  };
}

function summarizeStored(a: StoredAdapter): StoredAdapterSummary {
  const parsed = JSON.parse(a.configJson) as { r: number; lora_alpha: number; target_modules: string[] | string };
  return {
    name: a.name, base: a.base, created: a.created, training: a.training, r: parsed.r, alpha: parsed.lora_alpha, modules: a.modules,
    targets: Array.isArray(parsed.target_modules) ? parsed.target_modules.join(',') : parsed.target_modules,
  };
}
