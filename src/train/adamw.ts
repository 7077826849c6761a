// AdamW over a list of GPU parameters; each step is one submission of per-parameter updates.
// The gradient scale (clipping) and the skip of a non-finite step come from the guard buffer.
import type { GpuTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { ADAMW_DEFAULTS, createAdamWUpdate, type AdamWHyper, type AdamWUpdate } from '../gpu/kernels/adamw.ts';

export class AdamW {
  private t = 0;

  private constructor(
    private readonly gpu: Gpu,
    private readonly updates: AdamWUpdate[],
    /** Each parameter's factor on the learning rate (LoRA+), 1 for most. */
    private readonly lrScales: number[],
    readonly hyper: AdamWHyper,
  ) {}

  static async create(gpu: Gpu, params: { param: GpuTensor; grad: GpuTensor; lrScale?: number }[], guard: GPUBuffer, hyper: Partial<AdamWHyper> = {}): Promise<AdamW> {
    const updates = [];
    for (const { param, grad } of params) updates.push(await createAdamWUpdate(gpu, param, grad, guard));
    return new AdamW(gpu, updates, params.map((p) => p.lrScale ?? 1), { ...ADAMW_DEFAULTS, ...hyper });
  }

  /** Updates applied so far: t of the bias corrections 1 − βᵗ. */
  get stepCount(): number {
    return this.t;
  }

  /** After the guard skipped updates (or a restore), the count of those really applied. */
  set stepCount(t: number) {
    this.t = t;
  }

  /** One update of every parameter (skipped on the GPU if the guard says so). */
  step(lr = this.hyper.lr): void {
    this.t++;
    this.updates.forEach((u, i) => u.prepare(this.t, { ...this.hyper, lr: lr * this.lrScales[i] }));
    submitDispatches(this.gpu, `adamw.step${this.t}`, this.updates.map((u) => u.dispatch));
  }

  destroy(): void {
    for (const u of this.updates) u.destroy();
  }
}
