// merge / unmerge: W ← W ± s · B · A in place (shaders/merge.wgsl).
import { createUniformBuffer, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { expectNumel } from './matmul.ts';

export interface MergeSpec {
  label: string;
  weight: GpuTensor; // (out, in), updated in place
  loraA: GpuTensor; // (r, in)
  loraB: GpuTensor; // (out, r)
  outDim: number;
  inDim: number;
  rank: number;
  /** +s merges, −s unmerges. */
  scale: number;
}

export async function createMerge(gpu: Gpu, spec: MergeSpec): Promise<Dispatch> {
  const { outDim, inDim, rank } = spec;
  expectNumel(spec.label, 'W', spec.weight, outDim * inDim);
  expectNumel(spec.label, 'A', spec.loraA, rank * inDim);
  expectNumel(spec.label, 'B', spec.loraB, outDim * rank);
  const uniforms = createUniformBuffer(gpu, `${spec.label}.params`, 16);
  const data = new ArrayBuffer(16);
  new Uint32Array(data, 0, 3).set([outDim, inDim, rank]);
  new Float32Array(data, 12, 1)[0] = spec.scale;
  gpu.device.queue.writeBuffer(uniforms, 0, data);
  return createDispatch(gpu, {
    family: 'merge',
    entryPoint: 'main',
    label: spec.label,
    constants: { kWgX: 16, kWgY: 16 },
    bindings: [uniforms, spec.loraB.buffer, spec.loraA.buffer, spec.weight.buffer],
    workgroups: [Math.ceil(inDim / 16), Math.ceil(outDim / 16)],
  });
}
