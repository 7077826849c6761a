// The small facts of LoRA that do not need a GPU: scaling, init bound, parameter counts and the
// validation of rank and alpha. Shared by the engine, the CLI and the UI.

/** PEFT's init_lora_weights that we run (src/lora/lora-init.ts). 'default': A Kaiming-uniform, B = 0 (PEFT's True). */
export const LORA_INITS = ['default', 'pissa', 'olora'] as const;
export type LoraInit = (typeof LORA_INITS)[number];

/** s = α / r, or α / √r with rsLoRA (Kalajdzievski 2023), as PEFT computes it. */
export function loraScaling(alpha: number, rank: number, useRslora = false): number {
  return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

/**
 * Bound of A's uniform init: PEFT and loralib call kaiming_uniform_(A, a=√5), whose bound is
 * gain·√(3/fan_in) with gain = √(2/(1+a²)) = √(1/3), i.e. exactly 1/√in.
 */
export function kaimingUniformBound(inDim: number): number {
  return 1 / Math.sqrt(inDim);
}

/** Trainable parameters a rank-r LoRA adds to an (out × in) linear layer: r·(in + out). */
export function loraParameterCount(inDim: number, outDim: number, rank: number): number {
  return rank * (inDim + outDim);
}

export interface LayerParameterSummary {
  full: number; // in·out, the frozen base
  trainable: number; // r·(in + out)
  percent: number; // trainable / full · 100
  fewer: number; // full / trainable
}

export function summarizeLayerParameters(inDim: number, outDim: number, rank: number): LayerParameterSummary {
  const full = inDim * outDim;
  const trainable = loraParameterCount(inDim, outDim, rank);
  return { full, trainable, percent: (100 * trainable) / full, fewer: full / trainable };
}

/** Throws a RangeError naming the problem when (in, out, r, α) cannot make a LoRA layer. */
export function validateLoRAShape(inDim: number, outDim: number, rank: number, alpha?: number): void {
  for (const [name, value] of [['in', inDim], ['out', outDim], ['rank', rank]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (rank > Math.min(inDim, outDim)) {
    throw new RangeError(`rank ${rank} is larger than min(in, out) = ${Math.min(inDim, outDim)}; a LoRA that wide is no longer low-rank`);
  }
  if (alpha !== undefined && !(Number.isFinite(alpha) && alpha > 0)) {
    throw new RangeError(`alpha must be a positive number, got ${alpha}`);
  }
}

/**
 * Whether the unmerged forward folds the adapter into a scratch copy of W (W' = W + s·B·A, then
 * Y = X·W'ᵀ) instead of running the low-rank path (Y = X·Wᵀ + s·(X·Aᵀ)·Bᵀ). The two are equal in
 * exact arithmetic. Folding costs r·in·out multiply-adds per forward. The low-rank path costs
 * r·out per token for H·Bᵀ, plus r·in for H = X·Aᵀ, which training computes anyway because dB
 * needs H. Folding is chosen only when it saves at least half of that work, so short inputs
 * (generation, small batches) and wide layers keep the low-rank path:
 *   training:   tokens·out        ≥ 2·in·out   (tokens ≥ 2·in)
 *   evaluation: tokens·(in + out) ≥ 2·in·out
 * lora_dropout puts dropout(X) on the A path only, so a training forward with dropout never folds.
 */
export function foldsAdapter(tokens: number, inDim: number, outDim: number, mode: 'training' | 'evaluation', dropout = 0): boolean {
  if (mode === 'training') return dropout === 0 && tokens >= 2 * inDim;
  return tokens * (inDim + outDim) >= 2 * inDim * outDim;
}
