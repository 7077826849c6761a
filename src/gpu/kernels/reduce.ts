// Sum of squares ‖x‖² into one slot of an output buffer (shaders/reduce.wgsl): one dispatch for
// a buffer of up to ELEMENTS_PER_WORKGROUP values, else partials and a second dispatch.
import { createTensor, createUniformBuffer, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { expectNumel } from './matmul.ts';

const WORKGROUP_SIZE = 64; // kWorkgroupSize in reduce.wgsl
/** Values one workgroup of the first pass reduces at least: 64 per invocation. */
export const ELEMENTS_PER_WORKGROUP = 64 * WORKGROUP_SIZE;
/** Workgroups of the first pass at most (larger buffers stride further). */
export const MAX_REDUCE_WORKGROUPS = 32;

export interface SumSquares {
  dispatches: Dispatch[];
  destroy(): void;
}

/** Workgroups of the first pass for n values: 1 up to ELEMENTS_PER_WORKGROUP, at most MAX_REDUCE_WORKGROUPS. */
export function reduceWorkgroups(n: number): number {
  return Math.max(1, Math.min(MAX_REDUCE_WORKGROUPS, Math.ceil(n / ELEMENTS_PER_WORKGROUP)));
}

/** Writes Σ x[i]² (i < n) to out[outIndex]; with square = false, the plain sum Σ x[i]. */
export async function createSumSquares(
  gpu: Gpu,
  spec: { label: string; x: GpuTensor; n: number; out: GpuTensor; outIndex: number; square?: boolean },
): Promise<SumSquares> {
  expectNumel(spec.label, 'x', spec.x, spec.n);
  expectNumel(spec.label, 'out', spec.out, spec.outIndex + 1);
  const groups = reduceWorkgroups(spec.n);
  const uniforms: GPUBuffer[] = [];
  const params = (n: number, outIndex: number, label: string) => {
    const buffer = createUniformBuffer(gpu, label, 8);
    gpu.device.queue.writeBuffer(buffer, 0, new Uint32Array([n, outIndex]));
    uniforms.push(buffer);
    return buffer;
  };
  const firstPass = (target: GpuTensor, outIndex: number) =>
    createDispatch(gpu, {
      family: 'reduce',
      entryPoint: 'sumSquaresPartial',
      label: `${spec.label}.partial`,
      constants: { kSquare: spec.square ?? true },
      bindings: [params(spec.n, outIndex, `${spec.label}.params`), spec.x.buffer, target.buffer],
      workgroups: [groups],
      flops: 2 * spec.n,
    });
  if (groups === 1) {
    // One workgroup: its partial is the sum, written straight to out[outIndex].
    const only = await firstPass(spec.out, spec.outIndex);
    return { dispatches: [only], destroy: () => uniforms.forEach((u) => u.destroy()) };
  }
  const partials = await createTensor(gpu, `${spec.label}.partials`, [groups]);
  const partial = await firstPass(partials, 0);
  const final = await createDispatch(gpu, {
    family: 'reduce',
    entryPoint: 'sumPartials',
    label: `${spec.label}.final`,
    bindings: [params(groups, spec.outIndex, `${spec.label}.final.params`), partials.buffer, spec.out.buffer],
    workgroups: [1],
  });
  return {
    dispatches: [partial, final],
    destroy() {
      partials.buffer.destroy();
      uniforms.forEach((u) => u.destroy());
    },
  };
}
