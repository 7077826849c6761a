// PEFT's add_weighted_adapter for two (or more) LoRA adapters of one base, on the CPU:
//   cat     A = [w₁s₁A₁ ; w₂s₂A₂] (ranks stacked), B = [B₁ B₂]      → ΔW = Σ wᵢ sᵢ Bᵢ Aᵢ exactly
//   linear  A = Σ √(wᵢsᵢ) Aᵢ,  B = Σ √(wᵢsᵢ) Bᵢ  (same rank needed)  → ΔW has cross terms Bᵢ Aⱼ
// The result has lora_alpha = r for every module, so its scaling is 1 (the sᵢ are folded in),
// as PEFT writes it. A module present in only some adapters takes only their terms.
import type { ParsedAdapter, ParsedAdapterModule } from '../io/peft.ts';

export type CombinationType = 'cat' | 'linear';

export class CombineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CombineError';
  }
}

export function combineAdapters(adapters: ParsedAdapter[], weights: number[], how: CombinationType): ParsedAdapter {
  if (adapters.length < 2) throw new CombineError('combining needs at least two adapters');
  if (weights.length !== adapters.length) throw new CombineError(`got ${weights.length} weights for ${adapters.length} adapters`);
  for (const w of weights) if (!Number.isFinite(w)) throw new CombineError(`weights must be finite numbers, got ${w}`);
  if (how === 'linear' && weights.some((w) => w < 0)) throw new CombineError('linear combination takes √(weight·scaling), so weights must be ≥ 0; use cat for negative weights');
  // DoRA's magnitude rescales each row of the whole adapted weight, so two DoRA updates do not add.
  if (adapters.some((a) => a.useDora)) throw new CombineError('DoRA adapters cannot be combined here: their magnitude vectors rescale whole rows of W, so the updates do not add; activate one at a time');
  const ranks = new Set(adapters.map((a) => a.r));
  if (how === 'linear' && ranks.size !== 1) throw new CombineError(`linear combination needs adapters of one rank, got r = ${[...ranks].join(', ')}; use cat`);

  const paths = [...new Set(adapters.flatMap((a) => [...a.modules.keys()]))].sort();
  const modules = new Map<string, ParsedAdapterModule>();
  for (const path of paths) {
    const parts = adapters.map((a, i) => ({ m: a.modules.get(path), w: weights[i] })).filter((p): p is { m: ParsedAdapterModule; w: number } => !!p.m);
    const { inDim, outDim } = parts[0].m;
    for (const { m } of parts) {
      if (m.inDim !== inDim || m.outDim !== outDim) throw new CombineError(`${path}: the adapters disagree on its shape (${m.outDim}×${m.inDim} vs ${outDim}×${inDim}); were they trained on one base?`);
    }
    modules.set(path, how === 'cat' ? concatenate(path, parts) : weightedSum(path, parts));
  }

  const r = how === 'cat' ? adapters.reduce((s, a) => s + a.r, 0) : adapters[0].r;
  const rankPattern: Record<string, number> = {};
  for (const [path, m] of modules) if (m.rank !== r) rankPattern[path] = m.rank;
  const alphaPattern = Object.fromEntries(Object.entries(rankPattern)); // α = r per module: scaling 1
  const targets = new Set<string>();
  let anyString = false;
  for (const a of adapters) {
    if (typeof a.targetModules === 'string') anyString = true;
    else a.targetModules.forEach((t) => targets.add(t));
  }
  return {
    r, loraAlpha: r, useRslora: false, rankPattern, alphaPattern, modules,
    // A list of module names covers every path here; regex or all-linear targets become the module names used.
    targetModules: anyString ? [...new Set(paths.map((p) => p.split('.').pop()!))].sort() : [...targets].sort(),
    baseModelNameOrPath: adapters[0].baseModelNameOrPath,
    layersToTransform: null,
    loraDropout: adapters[0].loraDropout,
  };
}

function concatenate(path: string, parts: { m: ParsedAdapterModule; w: number }[]): ParsedAdapterModule {
  const { inDim, outDim } = parts[0].m;
  const rank = parts.reduce((s, p) => s + p.m.rank, 0);
  const loraA = new Float32Array(rank * inDim); // (Σr, in): row blocks
  const loraB = new Float32Array(outDim * rank); // (out, Σr): column blocks
  let offset = 0;
  for (const { m, w } of parts) {
    const factor = w * m.scaling;
    for (let i = 0; i < m.rank * inDim; i++) loraA[offset * inDim + i] = factor * m.loraA[i];
    for (let o = 0; o < outDim; o++) for (let j = 0; j < m.rank; j++) loraB[o * rank + offset + j] = m.loraB[o * m.rank + j];
    offset += m.rank;
  }
  return { path, rank, inDim, outDim, loraA, loraB, alpha: rank, scaling: 1 };
}

function weightedSum(path: string, parts: { m: ParsedAdapterModule; w: number }[]): ParsedAdapterModule {
  const { inDim, outDim, rank } = parts[0].m;
  const loraA = new Float32Array(rank * inDim);
  const loraB = new Float32Array(outDim * rank);
  for (const { m, w } of parts) {
    if (m.rank !== rank) throw new CombineError(`${path}: linear combination needs one rank, got ${m.rank} and ${rank}; use cat`);
    const factor = Math.sqrt(w * m.scaling);
    for (let i = 0; i < loraA.length; i++) loraA[i] += factor * m.loraA[i];
    for (let i = 0; i < loraB.length; i++) loraB[i] += factor * m.loraB[i];
  }
  return { path, rank, inDim, outDim, loraA, loraB, alpha: rank, scaling: 1 };
}
