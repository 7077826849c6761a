// The optimizers a run can use. Each step is one submission of per-parameter updates.
import type { GpuTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { createSgdUpdate, type SgdUpdate } from '../gpu/kernels/sgd.ts';
import { AdamW } from './adamw.ts';

export const OPTIMIZERS = ['adamw', 'sgd'] as const;
export type OptimizerKind = (typeof OPTIMIZERS)[number];

export interface Optimizer {
  /** One update of every parameter; gradScale < 1 applies clipping by global norm. */
  step(gradScale: number, lr: number): void;
  destroy(): void;
}

export interface OptimizerHyper {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

type Parameters = { param: GpuTensor; grad: GpuTensor }[];

export async function createOptimizer(gpu: Gpu, kind: OptimizerKind, params: Parameters, hyper: OptimizerHyper): Promise<Optimizer> {
  return kind === 'sgd' ? Sgd.create(gpu, params, hyper.weightDecay) : AdamW.create(gpu, params, hyper);
}

/** Plain SGD (torch.optim.SGD, momentum 0): no state, so a step is as large as lr × the gradient. */
class Sgd implements Optimizer {
  private t = 0;

  private constructor(
    private readonly gpu: Gpu,
    private readonly updates: SgdUpdate[],
    private readonly weightDecay: number,
  ) {}

  static async create(gpu: Gpu, params: Parameters, weightDecay: number): Promise<Sgd> {
    const updates = [];
    for (const { param, grad } of params) updates.push(await createSgdUpdate(gpu, param, grad));
    return new Sgd(gpu, updates, weightDecay);
  }

  step(gradScale: number, lr: number): void {
    this.t++;
    for (const u of this.updates) u.prepare({ lr, weightDecay: this.weightDecay }, gradScale);
    submitDispatches(this.gpu, `sgd.step${this.t}`, this.updates.map((u) => u.dispatch));
  }

  destroy(): void {
    for (const u of this.updates) u.destroy();
  }
}
