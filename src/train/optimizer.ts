// The optimizers a run can use. Each step is one submission of per-parameter updates.
import type { GpuTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { createSgdUpdate, type SgdUpdate } from '../gpu/kernels/sgd.ts';
import { AdamW } from './adamw.ts';

import { OPTIMIZERS, type OptimizerKind } from '../util/optimizer-hyper.ts';

export { OPTIMIZERS, type OptimizerKind };

export interface Optimizer {
  /** One update of every parameter, scaled (clipping) or skipped as the guard buffer says. */
  step(lr: number): void;
  /** Updates applied so far (AdamW's bias corrections depend on it). */
  stepCount: number;
  destroy(): void;
}

export interface OptimizerHyper {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** `lrScale`: this tensor's learning rate is lrScale·lr (LoRA+ groups, src/train/loraplus.ts); 1 when absent. */
type Parameters = { param: GpuTensor; grad: GpuTensor; lrScale?: number }[];

/** `guard`: the step guard's header, [badStep (u32), gradScale (f32)] (gpu/kernels/step-guard.ts). */
export async function createOptimizer(gpu: Gpu, kind: OptimizerKind, params: Parameters, guard: GPUBuffer, hyper: OptimizerHyper): Promise<Optimizer> {
  return kind === 'sgd' ? Sgd.create(gpu, params, guard, hyper.weightDecay) : AdamW.create(gpu, params, guard, hyper);
}

/** Plain SGD (torch.optim.SGD, momentum 0): no state, so a step is as large as lr × the gradient. */
class Sgd implements Optimizer {
  stepCount = 0;

  private constructor(
    private readonly gpu: Gpu,
    private readonly updates: SgdUpdate[],
    private readonly lrScales: number[],
    private readonly weightDecay: number,
  ) {}

  static async create(gpu: Gpu, params: Parameters, guard: GPUBuffer, weightDecay: number): Promise<Sgd> {
    const updates = [];
    for (const { param, grad } of params) updates.push(await createSgdUpdate(gpu, param, grad, guard));
    return new Sgd(gpu, updates, params.map((p) => p.lrScale ?? 1), weightDecay);
  }

  step(lr: number): void {
    this.stepCount++;
    this.updates.forEach((u, i) => u.prepare({ lr: lr * this.lrScales[i], weightDecay: this.weightDecay }));
    submitDispatches(this.gpu, `sgd.step${this.stepCount}`, this.updates.map((u) => u.dispatch));
  }

  destroy(): void {
    for (const u of this.updates) u.destroy();
  }
}
