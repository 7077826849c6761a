// AdamW over a list of GPU parameters; each step is one submission of per-parameter updates.
import type { GpuTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { ADAMW_DEFAULTS, createAdamWUpdate, type AdamWHyper, type AdamWUpdate } from '../gpu/kernels/adamw.ts';

export class AdamW {
  private t = 0;

  private constructor(
    private readonly gpu: Gpu,
    private readonly updates: AdamWUpdate[],
    readonly hyper: AdamWHyper,
  ) {}

  static async create(gpu: Gpu, params: { param: GpuTensor; grad: GpuTensor }[], hyper: Partial<AdamWHyper> = {}): Promise<AdamW> {
    const updates = [];
    for (const { param, grad } of params) updates.push(await createAdamWUpdate(gpu, param, grad));
    return new AdamW(gpu, updates, { ...ADAMW_DEFAULTS, ...hyper });
  }

  get stepCount(): number {
    return this.t;
  }

  /** One update of every parameter; gradScale < 1 applies clipping by global norm. */
  step(gradScale = 1, lr = this.hyper.lr): void {
    this.t++;
    const hyper = { ...this.hyper, lr };
    for (const u of this.updates) u.prepare(this.t, hyper, gradScale);
    submitDispatches(this.gpu, `adamw.step${this.t}`, this.updates.map((u) => u.dispatch));
  }

  destroy(): void {
    for (const u of this.updates) u.destroy();
  }
}
