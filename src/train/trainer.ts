// The training loop: one step = next batch, forward + backward, metrics, checks, an optimizer step.
// It never applies an update computed from a non-finite loss or gradient, and on one it
// restores the last parameters that gave a finite loss, then throws a NonFiniteError.
import { createTensor, readTensor, type GpuTensor } from '../gpu/buffers.ts';
import { openErrorScopes, type Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { createSumSquares, type SumSquares } from '../gpu/kernels/reduce.ts';
import type { TrainableParameter } from '../model/linear.ts';
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
  loss(): Promise<number>;
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
}

export const TRAINER_DEFAULTS: TrainerOptions = {
  steps: 100, optimizer: 'adamw', lr: 1e-3, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm: 1, schedule: { kind: 'constant' }, evalEvery: 0,
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

/** The GPU rejected a step's forward or backward pass (validation, out of memory); no update was applied. */
export class GpuStepError extends Error {
  constructor(readonly step: number, readonly detail: string) {
    super(`step ${step} failed on the GPU: ${detail}. No update was applied: the parameters are as after step ${step - 1}.`);
    this.name = 'GpuStepError';
  }
}

export class Trainer {
  private completed = 0;

  private constructor(
    private readonly gpu: Gpu,
    private readonly target: TrainingTarget,
    public options: TrainerOptions,
    private readonly optimizer: Optimizer,
    private readonly norms: { out: GpuTensor; passes: SumSquares[] },
    private readonly snapshots: GpuTensor[],
  ) {}

  static async create(gpu: Gpu, target: TrainingTarget, options: Partial<TrainerOptions> = {}): Promise<Trainer> {
    const o = { ...TRAINER_DEFAULTS, ...options };
    if (!(o.lr > 0) || !Number.isFinite(o.lr)) throw new RangeError(`learning rate must be a positive number, got ${o.lr}`);
    const optimizer = await createOptimizer(gpu, o.optimizer, target.trainable, { lr: o.lr, weightDecay: o.weightDecay, beta1: o.beta1, beta2: o.beta2, eps: o.eps });
    const out = await createTensor(gpu, 'trainer.gradNorms', [Math.max(1, target.trainable.length)]);
    const passes: SumSquares[] = [];
    for (const [i, p] of target.trainable.entries()) {
      passes.push(await createSumSquares(gpu, { label: `${p.name}.gradNorm`, x: p.grad, n: p.grad.numel, out, outIndex: i }));
    }
    const snapshots: GpuTensor[] = [];
    for (const p of target.trainable) snapshots.push(await createTensor(gpu, `${p.name}.lastFinite`, [...p.param.shape]));
    return new Trainer(gpu, target, o, optimizer, { out, passes }, snapshots);
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
  }

  /** A new peak learning rate and clipping from the next step on (e.g. after a divergence). */
  adjust({ lr, maxGradNorm }: Pick<TrainerOptions, 'lr' | 'maxGradNorm'>): void {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`learning rate must be a positive number, got ${lr}`);
    if (maxGradNorm !== null && !(maxGradNorm > 0)) throw new RangeError(`max grad norm must be positive or null (no clipping), got ${maxGradNorm}`);
    this.options = { ...this.options, lr, maxGradNorm };
  }

  /** One training step; throws NonFiniteError (after rolling back) on a non-finite loss or gradient. */
  async trainStep(): Promise<StepMetrics> {
    const t = this.completed;
    const started = performance.now();
    const scopes = openErrorScopes(this.gpu.device, `step ${t + 1}'s forward and backward passes`);
    this.target.nextBatch(t);
    this.target.forwardBackward();
    submitDispatches(this.gpu, 'trainer.norms', this.norms.passes.flatMap((p) => p.dispatches));
    const deviceError = scopes.close(); // closed before the readbacks: they are not part of the step
    const [loss, squares, error] = await Promise.all([this.target.loss(), readTensor(this.gpu, this.norms.out), deviceError]);
    if (error) throw new GpuStepError(t + 1, error.message);
    const gradNorms: Record<string, number> = {};
    let total = 0;
    this.target.trainable.forEach((p, i) => {
      gradNorms[p.name] = Math.sqrt(squares[i]);
      total += squares[i];
    });
    const gradNorm = Math.sqrt(total);
    const bad = !Number.isFinite(loss) ? `the loss is ${loss}` : !Number.isFinite(gradNorm) ? `a gradient is non-finite (${this.firstBad(gradNorms)})` : null;
    if (bad) {
      if (t > 0) this.copy(this.snapshots, this.target.trainable.map((p) => p.param));
      throw new NonFiniteError(t + 1, bad);
    }
    this.copy(this.target.trainable.map((p) => p.param), this.snapshots);
    const lr = learningRateAt(this.options.schedule, this.options.lr, t, this.options.steps);
    const max = this.options.maxGradNorm;
    this.optimizer.step(max !== null && gradNorm > max ? max / gradNorm : 1, lr);
    this.completed++;
    const metrics: StepMetrics = {
      step: this.completed,
      loss,
      lr,
      gradNorm,
      gradNorms,
      baseGradients: Object.fromEntries(this.target.frozenNames.map((n) => [n, null])),
      tokensPerSecond: 0,
    };
    const { evalEvery, steps } = this.options;
    if (this.target.validationLoss && evalEvery > 0 && (this.completed % evalEvery === 0 || this.completed === steps)) {
      metrics.valLoss = await this.target.validationLoss();
    }
    metrics.tokensPerSecond = this.target.tokensPerStep / ((performance.now() - started) / 1000);
    return metrics;
  }

  /** Runs until `options.steps` are done, or until `shouldStop` says so (pause). */
  async run(onStep: (m: StepMetrics) => void, shouldStop: () => boolean = () => false): Promise<void> {
    while (this.completed < this.options.steps && !shouldStop()) onStep(await this.trainStep());
  }

  private firstBad(norms: Record<string, number>): string {
    return Object.entries(norms).find(([, v]) => !Number.isFinite(v))?.[0] ?? 'unknown';
  }

  private copy(from: GpuTensor[], to: GpuTensor[]): void {
    const encoder = this.gpu.device.createCommandEncoder({ label: 'trainer.snapshot' });
    from.forEach((f, i) => encoder.copyBufferToBuffer(f.buffer, 0, to[i].buffer, 0, f.numel * 4));
    this.gpu.device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.optimizer.destroy();
    for (const p of this.norms.passes) p.destroy();
    for (const s of this.snapshots) s.buffer.destroy();
  }
}
