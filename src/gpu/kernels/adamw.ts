// One AdamW update of a parameter from its gradient (shaders/adamw.wgsl).
import { createTensor, createUniformBuffer, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { stridedWorkgroups } from './elementwise.ts';
import type { AdamWHyper } from '../../util/optimizer-hyper.ts';

export type { AdamWHyper };

export const ADAMW_DEFAULTS: AdamWHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export interface AdamWUpdate {
  dispatch: Dispatch;
  /** Writes the hyper-parameters for step t (1-based); the gradient scale comes from the guard. */
  prepare(t: number, hyper: AdamWHyper): void;
  destroy(): void;
}

/**
 * Allocates the two moment buffers (zeros) and the update of `param` from `grad`. `guard` holds
 * [badStep (u32), gradScale (f32)]: the step guard's header (step-guard.ts), or a fixed one.
 */
export async function createAdamWUpdate(gpu: Gpu, param: GpuTensor, grad: GpuTensor, guard: GPUBuffer): Promise<AdamWUpdate> {
  const moment1 = await createTensor(gpu, `${param.label}.adam.m`, param.shape);
  const moment2 = await createTensor(gpu, `${param.label}.adam.v`, param.shape);
  const uniforms = createUniformBuffer(gpu, `${param.label}.adam.params`, 32);
  const dispatch = await createDispatch(gpu, {
    family: 'adamw',
    entryPoint: 'main',
    label: `${param.label}.adamw`,
    bindings: [uniforms, grad.buffer, param.buffer, moment1.buffer, moment2.buffer, guard],
    workgroups: [stridedWorkgroups(param.numel)],
  });
  return {
    dispatch,
    prepare(t, hyper) {
      const data = new ArrayBuffer(32);
      new Uint32Array(data, 0, 1)[0] = param.numel;
      new Float32Array(data, 4, 7).set([
        hyper.lr,
        hyper.beta1,
        hyper.beta2,
        hyper.eps,
        hyper.weightDecay,
        1 - hyper.beta1 ** t,
        1 - hyper.beta2 ** t,
      ]);
      gpu.device.queue.writeBuffer(uniforms, 0, data);
    },
    destroy() {
      moment1.buffer.destroy();
      moment2.buffer.destroy();
      uniforms.destroy();
    },
  };
}
