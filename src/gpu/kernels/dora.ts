// DoRA's passes around a LoRA layer's output (shaders/dora.wgsl): the per-row norm of W + s·B·A
// and the factor g = m / n, the column scaling of the output (keeping Z for the backward), the
// backward (dm and dZ), and the merge / unmerge that fold g into W.
import { createUniformBuffer, isPacked, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { stridedWorkgroups } from './elementwise.ts';
import { expectNumel } from './matmul.ts';

export interface DoraSpec {
  label: string;
  weight: GpuTensor; // W (out, in), f32
  loraA: GpuTensor; // (r, in)
  loraB: GpuTensor; // (out, r)
  magnitude: GpuTensor; // m (out)
  norm: GpuTensor; // n (out), written by rowNorm
  factor: GpuTensor; // g (out), written by rowNorm
  outDim: number;
  inDim: number;
  rank: number;
  scale: number;
  /** N: rows of the output the column passes scale. */
  rows: number;
}

export interface DoraPasses {
  rowNorm: Dispatch;
  /** Y (N, out) ← Z ⊙ g, Z kept in `unscaled`. */
  scaleColumns(io: { output: GpuTensor; unscaled: GpuTensor }): Promise<Dispatch>;
  /** dm and dZ from dY. */
  backward(io: { gradOutput: GpuTensor; unscaled: GpuTensor; gradUnscaled: GpuTensor; gradMagnitude: GpuTensor }): Promise<Dispatch>;
  /** W ← g ⊙ (W + s·B·A); run rowNorm first. */
  merge: Dispatch;
  /** W ← W / g − s·B·A with the g of the merge. */
  unmerge: Dispatch;
}

export async function createDoraPasses(gpu: Gpu, spec: DoraSpec): Promise<DoraPasses> {
  const { outDim, inDim, rank, rows, label } = spec;
  if (isPacked(spec.weight)) throw new Error(`${label}: DoRA needs an f32 base weight; this one is stored packed (${spec.weight.format}). Load the model with an f32 base to use DoRA`);
  expectNumel(label, 'W', spec.weight, outDim * inDim);
  expectNumel(label, 'A', spec.loraA, rank * inDim);
  expectNumel(label, 'B', spec.loraB, outDim * rank);
  for (const [name, t] of [['m', spec.magnitude], ['norm', spec.norm], ['g', spec.factor]] as const) expectNumel(label, name, t, outDim);
  const uniforms = createUniformBuffer(gpu, `${label}.dora.params`, 32);
  const data = new ArrayBuffer(32);
  new Uint32Array(data, 0, 3).set([outDim, inDim, rank]);
  new Float32Array(data, 12, 1)[0] = spec.scale;
  new Uint32Array(data, 16, 1)[0] = rows;
  gpu.device.queue.writeBuffer(uniforms, 0, data);
  const perRow: [number] = [Math.ceil(outDim / 64)];
  const bind = (entries: Record<number, GpuTensor>) => {
    const list: (GPUBuffer | null)[] = Array(13).fill(null);
    list[0] = uniforms;
    for (const [i, t] of Object.entries(entries)) list[Number(i)] = t.buffer;
    return list;
  };
  const make = (entryPoint: string, name: string, bindings: (GPUBuffer | null)[], workgroups: [number], flops: number) =>
    createDispatch(gpu, { family: 'dora', entryPoint, label: `${label}.${name}`, bindings, workgroups, flops });
  const columns = (t: GpuTensor, what: string) => expectNumel(label, what, t, rows * outDim);
  const weightBindings = { 2: spec.loraA, 3: spec.loraB, 6: spec.factor, 12: spec.weight };
  return {
    rowNorm: await make('rowNorm', 'dora.norm', bind({ 1: spec.weight, 2: spec.loraA, 3: spec.loraB, 4: spec.magnitude, 5: spec.norm, 6: spec.factor }), perRow, 2 * outDim * inDim * (rank + 1)),
    async scaleColumns({ output, unscaled }) {
      columns(output, 'Y');
      columns(unscaled, 'Z');
      return make('scaleColumns', 'dora.scale', bind({ 6: spec.factor, 7: output, 8: unscaled }), [stridedWorkgroups(rows * outDim, 64)], rows * outDim);
    },
    async backward({ gradOutput, unscaled, gradUnscaled, gradMagnitude }) {
      columns(gradOutput, 'dY');
      columns(unscaled, 'Z');
      columns(gradUnscaled, 'dZ');
      expectNumel(label, 'dm', gradMagnitude, outDim);
      return make('backward', 'dora.backward', bind({ 5: spec.norm, 6: spec.factor, 8: unscaled, 9: gradOutput, 10: gradUnscaled, 11: gradMagnitude }), perRow, 3 * rows * outDim);
    },
    merge: await make('merge', 'dora.merge', bind(weightBindings), [stridedWorkgroups(outDim * inDim, 64)], 2 * outDim * inDim * (rank + 1)),
    unmerge: await make('unmerge', 'dora.unmerge', bind(weightBindings), [stridedWorkgroups(outDim * inDim, 64)], 2 * outDim * inDim * (rank + 1)),
  };
}
