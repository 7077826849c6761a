// merge / unmerge: W ← W ± s · B · A in place; fold: W' = W + s · B · A (shaders/merge.wgsl;
// a packed BF16/F16 W: shaders/merge_packed.wgsl, whose merge rounds to W's format).
import { createUniformBuffer, isPacked, type GpuTensor } from '../buffers.ts';
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
  return mergeDispatch(gpu, spec, 'main', [spec.weight.buffer, null, null]);
}

/**
 * W' = W + scale · B · A into `folded` (at least out·in values), W untouched: the unmerged
 * forward's folded path. Bit-identical to what `createMerge` leaves in W.
 */
export async function createFold(gpu: Gpu, spec: MergeSpec & { folded: GpuTensor }): Promise<Dispatch> {
  expectNumel(spec.label, "W'", spec.folded, spec.outDim * spec.inDim);
  return mergeDispatch(gpu, spec, 'fold', [null, spec.weight.buffer, spec.folded.buffer]);
}

/** `weightBindings`: bindings 3–5, W in place (main) or W and W' (fold). */
async function mergeDispatch(gpu: Gpu, spec: MergeSpec, entryPoint: 'main' | 'fold', weightBindings: (GPUBuffer | null)[]): Promise<Dispatch> {
  const { outDim, inDim, rank } = spec;
  expectNumel(spec.label, 'W', spec.weight, outDim * inDim);
  expectNumel(spec.label, 'A', spec.loraA, rank * inDim);
  expectNumel(spec.label, 'B', spec.loraB, outDim * rank);
  const uniforms = createUniformBuffer(gpu, `${spec.label}.params`, 16);
  const data = new ArrayBuffer(16);
  new Uint32Array(data, 0, 3).set([outDim, inDim, rank]);
  new Float32Array(data, 12, 1)[0] = spec.scale;
  gpu.device.queue.writeBuffer(uniforms, 0, data);
  if (isPacked(spec.weight)) {
    // One invocation per packed word, in rows of at most 1024 workgroups (the grid's x limit is 65535).
    const groups = Math.ceil(Math.ceil((outDim * inDim) / 2) / 64);
    const x = Math.min(groups, 1024);
    return createDispatch(gpu, {
      family: 'mergePacked',
      entryPoint,
      label: spec.label,
      constants: { kFormat: spec.weight.format === 'f16' ? 1 : 0 },
      bindings: [uniforms, spec.loraB.buffer, spec.loraA.buffer, ...weightBindings],
      workgroups: [x, Math.ceil(groups / x)],
      flops: 2 * outDim * inDim * rank,
    });
  }
  return createDispatch(gpu, {
    family: 'merge',
    entryPoint,
    label: spec.label,
    constants: { kWgX: 8, kWgY: 8 },
    bindings: [uniforms, spec.loraB.buffer, spec.loraA.buffer, ...weightBindings],
    workgroups: [Math.ceil(inDim / 32), Math.ceil(outDim / 32)], // 8×8 invocations of 4×4 values
    flops: 2 * outDim * inDim * rank,
  });
}
