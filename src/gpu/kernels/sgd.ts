// One plain-SGD update of a parameter from its gradient (shaders/sgd.wgsl). No optimizer state.
import { createUniformBuffer, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { stridedWorkgroups } from './elementwise.ts';
import type { SgdHyper } from '../../util/optimizer-hyper.ts';

export type { SgdHyper };

export interface SgdUpdate {
  dispatch: Dispatch;
  /** Writes the hyper-parameters for the next dispatch; the gradient scale comes from the guard. */
  prepare(hyper: SgdHyper): void;
  destroy(): void;
}

/** `guard` holds [badStep (u32), gradScale (f32)], as for AdamW (step-guard.ts). */
export async function createSgdUpdate(gpu: Gpu, param: GpuTensor, grad: GpuTensor, guard: GPUBuffer): Promise<SgdUpdate> {
  const uniforms = createUniformBuffer(gpu, `${param.label}.sgd.params`, 16);
  const dispatch = await createDispatch(gpu, {
    family: 'sgd',
    entryPoint: 'main',
    label: `${param.label}.sgd`,
    bindings: [uniforms, grad.buffer, param.buffer, guard],
    workgroups: [stridedWorkgroups(param.numel)],
  });
  return {
    dispatch,
    prepare(hyper) {
      const data = new ArrayBuffer(16);
      new Uint32Array(data, 0, 1)[0] = param.numel;
      new Float32Array(data, 4, 2).set([hyper.lr, hyper.weightDecay]);
      gpu.device.queue.writeBuffer(uniforms, 0, data);
    },
    destroy() {
      uniforms.destroy();
    },
  };
}
