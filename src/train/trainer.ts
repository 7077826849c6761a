// The training loop. A step = next batch, forward + backward, gradient norms, the step guard, an
// optimizer update — all queued on the GPU without waiting. Metrics are read back once per window
// of steps (`metricsEvery`, and at evaluations and the last step), not after every step.
//
// Non-finite losses or gradients are caught on the GPU: the step guard (shaders/step_guard.wgsl)
// records the first such step and makes every update after it a no-op, and keep_finite.wgsl keeps
// the parameters of the last step whose loss and gradients were finite. The host reads that at the
// window's end, reports the finite steps, restores those parameters, and the next call throws a
// NonFiniteError. Device errors (validation, out of
// memory) in a window restore the parameters copied at its start and throw a GpuStepError.
import { copyTensors, createTensor, type GpuTensor } from '../gpu/buffers.ts';
import { openErrorScopes, type Gpu } from '../gpu/device.ts';
import { submitDispatches, type Dispatch } from '../gpu/dispatch.ts';
import { createSumSquares, type SumSquares } from '../gpu/kernels/reduce.ts';
import { createKeepFinite, createStepGuard, type GuardReading, type StepGuard } from '../gpu/kernels/step-guard.ts';
import type { TrainableParameter } from '../model/linear.ts';
import { loraplusLrScale } from './loraplus.ts';
import { createOptimizer, type Optimizer, type OptimizerKind } from './optimizer.ts';
import { learningRateAt, type Schedule } from './schedule.ts';

/** What a trainer trains: a model plus its data. */
export interface TrainingTarget {
  trainable: TrainableParameter[];
  /** Frozen tensors (by name) whose gradient is null: reported as such in every step. */
  frozenNames: string[];
  tokensPerStep: number;
  /** Writes the training batch for `step`. */
  nextBatch(step: number): void;
  forwardBackward(): void;
  /** (1) where forwardBackward leaves the loss before its scale; the guard reads it on the GPU. */
  lossSum: GpuTensor;
  /** The factor from lossSum to the mean loss of the batch written last (e.g. 1 / valid rows). */
  lossScale(): number;
  /** Mean loss on held-out data (no parameter changes). */
  validationLoss?(): Promise<number>;
}

export interface TrainerOptions {
  steps: number;
  optimizer: OptimizerKind;
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Clip the global gradient norm to this; null disables clipping. */
  maxGradNorm: number | null;
  schedule: Schedule;
  /** Validation loss every K steps (and at the last); 0 disables. */
  evalEvery: number;
  /** Steps queued before their metrics are read back (one readback per window). */
  metricsEvery: number;
  /** LoRA+: B (and 1-D parameters) learn at λ·lr (src/train/loraplus.ts); null: one learning rate. */
  loraplusLrRatio: number | null;
}

export const TRAINER_DEFAULTS: TrainerOptions = {
  steps: 100, optimizer: 'adamw', lr: 1e-3, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1, schedule: { kind: 'constant' }, evalEvery: 0, metricsEvery: 10, loraplusLrRatio: null,
};

export interface StepMetrics {
  step: number; // 1-based: the number of updates applied after this step
  loss: number;
  lr: number;
  gradNorm: number; // global, before clipping
  gradNorms: Record<string, number>;
  /** Every frozen tensor's gradient: null, because none exists. */
  baseGradients: Record<string, null>;
  tokensPerSecond: number;
  valLoss?: number;
}

export class NonFiniteError extends Error {
  constructor(readonly step: number, readonly cause: string) {
    super(`training stopped at step ${step}: ${cause}. The parameters were rolled back to their last finite state; lower the learning rate and continue.`);
    this.name = 'NonFiniteError';
  }
}

/** The GPU rejected a step's work (validation, out of memory); the parameters were restored. */
export class GpuStepError extends Error {
  constructor(readonly step: number, readonly detail: string) {
    super(`step ${step} failed on the GPU: ${detail}. No update was applied: the parameters are as after step ${step - 1}.`);
    this.name = 'GpuStepError';
  }
}

export class Trainer {
  private completed = 0;
  /** A non-finite step found at the end of a window, thrown by the next call. */
  private stopped: NonFiniteError | null = null;

  private constructor(
    private readonly gpu: Gpu,
    private readonly target: TrainingTarget,
    public options: TrainerOptions,
    private readonly optimizer: Optimizer,
    private readonly norms: { out: GpuTensor; passes: SumSquares[] },
    private readonly guard: StepGuard,
    /** Parameters at the start of the window (restored after a device error). */
    private readonly windowStart: GpuTensor[],
    /** Parameters of the last finite step, and the dispatches that keep them (restored after a divergence). */
    private readonly lastFinite: { tensors: GpuTensor[]; keep: { dispatch: Dispatch; destroy(): void }[] },
  ) {}

  static async create(gpu: Gpu, target: TrainingTarget, options: Partial<TrainerOptions> = {}): Promise<Trainer> {
    const o = { ...TRAINER_DEFAULTS, ...options };
    if (!(o.lr > 0) || !Number.isFinite(o.lr)) throw new RangeError(`learning rate must be a positive number, got ${o.lr}`);
    if (!(o.metricsEvery >= 1) || !Number.isInteger(o.metricsEvery)) throw new RangeError(`metricsEvery must be a whole number ≥ 1, got ${o.metricsEvery}`);
    const nParams = Math.max(1, target.trainable.length);
    const out = await createTensor(gpu, 'trainer.gradNorms', [nParams]);
    const passes: SumSquares[] = [];
    for (const [i, p] of target.trainable.entries()) {
      passes.push(await createSumSquares(gpu, { label: `${p.name}.gradNorm`, x: p.grad, n: p.grad.numel, out, outIndex: i }));
    }
    const guard = await createStepGuard(gpu, { squares: out, loss: target.lossSum, nParams, window: o.metricsEvery });
    const params = target.trainable.map((p) => ({ ...p, lrScale: loraplusLrScale(p, o.loraplusLrRatio) }));
    const optimizer = await createOptimizer(gpu, o.optimizer, params, guard.metrics.buffer, { lr: o.lr, weightDecay: o.weightDecay, beta1: o.beta1, beta2: o.beta2, eps: o.eps });
    const windowStart: GpuTensor[] = [];
    const lastFinite: GpuTensor[] = [];
    const keep = [];
    for (const p of target.trainable) {
      windowStart.push(await createTensor(gpu, `${p.name}.windowStart`, [...p.param.shape]));
      lastFinite.push(await createTensor(gpu, `${p.name}.lastFinite`, [...p.param.shape]));
      keep.push(await createKeepFinite(gpu, { guard: guard.metrics.buffer, param: p.param, lastFinite: lastFinite.at(-1)! }));
    }
    return new Trainer(gpu, target, o, optimizer, { out, passes }, guard, windowStart, { tensors: lastFinite, keep });
  }

  get step(): number {
    return this.completed;
  }

  /**
   * Continues counting from `step` (after restoring the parameters of a checkpoint on a new
   * device). Adam's moments start again from zero: they are not part of the checkpoint.
   */
  resumeAt(step: number): void {
    this.completed = step;
    this.optimizer.stepCount = step;
    this.stopped = null;
  }

  /** A new peak learning rate and clipping from the next step on (e.g. after a divergence). */
  adjust({ lr, maxGradNorm }: Pick<TrainerOptions, 'lr' | 'maxGradNorm'>): void {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`learning rate must be a positive number, got ${lr}`);
    if (maxGradNorm !== null && !(maxGradNorm > 0)) throw new RangeError(`max grad norm must be positive or null (no clipping), got ${maxGradNorm}`);
    this.options = { ...this.options, lr, maxGradNorm };
    this.stopped = null; // the user saw the divergence and chose how to go on
  }

  /** One step and its metrics (a window of one: one readback). */
  async trainStep(): Promise<StepMetrics> {
    const [m] = await this.trainSteps(1);
    return m;
  }

  /**
   * Queues up to `limit` steps — stopping at the end of the metrics window, an evaluation or the
   * last step — then reads their metrics back at once. Throws NonFiniteError for a step that
   * diverged (after returning the finite steps before it), GpuStepError if the device rejected
   * the window's work.
   */
  async trainSteps(limit = Infinity): Promise<StepMetrics[]> {
    if (this.stopped) throw this.stopped;
    const first = this.completed;
    const count = this.windowLength(first, limit);
    const started = performance.now();
    const optimizerStepsBefore = this.optimizer.stepCount;
    copyTensors(this.gpu, 'trainer.windowStart', this.params(), this.windowStart);
    const scopes = openErrorScopes(this.gpu.device, `steps ${first + 1}–${first + count}`);
    const lrs: number[] = [];
    const lossScales: number[] = [];
    const normDispatches = [...this.norms.passes.flatMap((p) => p.dispatches), this.guard.dispatch, ...this.lastFinite.keep.map((k) => k.dispatch)];
    for (let i = 0; i < count; i++) {
      const t = first + i;
      this.target.nextBatch(t);
      lossScales.push(this.target.lossScale());
      this.target.forwardBackward();
      this.guard.prepare(t + 1, i, this.options.maxGradNorm);
      submitDispatches(this.gpu, 'trainer.norms', normDispatches);
      const lr = learningRateAt(this.options.schedule, this.options.lr, t, this.options.steps);
      lrs.push(lr);
      this.optimizer.step(lr);
    }
    const deviceError = scopes.close(); // closed before the readback: it is not part of the steps
    const [reading, error] = await Promise.all([this.guard.read(count), deviceError]);
    if (error) {
      // Adam's moments may hold part of the window's updates; the parameters do not.
      copyTensors(this.gpu, 'trainer.restore', this.windowStart, this.params());
      this.optimizer.stepCount = optimizerStepsBefore;
      this.guard.clearBadStep();
      throw new GpuStepError(first + 1, error.message);
    }
    const finite = reading.badStep ? reading.badStep - 1 - first : count;
    const metrics = Array.from({ length: finite }, (_, i) => this.metricsOf(reading, i, first + i + 1, lrs[i], lossScales[i]));
    this.completed += finite;
    this.optimizer.stepCount = optimizerStepsBefore + finite; // the guard skipped the rest
    if (reading.badStep) {
      // Back to the parameters step (badStep − 1) computed its finite loss from; at step 1 nothing was applied.
      if (reading.badStep > 1) copyTensors(this.gpu, 'trainer.lastFinite', this.lastFinite.tensors, this.params());
      this.guard.clearBadStep();
      this.stopped = new NonFiniteError(reading.badStep, this.causeOf(reading, finite, lossScales[finite]));
      if (finite === 0) throw this.stopped;
    } else if (this.evaluationDue()) {
      metrics[metrics.length - 1].valLoss = await this.target.validationLoss!();
    }
    const tokensPerSecond = (this.target.tokensPerStep * count) / ((performance.now() - started) / 1000);
    for (const m of metrics) m.tokensPerSecond = tokensPerSecond;
    return metrics;
  }

  /** Runs until `options.steps` are done, or until `shouldStop` says so (pause). */
  async run(onStep: (m: StepMetrics) => void, shouldStop: () => boolean = () => false): Promise<void> {
    while (this.completed < this.options.steps && !shouldStop()) for (const m of await this.trainSteps()) onStep(m);
  }

  private windowLength(first: number, limit: number): number {
    const { metricsEvery, evalEvery, steps } = this.options;
    let count = Math.min(limit, metricsEvery - (first % metricsEvery));
    if (first < steps) count = Math.min(count, steps - first);
    if (this.target.validationLoss && evalEvery > 0) count = Math.min(count, evalEvery - (first % evalEvery));
    return Math.max(1, Math.floor(count));
  }

  private evaluationDue(): boolean {
    const { evalEvery, steps } = this.options;
    return !!this.target.validationLoss && evalEvery > 0 && (this.completed % evalEvery === 0 || this.completed === steps);
  }

  private metricsOf(reading: GuardReading, slot: number, step: number, lr: number, lossScale: number): StepMetrics {
    const gradNorms: Record<string, number> = {};
    let total = 0;
    this.target.trainable.forEach((p, i) => {
      const square = reading.squares[slot][i];
      gradNorms[p.name] = Math.sqrt(square);
      total += square;
    });
    return {
      step,
      loss: reading.losses[slot] * lossScale,
      lr,
      gradNorm: Math.sqrt(total),
      gradNorms,
      baseGradients: Object.fromEntries(this.target.frozenNames.map((n) => [n, null])),
      tokensPerSecond: 0,
    };
  }

  private causeOf(reading: GuardReading, slot: number, lossScale: number): string {
    const loss = reading.losses[slot] * lossScale;
    if (!Number.isFinite(loss)) return `the loss is ${loss}`;
    const bad = this.target.trainable.find((_, i) => !Number.isFinite(reading.squares[slot][i]));
    return `a gradient is non-finite (${bad?.name ?? 'unknown'})`;
  }

  private params(): GpuTensor[] {
    return this.target.trainable.map((p) => p.param);
  }

  destroy(): void {
    this.optimizer.destroy();
    this.guard.destroy();
    for (const p of this.norms.passes) p.destroy();
    for (const s of [...this.windowStart, ...this.lastFinite.tensors]) s.buffer.destroy();
    for (const k of this.lastFinite.keep) k.destroy();
  }
}
