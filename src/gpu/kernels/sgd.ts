// One plain-SGD update of a parameter from its gradient (shaders/sgd.wgsl). No optimizer state.
import { createUniformBuffer, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { stridedWorkgroups } from './elementwise.ts';

export interface SgdHyper {
  lr: number;
  /** L2 penalty added to the gradient (torch.optim.SGD's weight_decay), not decoupled. */
  weightDecay: number;
}

export interface SgdUpdate {
  dispatch: Dispatch;
  /** Writes the hyper-parameters and the gradient scale (clipping) for the next dispatch. */
  prepare(hyper: SgdHyper, gradScale?: number): void;
  destroy(): void;
}

export async function createSgdUpdate(gpu: Gpu, param: GpuTensor, grad: GpuTensor): Promise<SgdUpdate> {
  const uniforms = createUniformBuffer(gpu, `${param.label}.sgd.params`, 16);
  const dispatch = await createDispatch(gpu, {
    family: 'sgd',
    entryPoint: 'main',
    label: `${param.label}.sgd`,
    bindings: [uniforms, grad.buffer, param.buffer],
    workgroups: [stridedWorkgroups(param.numel)],
  });
  return {
    dispatch,
    prepare(hyper, gradScale = 1) {
      const data = new ArrayBuffer(16);
      new Uint32Array(data, 0, 1)[0] = param.numel;
      new Float32Array(data, 4, 3).set([hyper.lr, hyper.weightDecay, gradScale]);
      gpu.device.queue.writeBuffer(uniforms, 0, data);
    },
    destroy() {
      uniforms.destroy();
    },
  };
}
