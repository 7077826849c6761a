// A linear layer's bias as its own dispatches (shaders/bias.wgsl): y += b after the matmul, and
// db = the column sums of dY in the backward. Qwen2's q/k/v projections use it.
import { createParams, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { stridedWorkgroups } from './elementwise.ts';
import { expectNumel } from './matmul.ts';

const WORKGROUP_SIZE = 256; // kWorkgroupSize in bias.wgsl

export interface BiasSpec {
  label: string;
  rows: number;
  cols: number;
}

/** y ← y + b, b broadcast over the rows of y. */
export async function createBiasAdd(gpu: Gpu, s: BiasSpec & { bias: GpuTensor; y: GpuTensor }): Promise<Dispatch> {
  expectNumel(s.label, 'bias', s.bias, s.cols);
  expectNumel(s.label, 'y', s.y, s.rows * s.cols);
  return createDispatch(gpu, {
    family: 'bias', entryPoint: 'add', label: s.label,
    bindings: [createParams(gpu, `${s.label}.params`, [['u32', s.rows], ['u32', s.cols]]), s.bias.buffer, s.y.buffer],
    workgroups: [stridedWorkgroups(s.rows * s.cols, WORKGROUP_SIZE)],
    flops: s.rows * s.cols,
  });
}

/** db ← Σ_rows dy (overwritten): the bias's gradient given dL/dY. */
export async function createBiasGrad(gpu: Gpu, s: BiasSpec & { dy: GpuTensor; dBias: GpuTensor }): Promise<Dispatch> {
  expectNumel(s.label, 'dy', s.dy, s.rows * s.cols);
  expectNumel(s.label, 'dBias', s.dBias, s.cols);
  return createDispatch(gpu, {
    family: 'bias', entryPoint: 'grad', label: s.label,
    bindings: [createParams(gpu, `${s.label}.params`, [['u32', s.rows], ['u32', s.cols]]), s.dy.buffer, s.dBias.buffer],
    workgroups: [Math.min(1024, Math.ceil(s.cols / WORKGROUP_SIZE))],
    flops: s.rows * s.cols,
  });
}
