// One AdamW update of a parameter from its gradient (shaders/adamw.wgsl).
import { createTensor, createUniformBuffer, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { stridedWorkgroups } from './elementwise.ts';

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export interface AdamWUpdate {
  dispatch: Dispatch;
  /** Writes the hyper-parameters for step t (1-based) and the gradient scale (clipping). */
  prepare(t: number, hyper: AdamWHyper, gradScale?: number): void;
  destroy(): void;
}

/** Allocates the two moment buffers (zeros) and the update of `param` from `grad`. */
export async function createAdamWUpdate(gpu: Gpu, param: GpuTensor, grad: GpuTensor): Promise<AdamWUpdate> {
  const moment1 = await createTensor(gpu, `${param.label}.adam.m`, param.shape);
  const moment2 = await createTensor(gpu, `${param.label}.adam.v`, param.shape);
  const uniforms = createUniformBuffer(gpu, `${param.label}.adam.params`, 36);
  const dispatch = await createDispatch(gpu, {
    family: 'adamw',
    entryPoint: 'main',
    label: `${param.label}.adamw`,
    bindings: [uniforms, grad.buffer, param.buffer, moment1.buffer, moment2.buffer],
    workgroups: [stridedWorkgroups(param.numel)],
  });
  return {
    dispatch,
    prepare(t, hyper, gradScale = 1) {
      const data = new ArrayBuffer(36);
      new Uint32Array(data, 0, 1)[0] = param.numel;
      new Float32Array(data, 4, 8).set([
        hyper.lr,
        hyper.beta1,
        hyper.beta2,
        hyper.eps,
        hyper.weightDecay,
        1 - hyper.beta1 ** t,
        1 - hyper.beta2 ** t,
        gradScale,
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
