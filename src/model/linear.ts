// A linear layer of the model in one of three modes:
//   frozen  Y = X·Wᵀ, dX = dY·W, no gradient for W (what LoRA leaves untargeted)
//   full    as frozen, plus dW = dYᵀ·X (full fine-tuning)
//   lora    a LoRALinear: frozen W plus trainable A, B
import { createTensor, isPacked, type GpuTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import { createMatmul } from '../gpu/kernels/matmul.ts';
import type { LoraInit } from '../lora/lora-init.ts';
import { gradInputOf, LoRALinear, type LoRALinearIO } from '../lora/lora-linear.ts';

export type LinearMode = 'frozen' | 'full' | 'lora';

export interface LoraSettings {
  rank: number;
  alpha: number;
  useRslora: boolean;
  seed: number;
  dropout?: number;
  /** PEFT's use_dora: a trainable magnitude per output row. */
  useDora?: boolean;
  /** PEFT's init_lora_weights: 'default', 'pissa' or 'olora'. */
  init?: LoraInit;
}

export interface TrainableParameter {
  name: string; // HF / PEFT name
  param: GpuTensor;
  grad: GpuTensor;
}

export interface ModelLinear {
  readonly path: string;
  readonly mode: LinearMode;
  /** The (out, in) weight; for lora, the frozen base. */
  readonly weight: GpuTensor;
  readonly gradWeight: GpuTensor | null;
  readonly lora: LoRALinear | null;
  forward: Dispatch[];
  backward: Dispatch[];
  trainable: TrainableParameter[];
}

export interface LinearSpec {
  path: string;
  inDim: number;
  outDim: number;
  tokens: number;
  /** W's values, or W already uploaded (a packed BF16/F16 frozen weight; never for 'full'). */
  weight: Float32Array | GpuTensor;
  io: LoRALinearIO;
  mode: LinearMode;
  lora?: LoraSettings;
  accumulateGradInput?: boolean;
  /** False when nothing upstream needs dL/dX (layer 0 when the embedding is frozen): no dX is computed. */
  needsGradInput?: boolean;
  /** A LoRA layer whose H and dA a shared-input group computes (LoRALinearConfig.sharedInput). */
  sharedInput?: boolean;
}

export async function createModelLinear(gpu: Gpu, s: LinearSpec): Promise<ModelLinear> {
  const { inDim, outDim, tokens, io } = s;
  if (s.mode === 'lora') {
    if (!s.lora) throw new Error(`${s.path}: lora mode needs rank and alpha`);
    const layer = await LoRALinear.create(
      gpu,
      { inFeatures: inDim, outFeatures: outDim, tokens, label: s.path, accumulateGradInput: s.accumulateGradInput, needsGradInput: s.needsGradInput ?? true, ...s.lora, sharedInput: s.sharedInput },
      s.weight,
      io,
    );
    // Encoded through the layer each time, so a merge (base matmul only) takes effect at once.
    const composite = (label: string, parts: () => Dispatch[]): Dispatch => ({
      label,
      get flops() {
        return parts().reduce((sum, d) => sum + d.flops, 0);
      },
      encode: (pass) => parts().forEach((d) => d.encode(pass)),
    });
    const forward = composite(`${s.path}.forward`, () => layer.forwardDispatches());
    const backward = composite(`${s.path}.backward`, () => layer.backwardDispatches());
    return {
      path: s.path, mode: 'lora', weight: layer.weight, gradWeight: null, lora: layer,
      forward: [forward],
      backward: [backward],
      trainable: [
        { name: `${s.path}.lora_A.weight`, param: layer.loraA, grad: layer.gradA },
        { name: `${s.path}.lora_B.weight`, param: layer.loraB, grad: layer.gradB },
        // PEFT's saved name for DoRA's magnitude has no '.weight' (LoraModel._get_adapter_state_dict).
        ...(layer.dora ? [{ name: `${s.path}.lora_magnitude_vector`, param: layer.dora.magnitude, grad: layer.dora.gradMagnitude }] : []),
      ],
    };
  }
  if (s.mode === 'full' && !(s.weight instanceof Float32Array) && isPacked(s.weight)) throw new Error(`${s.path}: a trained weight must be f32, not packed`);
  const weight = s.weight instanceof Float32Array ? await createTensor(gpu, `${s.path}.weight`, [outDim, inDim], s.weight) : s.weight;
  const gradWeight = s.mode === 'full' ? await createTensor(gpu, `${s.path}.weight.grad`, [outDim, inDim]) : null;
  const forward = [await createMatmul(gpu, { label: `${s.path}.Y=XWt`, c: io.output, a: io.input, b: weight, m: tokens, n: outDim, k: inDim, transB: true })];
  const backward = s.needsGradInput === false ? [] : [
    await createMatmul(gpu, { label: `${s.path}.dX=dYW`, c: gradInputOf(io, s.path), a: io.gradOutput, b: weight, m: tokens, n: inDim, k: outDim, beta: s.accumulateGradInput ? 1 : 0 }),
  ];
  if (gradWeight) {
    backward.push(await createMatmul(gpu, { label: `${s.path}.dW=dYtX`, c: gradWeight, a: io.gradOutput, b: io.input, m: outDim, n: inDim, k: tokens, transA: true }));
  }
  return {
    path: s.path, mode: s.mode, weight, gradWeight, lora: null, forward, backward,
    trainable: gradWeight ? [{ name: `${s.path}.weight`, param: weight, grad: gradWeight }] : [],
  };
}
