// Sum of squares ‖x‖² into one slot of an output buffer (shaders/reduce.wgsl), two dispatches.
import { createTensor, createUniformBuffer, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { stridedWorkgroups } from './elementwise.ts';
import { expectNumel } from './matmul.ts';

export interface SumSquares {
  dispatches: Dispatch[];
  destroy(): void;
}

/** Writes Σ x[i]² (i < n) to out[outIndex]; with square = false, the plain sum Σ x[i]. */
export async function createSumSquares(
  gpu: Gpu,
  spec: { label: string; x: GpuTensor; n: number; out: GpuTensor; outIndex: number; square?: boolean },
): Promise<SumSquares> {
  expectNumel(spec.label, 'x', spec.x, spec.n);
  expectNumel(spec.label, 'out', spec.out, spec.outIndex + 1);
  const groups = stridedWorkgroups(spec.n, 256, 256);
  const partials = await createTensor(gpu, `${spec.label}.partials`, [groups]);
  const params = (n: number, outIndex: number, label: string) => {
    const buffer = createUniformBuffer(gpu, label, 8);
    gpu.device.queue.writeBuffer(buffer, 0, new Uint32Array([n, outIndex]));
    return buffer;
  };
  const uniformsPartial = params(spec.n, 0, `${spec.label}.params`);
  const uniformsFinal = params(groups, spec.outIndex, `${spec.label}.final.params`);
  const partial = await createDispatch(gpu, {
    family: 'reduce',
    entryPoint: 'sumSquaresPartial',
    label: `${spec.label}.partial`,
    constants: { kSquare: spec.square ?? true },
    bindings: [uniformsPartial, spec.x.buffer, partials.buffer],
    workgroups: [groups],
  });
  const final = await createDispatch(gpu, {
    family: 'reduce',
    entryPoint: 'sumPartials',
    label: `${spec.label}.final`,
    bindings: [uniformsFinal, partials.buffer, spec.out.buffer],
    workgroups: [1],
  });
  return {
    dispatches: [partial, final],
    destroy() {
      partials.buffer.destroy();
      uniformsPartial.destroy();
      uniformsFinal.destroy();
    },
  };
}
