// LoRALinear on the GPU: a frozen base weight W plus a trainable low-rank path B·A.
//   forward   H = X·Aᵀ ; Y = X·Wᵀ + s·H·Bᵀ
//   backward  dB = s·dYᵀ·H ; dH = s·dY·B ; dA = dHᵀ·X ; dX = dY·W + dH·A
// W never gets a gradient: `gradWeight` is null and no buffer for it is ever allocated.
// Every dispatch is built once here, then only encoded (see DESIGN.md §3).
import { createTensor, type GpuTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches, type Dispatch } from '../gpu/dispatch.ts';
import { createMatmul } from '../gpu/kernels/matmul.ts';
import { createMerge } from '../gpu/kernels/merge.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { kaimingUniformBound, loraParameterCount, loraScaling, validateLoRAShape } from './lora-math.ts';

export interface LoRALinearConfig {
  inFeatures: number;
  outFeatures: number;
  rank: number;
  alpha: number;
  useRslora?: boolean;
  /** Rows of X per forward pass (batch × sequence length). */
  tokens: number;
  /** Seed of A's Kaiming-uniform init. */
  seed?: number;
  label?: string;
  /** Add dX into gradInput instead of overwriting it (layers that share an input, like q/k/v). */
  accumulateGradInput?: boolean;
}

/** Activation buffers the layer reads and writes; allocated by the layer unless given. */
export interface LoRALinearIO {
  input: GpuTensor; // X  (N, in)
  output: GpuTensor; // Y  (N, out)
  gradOutput: GpuTensor; // dY (N, out)
  gradInput: GpuTensor; // dX (N, in)
}

export class LoRALinear {
  /** The base has no gradient: not a zero buffer, none at all. */
  readonly gradWeight = null;
  private isMerged = false;

  private constructor(
    private readonly gpu: Gpu,
    readonly config: Required<LoRALinearConfig>,
    readonly scaling: number,
    readonly weight: GpuTensor, // (out, in), frozen
    readonly loraA: GpuTensor, // (r, in)
    readonly loraB: GpuTensor, // (out, r)
    readonly gradA: GpuTensor, // (r, in)
    readonly gradB: GpuTensor, // (out, r)
    readonly hidden: GpuTensor, // H  (N, r)
    readonly gradHidden: GpuTensor, // dH (N, r)
    readonly io: LoRALinearIO,
    private readonly passes: Record<'forwardBase' | 'forwardMerged' | 'backward' | 'merge' | 'unmerge', Dispatch[]>,
  ) {}

  static async create(gpu: Gpu, config: LoRALinearConfig, weight?: Float32Array, io?: Partial<LoRALinearIO>): Promise<LoRALinear> {
    const { inFeatures: inDim, outFeatures: outDim, rank, alpha, tokens } = config;
    validateLoRAShape(inDim, outDim, rank, alpha);
    if (!Number.isInteger(tokens) || tokens < 1) throw new RangeError(`tokens must be a positive integer, got ${tokens}`);
    const full: Required<LoRALinearConfig> = { useRslora: false, seed: 0, label: 'lora', accumulateGradInput: false, ...config };
    const label = full.label;
    const scaling = loraScaling(alpha, rank, full.useRslora);

    const initA = uniformArray(seededRandom(full.seed), rank * inDim, kaimingUniformBound(inDim));
    const w = await createTensor(gpu, `${label}.weight`, [outDim, inDim], weight);
    const loraA = await createTensor(gpu, `${label}.lora_A`, [rank, inDim], initA);
    const loraB = await createTensor(gpu, `${label}.lora_B`, [outDim, rank]); // zeros, as PEFT
    const gradA = await createTensor(gpu, `${label}.lora_A.grad`, [rank, inDim]);
    const gradB = await createTensor(gpu, `${label}.lora_B.grad`, [outDim, rank]);
    const hidden = await createTensor(gpu, `${label}.H`, [tokens, rank]);
    const gradHidden = await createTensor(gpu, `${label}.dH`, [tokens, rank]);
    const allIo: LoRALinearIO = {
      input: io?.input ?? (await createTensor(gpu, `${label}.X`, [tokens, inDim])),
      output: io?.output ?? (await createTensor(gpu, `${label}.Y`, [tokens, outDim])),
      gradOutput: io?.gradOutput ?? (await createTensor(gpu, `${label}.dY`, [tokens, outDim])),
      gradInput: io?.gradInput ?? (await createTensor(gpu, `${label}.dX`, [tokens, inDim])),
    };
    const { input: x, output: y, gradOutput: dy, gradInput: dx } = allIo;
    const mm = (name: string, spec: Omit<Parameters<typeof createMatmul>[1], 'label'>) =>
      createMatmul(gpu, { label: `${label}.${name}`, ...spec });

    const baseForward = await mm('Y=XWt', { c: y, a: x, b: w, m: tokens, n: outDim, k: inDim, transB: true });
    const passes = {
      forwardBase: [
        baseForward,
        await mm('H=XAt', { c: hidden, a: x, b: loraA, m: tokens, n: rank, k: inDim, transB: true }),
        await mm('Y+=sHBt', { c: y, a: hidden, b: loraB, m: tokens, n: outDim, k: rank, transB: true, alpha: scaling, beta: 1 }),
      ],
      forwardMerged: [baseForward],
      backward: [
        await mm('dB=sdYtH', { c: gradB, a: dy, b: hidden, m: outDim, n: rank, k: tokens, transA: true, alpha: scaling }),
        await mm('dH=sdYB', { c: gradHidden, a: dy, b: loraB, m: tokens, n: rank, k: outDim, alpha: scaling }),
        await mm('dA=dHtX', { c: gradA, a: gradHidden, b: x, m: rank, n: inDim, k: tokens, transA: true }),
        await mm('dX=dYW', { c: dx, a: dy, b: w, m: tokens, n: inDim, k: outDim, beta: full.accumulateGradInput ? 1 : 0 }),
        await mm('dX+=dHA', { c: dx, a: gradHidden, b: loraA, m: tokens, n: inDim, k: rank, beta: 1 }),
      ],
      merge: [await createMerge(gpu, { label: `${label}.merge`, weight: w, loraA, loraB, outDim, inDim, rank, scale: scaling })],
      unmerge: [await createMerge(gpu, { label: `${label}.unmerge`, weight: w, loraA, loraB, outDim, inDim, rank, scale: -scaling })],
    };
    return new LoRALinear(gpu, full, scaling, w, loraA, loraB, gradA, gradB, hidden, gradHidden, allIo, passes);
  }

  /** True while W holds W + s·B·A. */
  get merged(): boolean {
    return this.isMerged;
  }

  /** r·(in + out): only A and B train. */
  get trainableParameters(): number {
    return loraParameterCount(this.config.inFeatures, this.config.outFeatures, this.config.rank);
  }

  get totalParameters(): number {
    return this.config.inFeatures * this.config.outFeatures + this.trainableParameters;
  }

  /** The trainable tensors with their gradients, in PEFT's naming. */
  parameters(): { name: string; param: GpuTensor; grad: GpuTensor }[] {
    return [
      { name: 'lora_A', param: this.loraA, grad: this.gradA },
      { name: 'lora_B', param: this.loraB, grad: this.gradB },
    ];
  }

  /** Dispatches for Y from X; after a merge only the base matmul runs (W holds B·A). */
  forwardDispatches(): Dispatch[] {
    return this.merged ? this.passes.forwardMerged : this.passes.forwardBase;
  }

  /** Dispatches for dA, dB and dX from dY; reads H from the last forward. */
  backwardDispatches(): Dispatch[] {
    if (this.merged) throw new Error(`${this.config.label}: unmerge the adapter before training (W holds B·A)`);
    return this.passes.backward;
  }

  forward(): void {
    submitDispatches(this.gpu, `${this.config.label}.forward`, this.forwardDispatches());
  }

  backward(): void {
    submitDispatches(this.gpu, `${this.config.label}.backward`, this.backwardDispatches());
  }

  /** W ← W + s·B·A on the GPU. */
  merge(): void {
    if (this.isMerged) return;
    submitDispatches(this.gpu, `${this.config.label}.merge`, this.passes.merge);
    this.isMerged = true;
  }

  /** W ← W − s·B·A on the GPU. */
  unmerge(): void {
    if (!this.isMerged) return;
    submitDispatches(this.gpu, `${this.config.label}.unmerge`, this.passes.unmerge);
    this.isMerged = false;
  }
}
