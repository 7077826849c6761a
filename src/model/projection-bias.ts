// The bias of a linear layer that has one (Qwen2's q/k/v projections), as dispatches apart from
// the linear layer's own: Y += b after its forward, and in full fine-tuning db = Σ_tokens dY
// beside its backward (Y = X·Wᵀ + b, so dL/db is the column sums of dL/dY). Under LoRA the bias
// belongs to the frozen base, as in PEFT (bias: "none"): no gradient, not exported in adapters.
import { createTensor, type GpuTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import { createBiasAdd, createBiasGrad } from '../gpu/kernels/bias.ts';
import type { TrainableParameter } from './linear.ts';

export interface ProjectionBiasSpec {
  path: string; // the linear layer's module path; the bias is `${path}.bias`
  tokens: number;
  outDim: number;
  values: Float32Array; // (out)
  output: GpuTensor; // (tokens, out): the linear layer's Y
  gradOutput: GpuTensor; // (tokens, out): dL/dY, read by the backward
  trainable: boolean;
}

export interface ProjectionBias {
  bias: GpuTensor; // (out)
  forward: Dispatch[];
  backward: Dispatch[];
  trainable: TrainableParameter[];
}

export async function createProjectionBias(gpu: Gpu, s: ProjectionBiasSpec): Promise<ProjectionBias> {
  const name = `${s.path}.bias`;
  const shape = { rows: s.tokens, cols: s.outDim };
  const bias = await createTensor(gpu, name, [s.outDim], s.values);
  const forward = [await createBiasAdd(gpu, { label: `${s.path}.Y+=b`, ...shape, bias, y: s.output })];
  if (!s.trainable) return { bias, forward, backward: [], trainable: [] };
  const grad = await createTensor(gpu, `${name}.grad`, [s.outDim]);
  const backward = [await createBiasGrad(gpu, { label: `${s.path}.db=sum(dY)`, ...shape, dy: s.gradOutput, dBias: grad })];
  return { bias, forward, backward, trainable: [{ name, param: bias, grad }] };
}
