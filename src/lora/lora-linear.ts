// LoRALinear on the GPU: a frozen base weight W plus a trainable low-rank path B·A.
//   forward   H = X·Aᵀ ; Y = X·Wᵀ + s·H·Bᵀ
//   backward  dB = s·dYᵀ·H ; dH = s·dY·B ; dA = dHᵀ·X ; dX = dY·W + dH·A
// W never gets a gradient: `gradWeight` is null and no buffer for it is ever allocated.
// With lora_dropout p, training uses X̃ = dropout(X) in place of X on the A path (H = X̃·Aᵀ,
// dA = dHᵀ·X̃, dX gains dropout(dH·A) with the same mask); evaluation uses X.
// Where the input has many more rows than the layer has inputs, the unmerged forward folds the
// adapter instead: W' = W + s·B·A into a scratch buffer, then Y = X·W'ᵀ (equal in exact
// arithmetic, fewer multiply-adds; see foldsAdapter). W itself is never written.
// Every dispatch is built once here, then only encoded (docs/ARCHITECTURE.md, "One training step").
// Variants (PEFT's names): init 'pissa' / 'olora' takes A and B from an SVD / QR of W and holds
// W − s·B·A as the base (src/lora/lora-init.ts); useDora scales each output row by g = m / ‖W + s·B·A‖
// with a trainable magnitude m (shaders/dora.wgsl, reference src/reference/dora.ts): Z, the LoRA
// output above, is computed as before and Y = Z ⊙ g; the backward runs on dZ = dY ⊙ g.
import { copyTensor, createTensor, isPacked, readTensor, writeTensor, type GpuTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches, type Dispatch } from '../gpu/dispatch.ts';
import { createDropout, type DropoutPass } from '../gpu/kernels/elementwise.ts';
import { createMatmul, lowRankFusable } from '../gpu/kernels/matmul.ts';
import { createDoraPasses } from '../gpu/kernels/dora.ts';
import { createFold, createMerge } from '../gpu/kernels/merge.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { decomposedInit, type LoraInit } from './lora-init.ts';
import { foldsAdapter, kaimingUniformBound, loraParameterCount, loraScaling, validateLoRAShape } from './lora-math.ts';

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
  /** False when nothing upstream needs dX (the input is data): the backward skips dY·W and dH·A. */
  needsGradInput?: boolean;
  /** PEFT's lora_dropout: dropout on X before A, in training only. */
  dropout?: number;
  /** PEFT's use_dora: a trainable magnitude per output row (f32 base only, no dropout). */
  useDora?: boolean;
  /** PEFT's init_lora_weights: 'default' (A Kaiming-uniform, B = 0), 'pissa' or 'olora' (f32 base only). */
  init?: LoraInit;
  /**
   * H = X·Aᵀ and dA = dHᵀ·X come from a group of layers that read the same X (q/k/v, gate/up;
   * src/gpu/kernels/lora-group.ts), one dispatch for all of them: this layer's passes leave both out.
   * Needs no dropout (each layer's mask would give it its own X̃).
   */
  sharedInput?: boolean;
}

/** DoRA's tensors: the magnitude m with its gradient, and what the forward keeps for the backward. */
export interface DoraTensors {
  magnitude: GpuTensor; // m (out), trainable; lora_magnitude_vector in PEFT's files
  gradMagnitude: GpuTensor; // dm (out)
  norm: GpuTensor; // n = ‖W + s·B·A‖ per row (out), from the last forward or merge
  factor: GpuTensor; // g = m / n (out)
  unscaled: GpuTensor; // Z (N, out)
  gradUnscaled: GpuTensor; // dZ (N, out)
}

/** Activation buffers the layer reads and writes; allocated by the layer unless given. */
export interface LoRALinearIO {
  input: GpuTensor; // X  (N, in)
  output: GpuTensor; // Y  (N, out)
  gradOutput: GpuTensor; // dY (N, out)
  gradInput: GpuTensor | null; // dX (N, in); null when nothing needs it (needsGradInput false)
  /** W' (at least out·in values) for the folded forward; layers that run one at a time may share one. */
  foldedWeight?: GpuTensor;
}

/** dX's buffer, for a layer whose backward computes it. */
export function gradInputOf(io: LoRALinearIO, label: string): GpuTensor {
  if (!io.gradInput) throw new Error(`${label}: dX is computed, so the layer needs a gradInput buffer`);
  return io.gradInput;
}

export class LoRALinear {
  /** The base has no gradient: not a zero buffer, none at all. */
  readonly gradWeight = null;
  private isMerged = false;
  /** Training applies lora_dropout; evaluation does not (like module.train() / .eval()). */
  training = true;
  /** False: the forward runs the base matmul only (PEFT's disable_adapter()), A and B untouched. */
  adapterEnabled = true;
  /** False: the unmerged forward always takes the low-rank path, as PEFT computes it (to compare a merge with). */
  foldingAllowed = true;

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
    private readonly passes: Record<'forwardBase' | 'forwardTrain' | 'lowRankEval' | 'lowRankTrain' | 'forwardMerged' | 'backward' | 'merge' | 'unmerge' | 'doraNorm', Dispatch[]>,
    private readonly dropoutPasses: DropoutPass[],
    /** How each forward computes the adapter's term while foldingAllowed (folded: W' = W + s·B·A, then X·W'ᵀ). */
    readonly forwardPath: { training: 'folded' | 'low-rank'; evaluation: 'folded' | 'low-rank' },
    /** DoRA's tensors, or null for plain LoRA. */
    readonly dora: DoraTensors | null,
    /** PiSSA / OLoRA: the A₀, B₀ the layer started from (its base holds W − s·B₀·A₀); null for the default init. */
    readonly initialFactors: { loraA: Float32Array; loraB: Float32Array } | null,
  ) {}

  /** `weight`: W's values, or W already on the GPU (a model's packed BF16/F16 base; the layer takes it over). */
  static async create(gpu: Gpu, config: LoRALinearConfig, weight?: Float32Array | GpuTensor, io?: Partial<LoRALinearIO>): Promise<LoRALinear> {
    const { inFeatures: inDim, outFeatures: outDim, rank, alpha, tokens } = config;
    validateLoRAShape(inDim, outDim, rank, alpha);
    if (!Number.isInteger(tokens) || tokens < 1) throw new RangeError(`tokens must be a positive integer, got ${tokens}`);
    // The variant's fields may come as explicit undefined (options passed through): their defaults hold then too.
    const full: Required<LoRALinearConfig> = { useRslora: false, seed: 0, label: 'lora', accumulateGradInput: false, needsGradInput: true, dropout: 0, ...config, useDora: config.useDora ?? false, init: config.init ?? 'default', sharedInput: config.sharedInput ?? false };
    const label = full.label;
    const scaling = loraScaling(alpha, rank, full.useRslora);
    if (full.sharedInput && full.dropout > 0) throw new RangeError(`${label}: a layer in a shared-input group computes H from X itself, not from its own dropout mask; set dropout to 0 or leave it out of the group`);
    if (full.useDora && full.dropout > 0) throw new RangeError(`${label}: DoRA with lora_dropout is not supported here; set dropout to 0 or turn DoRA off`);

    const w = weight && !(weight instanceof Float32Array) ? weight : await createTensor(gpu, `${label}.weight`, [outDim, inDim], weight);
    if (w.numel !== outDim * inDim) throw new RangeError(`${label}: W holds ${w.numel} values, (${outDim}, ${inDim}) needs ${outDim * inDim}`);
    // A packed W runs its own matmul kernel, which takes no fused low-rank term.
    const packed = isPacked(w);
    let initialFactors: { loraA: Float32Array; loraB: Float32Array } | null = null;
    if (full.init !== 'default') {
      // PiSSA / OLoRA: A, B from W (float64 on the CPU, once), and the base becomes W − s·B·A.
      if (packed) throw new Error(`${label}: ${full.init} initialisation rewrites the base as W − s·B·A and needs an f32 base; this one is stored packed (${w.format}). Load the model with an f32 base or use the default init`);
      const values = weight instanceof Float32Array ? weight : await readTensor(gpu, w);
      const init = decomposedInit(full.init, values, outDim, inDim, rank, scaling);
      writeTensor(gpu, w, init.residual);
      initialFactors = { loraA: init.loraA, loraB: init.loraB };
    }
    const initA = initialFactors?.loraA ?? uniformArray(seededRandom(full.seed), rank * inDim, kaimingUniformBound(inDim));
    const loraA = await createTensor(gpu, `${label}.lora_A`, [rank, inDim], initA);
    const loraB = await createTensor(gpu, `${label}.lora_B`, [outDim, rank], initialFactors?.loraB); // zeros, as PEFT, for the default init
    const gradA = await createTensor(gpu, `${label}.lora_A.grad`, [rank, inDim]);
    const gradB = await createTensor(gpu, `${label}.lora_B.grad`, [outDim, rank]);
    const hidden = await createTensor(gpu, `${label}.H`, [tokens, rank]);
    const gradHidden = await createTensor(gpu, `${label}.dH`, [tokens, rank]);
    const allIo: LoRALinearIO = {
      input: io?.input ?? (await createTensor(gpu, `${label}.X`, [tokens, inDim])),
      output: io?.output ?? (await createTensor(gpu, `${label}.Y`, [tokens, outDim])),
      gradOutput: io?.gradOutput ?? (await createTensor(gpu, `${label}.dY`, [tokens, outDim])),
      // Not allocated when the input is data: nothing reads dX then.
      gradInput: io?.gradInput ?? (full.needsGradInput ? await createTensor(gpu, `${label}.dX`, [tokens, inDim]) : null),
    };
    const { input: x, output: y } = allIo;
    // DoRA: the magnitude m (set to ‖W + s·B·A‖ below, so g = 1 at step 0), and the column passes.
    const t = (name: string, shape: number[]) => createTensor(gpu, `${label}.${name}`, shape);
    const dora: DoraTensors | null = !full.useDora ? null : {
      magnitude: await t('lora_magnitude_vector', [outDim]), gradMagnitude: await t('lora_magnitude_vector.grad', [outDim]),
      norm: await t('dora.norm', [outDim]), factor: await t('dora.factor', [outDim]), unscaled: await t('dora.Z', [tokens, outDim]), gradUnscaled: await t('dora.dZ', [tokens, outDim]),
    };
    const doraPasses = dora ? await createDoraPasses(gpu, { label, weight: w, loraA, loraB, ...dora, outDim, inDim, rank, scale: scaling, rows: tokens }) : null;
    const doraForward = dora && doraPasses ? [doraPasses.rowNorm, await doraPasses.scaleColumns({ output: y, unscaled: dora.unscaled })] : [];
    const doraBackward = dora && doraPasses ? [await doraPasses.backward({ gradOutput: allIo.gradOutput, unscaled: dora.unscaled, gradUnscaled: dora.gradUnscaled, gradMagnitude: dora.gradMagnitude })] : [];
    // The LoRA backward below runs on dZ = dY ⊙ g under DoRA, on dY otherwise.
    const dy = dora ? dora.gradUnscaled : allIo.gradOutput;
    if (dora && doraPasses) {
      submitDispatches(gpu, `${label}.dora.init`, [doraPasses.rowNorm]);
      copyTensor(gpu, dora.norm, dora.magnitude); // m = ‖W + s·B·A‖ per row, as PEFT's dora_init
    }
    const dx = () => gradInputOf(allIo, label);
    const mm = (name: string, spec: Omit<Parameters<typeof createMatmul>[1], 'label'>) =>
      createMatmul(gpu, { label: `${label}.${name}`, ...spec });

    const baseForward = await mm('Y=XWt', { c: y, a: x, b: w, m: tokens, n: outDim, k: inDim, transB: true });
    const forwardPath = {
      training: foldsAdapter(tokens, inDim, outDim, 'training', full.dropout) ? 'folded' : 'low-rank',
      evaluation: foldsAdapter(tokens, inDim, outDim, 'evaluation') ? 'folded' : 'low-rank',
    } as const;
    // Low-rank forward (always built: foldingAllowed = false selects it): Y = X·Wᵀ + s·H·Bᵀ in one
    // dispatch where the shapes allow, else in two.
    const fused = !packed && lowRankFusable({ m: tokens, k: inDim, n: outDim, r: rank, transB: true }, 'auto', gpu.quadKernels);
    const baseAndLoRA = fused
      ? [await mm('Y=XWt+sHBt', { c: y, a: x, b: w, m: tokens, n: outDim, k: inDim, transB: true, lowRank: { h: hidden, b: loraB, r: rank, scale: scaling } })]
      : [baseForward, await mm('Y+=sHBt', { c: y, a: hidden, b: loraB, m: tokens, n: outDim, k: rank, transB: true, alpha: scaling, beta: 1 })];
    // Folded forward: W' = W + s·B·A (out, in), then Y = X·W'ᵀ.
    const foldedWeight = forwardPath.evaluation === 'folded' || forwardPath.training === 'folded' ? (io?.foldedWeight ?? (await createTensor(gpu, `${label}.folded_weight`, [outDim, inDim]))) : null;
    const folded = !foldedWeight ? [] : [
      await createFold(gpu, { label: `${label}.W'=W+sBA`, weight: w, loraA, loraB, outDim, inDim, rank, scale: scaling, folded: foldedWeight }),
      await mm("Y=XW't", { c: y, a: x, b: foldedWeight, m: tokens, n: outDim, k: inDim, transB: true }),
    ];
    // H = X·Aᵀ: the low-rank path's first half, and what dB = s·dYᵀ·H reads in training.
    // In a shared-input group the group's one dispatch computes it for every member (and dA below).
    const hFromX = full.sharedInput ? [] : [await mm('H=XAt', { c: hidden, a: x, b: loraA, m: tokens, n: rank, k: inDim, transB: true })];
    const lowRankEval = [...hFromX, ...baseAndLoRA];
    const dB = await mm('dB=sdYtH', { c: gradB, a: dy, b: hidden, m: outDim, n: rank, k: tokens, transA: true, alpha: scaling });
    const dH = await mm('dH=sdYB', { c: gradHidden, a: dy, b: loraB, m: tokens, n: rank, k: outDim, alpha: scaling });
    const dXbeta = full.accumulateGradInput ? 1 : 0;
    const dXbase = () => mm('dX=dYW', { c: dx(), a: dy, b: w, m: tokens, n: inDim, k: outDim, beta: dXbeta });
    // dX = dY·W + dH·A in one dispatch where the shapes allow (without dropout, dH·A goes to X itself).
    const dXwithLoRA = async () => !packed && lowRankFusable({ m: tokens, k: outDim, n: inDim, r: rank, transB: false }, 'auto', gpu.quadKernels)
      ? [await mm('dX=dYW+dHA', { c: dx(), a: dy, b: w, m: tokens, n: inDim, k: outDim, beta: dXbeta, lowRank: { h: gradHidden, b: loraA, r: rank, scale: 1 } })]
      : [await dXbase(), await mm('dX+=dHA', { c: dx(), a: gradHidden, b: loraA, m: tokens, n: inDim, k: rank, beta: 1 })];
    let lowRankTrain = lowRankEval;
    let backward: Dispatch[];
    const dropoutPasses: DropoutPass[] = [];
    if (full.dropout > 0) {
      const xDrop = await createTensor(gpu, `${label}.Xdrop`, [tokens, inDim]); // X̃ (N, in)
      const n = tokens * inDim;
      const dropX = await createDropout(gpu, { label: `${label}.dropout`, x, y: xDrop, n, p: full.dropout, accumulate: false });
      dropoutPasses.push(dropX);
      // dX gains dropout(dH·A) with the forward's mask: dH·A goes to dXdrop (N, in) first.
      const gradInputPasses = async () => {
        const gradXDrop = await createTensor(gpu, `${label}.dXdrop`, [tokens, inDim]);
        const dropGrad = await createDropout(gpu, { label: `${label}.dropout.bw`, x: gradXDrop, y: dx(), n, p: full.dropout, accumulate: true });
        dropoutPasses.push(dropGrad);
        return [await dXbase(), await mm('dX~=dHA', { c: gradXDrop, a: gradHidden, b: loraA, m: tokens, n: inDim, k: rank }), dropGrad.dispatch];
      };
      lowRankTrain = [dropX.dispatch, await mm('H=X~At', { c: hidden, a: xDrop, b: loraA, m: tokens, n: rank, k: inDim, transB: true }), ...baseAndLoRA];
      backward = [
        dB, dH,
        await mm('dA=dHtX~', { c: gradA, a: gradHidden, b: xDrop, m: rank, n: inDim, k: tokens, transA: true }),
        ...(full.needsGradInput ? await gradInputPasses() : []),
      ];
    } else {
      backward = [
        dB, dH,
        ...(full.sharedInput ? [] : [await mm('dA=dHtX', { c: gradA, a: gradHidden, b: x, m: rank, n: inDim, k: tokens, transA: true })]),
        ...(full.needsGradInput ? await dXwithLoRA() : []),
      ];
    }
    const passes = {
      forwardBase: [...(forwardPath.evaluation === 'folded' ? folded : lowRankEval), ...doraForward],
      forwardTrain: [...(forwardPath.training === 'folded' ? [...hFromX, ...folded] : lowRankTrain), ...doraForward],
      lowRankEval: [...lowRankEval, ...doraForward],
      lowRankTrain: [...lowRankTrain, ...doraForward],
      forwardMerged: [baseForward],
      backward: [...doraBackward, ...backward],
      doraNorm: doraPasses ? [doraPasses.rowNorm] : [],
      // DoRA: W ← g ⊙ (W + s·B·A) with g from the norms just before; unmerge divides by that g.
      merge: doraPasses ? [doraPasses.rowNorm, doraPasses.merge] : [await createMerge(gpu, { label: `${label}.merge`, weight: w, loraA, loraB, outDim, inDim, rank, scale: scaling })],
      unmerge: doraPasses ? [doraPasses.unmerge] : [await createMerge(gpu, { label: `${label}.unmerge`, weight: w, loraA, loraB, outDim, inDim, rank, scale: -scaling })],
    };
    return new LoRALinear(gpu, full, scaling, w, loraA, loraB, gradA, gradB, hidden, gradHidden, allIo, passes, dropoutPasses, forwardPath, dora, initialFactors);
  }

  /** True while W holds W + s·B·A. */
  get merged(): boolean {
    return this.isMerged;
  }

  /** r·(in + out): only A and B train; DoRA adds the magnitude's out. */
  get trainableParameters(): number {
    return loraParameterCount(this.config.inFeatures, this.config.outFeatures, this.config.rank) + (this.dora ? this.config.outFeatures : 0);
  }

  get totalParameters(): number {
    return this.config.inFeatures * this.config.outFeatures + this.trainableParameters;
  }

  /** The trainable tensors with their gradients, in PEFT's naming. */
  parameters(): { name: string; param: GpuTensor; grad: GpuTensor }[] {
    return [
      { name: 'lora_A', param: this.loraA, grad: this.gradA },
      { name: 'lora_B', param: this.loraB, grad: this.gradB },
      ...(this.dora ? [{ name: 'lora_magnitude_vector', param: this.dora.magnitude, grad: this.dora.gradMagnitude }] : []),
    ];
  }

  /** Whether the forward as it runs now reads H (a shared-input group computes it just before). */
  get readsHidden(): boolean {
    if (this.merged || !this.adapterEnabled) return false;
    return !(this.foldingAllowed && !this.training && this.forwardPath.evaluation === 'folded');
  }

  /** Dispatches for Y from X; after a merge only the base matmul runs (W holds B·A). */
  forwardDispatches(): Dispatch[] {
    if (this.merged || !this.adapterEnabled) return this.passes.forwardMerged;
    if (!this.foldingAllowed) return this.training ? this.passes.lowRankTrain : this.passes.lowRankEval;
    return this.training ? this.passes.forwardTrain : this.passes.forwardBase;
  }

  /** A fresh dropout mask (no effect without lora_dropout); call once per training step. */
  setDropoutSeed(seed: number): void {
    for (const d of this.dropoutPasses) d.setSeed(seed);
  }

  /** Dispatches for dA, dB and dX from dY; reads H from the last training forward (a folded evaluation forward computes none). */
  backwardDispatches(): Dispatch[] {
    if (this.merged) throw new Error(`${this.config.label}: unmerge the adapter before training (W holds B·A)`);
    if (!this.adapterEnabled) throw new Error(`${this.config.label}: enable the adapter before training`);
    if (!this.training && this.dropoutPasses.length) throw new Error(`${this.config.label}: backward needs training mode (the dropout mask of the forward)`);
    if (!this.training && this.forwardPath.evaluation === 'folded' && this.foldingAllowed) throw new Error(`${this.config.label}: backward needs training mode (the evaluation forward folds the adapter and computes no H)`);
    return this.passes.backward;
  }

  forward(): void {
    submitDispatches(this.gpu, `${this.config.label}.forward`, this.forwardDispatches());
  }

  backward(): void {
    submitDispatches(this.gpu, `${this.config.label}.backward`, this.backwardDispatches());
  }

  /** DoRA: m ← ‖W + s·B·A‖ per row for the current A and B, so g = 1 and the layer computes W + s·B·A. */
  resetMagnitude(): void {
    if (!this.dora) return;
    if (this.isMerged) throw new Error(`${this.config.label}: unmerge before resetting DoRA's magnitude`);
    submitDispatches(this.gpu, `${this.config.label}.dora.reset`, this.passes.doraNorm);
    copyTensor(this.gpu, this.dora.norm, this.dora.magnitude);
  }

  /** W ← W + s·B·A on the GPU (DoRA: W ← g ⊙ (W + s·B·A)). */
  merge(): void {
    if (this.isMerged) return;
    submitDispatches(this.gpu, `${this.config.label}.merge`, this.passes.merge);
    this.isMerged = true;
  }

  /** Unmerges by copying back W saved before the merge: bit-exact, where W − s·B·A is not. */
  restoreBase(saved: GpuTensor): void {
    if (!this.isMerged) return;
    copyTensor(this.gpu, saved, this.weight);
    this.isMerged = false;
  }

  /** W ← W − s·B·A on the GPU (DoRA: W ← W / g − s·B·A); not bit-exact: restoreBase is. */
  unmerge(): void {
    if (!this.isMerged) return;
    submitDispatches(this.gpu, `${this.config.label}.unmerge`, this.passes.unmerge);
    this.isMerged = false;
  }
}
