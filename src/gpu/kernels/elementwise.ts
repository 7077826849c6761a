// axpby: y ← a·x + b·y over n elements (shaders/elementwise.wgsl).
import { createUniformBuffer, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { expectNumel } from './matmul.ts';

/**
 * Values each invocation of a grid-strided kernel takes at least. Every workgroup has a fixed cost
 * (~5 µs on SwiftShader): over 32 k values, 128 workgroups of 256 took 1.0 ms and 4 took 0.5 ms;
 * from 1 M values on the count made no difference (Node/Dawn). A GPU still gets 32 k invocations
 * for 1 M values.
 */
const MIN_VALUES_PER_INVOCATION = 32;

/** Workgroups for a grid-strided kernel over n elements: enough to fill a GPU, capped. */
export function stridedWorkgroups(n: number, workgroupSize = 256, cap = 1024): number {
  return Math.max(1, Math.min(cap, Math.ceil(n / (workgroupSize * MIN_VALUES_PER_INVOCATION))));
}

export async function createAxpby(
  gpu: Gpu,
  spec: { label: string; x: GpuTensor; y: GpuTensor; n: number; a: number; b: number },
): Promise<Dispatch> {
  expectNumel(spec.label, 'x', spec.x, spec.n);
  expectNumel(spec.label, 'y', spec.y, spec.n);
  const uniforms = createUniformBuffer(gpu, `${spec.label}.params`, 12);
  const data = new ArrayBuffer(12);
  new Uint32Array(data, 0, 1)[0] = spec.n;
  new Float32Array(data, 4, 2).set([spec.a, spec.b]);
  gpu.device.queue.writeBuffer(uniforms, 0, data);
  return createDispatch(gpu, {
    family: 'elementwise',
    entryPoint: 'axpby',
    label: spec.label,
    bindings: [uniforms, spec.x.buffer, spec.y.buffer],
    workgroups: [stridedWorkgroups(spec.n)],
  });
}

export interface DropoutPass {
  dispatch: Dispatch;
  /** A new mask: call once per training step (forward and backward must share the seed). */
  setSeed(seed: number): void;
}

/** y ← [accumulate ? y : 0] + dropout_p(x), the mask a function of (index, seed). */
export async function createDropout(
  gpu: Gpu,
  spec: { label: string; x: GpuTensor; y: GpuTensor; n: number; p: number; accumulate: boolean },
): Promise<DropoutPass> {
  if (!(spec.p >= 0 && spec.p < 1)) throw new RangeError(`dropout must be in [0, 1), got ${spec.p}`);
  expectNumel(spec.label, 'x', spec.x, spec.n);
  expectNumel(spec.label, 'y', spec.y, spec.n);
  const uniforms = createUniformBuffer(gpu, `${spec.label}.params`, 20);
  const data = new ArrayBuffer(20);
  const view = new DataView(data);
  view.setUint32(0, spec.n, true);
  view.setUint32(8, Math.min(0xffffffff, Math.round(spec.p * 2 ** 32)), true);
  view.setFloat32(12, 1 / (1 - spec.p), true);
  view.setUint32(16, spec.accumulate ? 1 : 0, true);
  const setSeed = (seed: number) => {
    view.setUint32(4, seed >>> 0, true);
    gpu.device.queue.writeBuffer(uniforms, 0, data);
  };
  setSeed(0);
  const dispatch = await createDispatch(gpu, {
    family: 'elementwise',
    entryPoint: 'dropout',
    label: spec.label,
    bindings: [uniforms, spec.x.buffer, spec.y.buffer],
    workgroups: [stridedWorkgroups(spec.n)],
  });
  return { dispatch, setSeed };
}
