// Which linear layers get a LoRA, with what rank and alpha: PEFT's target_modules,
// layers_to_transform, rank_pattern and alpha_pattern, resolved to module paths.
import { LINEAR_MODULES, linearPath, llamaParameterShapes, type LinearModule, type LlamaConfig } from '../model/config.ts';
import type { LoraSettings } from '../model/linear.ts';
import type { LoraInit } from './lora-init.ts';
import { foldsAdapter } from './lora-math.ts';

export interface LoraInjectionConfig {
  /** Module names such as ['q_proj', 'v_proj'], or 'all-linear' (every linear layer but lm_head). */
  targetModules: readonly LinearModule[] | 'all-linear';
  r: number;
  loraAlpha: number;
  useRslora?: boolean;
  layersToTransform?: readonly number[] | null;
  /** Per-module rank / alpha; a key matches a path equal to it or ending in `.key` (as PEFT). */
  rankPattern?: Record<string, number>;
  alphaPattern?: Record<string, number>;
  loraDropout?: number;
  seed?: number;
  /** PEFT's use_dora. */
  useDora?: boolean;
  /** PEFT's init_lora_weights: 'default' (true), 'pissa' or 'olora'. */
  initLoraWeights?: LoraInit;
  /** Exact module paths with their rank and alpha (an imported adapter); replaces the rules above. */
  modules?: ReadonlyMap<string, { rank: number; alpha: number }>;
}

export class InjectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InjectionError';
  }
}

/** Parses `q_proj,v_proj` or `all-linear` into target modules, naming an unknown one. */
export function parseTargetModules(text: string): readonly LinearModule[] | 'all-linear' {
  const trimmed = text.trim();
  if (trimmed === 'all-linear') return 'all-linear';
  const names = trimmed.split(',').map((n) => n.trim()).filter(Boolean);
  if (names.length === 0) throw new InjectionError('no target modules given; use e.g. q_proj,v_proj or all-linear');
  for (const name of names) {
    if (!(LINEAR_MODULES as readonly string[]).includes(name)) {
      throw new InjectionError(`unknown target module '${name}'; choose from ${LINEAR_MODULES.join(', ')} or all-linear`);
    }
  }
  return [...new Set(names)] as LinearModule[];
}

function patternValue(pattern: Record<string, number> | undefined, path: string): number | undefined {
  if (!pattern) return undefined;
  // The longest matching key wins, so a full path overrides a bare module name.
  const keys = Object.keys(pattern).filter((key) => path === key || path.endsWith(`.${key}`)).sort((a, b) => b.length - a.length);
  return keys.length ? pattern[keys[0]] : undefined;
}

/** Module path → LoRA settings for every targeted linear layer. */
export function resolveLoraTargets(config: LlamaConfig, inj: LoraInjectionConfig): Map<string, LoraSettings> {
  const dropout = inj.loraDropout ?? 0;
  const variant = { useDora: inj.useDora ?? false, init: inj.initLoraWeights ?? 'default' };
  if (!(dropout >= 0 && dropout < 1)) throw new InjectionError(`lora_dropout must be in [0, 1), got ${dropout}`);
  const modules = inj.targetModules === 'all-linear' ? LINEAR_MODULES : inj.targetModules;
  const layers = inj.layersToTransform ?? Array.from({ length: config.num_hidden_layers }, (_, i) => i);
  for (const l of layers) {
    if (!Number.isInteger(l) || l < 0 || l >= config.num_hidden_layers) {
      throw new InjectionError(`layers_to_transform has ${l}, but the model has layers 0..${config.num_hidden_layers - 1}`);
    }
  }
  const targets = new Map<string, LoraSettings>();
  if (inj.modules) {
    const known = new Set(layers.flatMap((layer) => LINEAR_MODULES.map((m) => linearPath(layer, m))));
    for (const [path, { rank, alpha }] of inj.modules) {
      if (!known.has(path)) throw new InjectionError(`the adapter targets ${path}, which this model does not have (${config.num_hidden_layers} layers of ${LINEAR_MODULES.join(', ')})`);
      targets.set(path, { rank, alpha, useRslora: inj.useRslora ?? false, seed: (inj.seed ?? 0) + targets.size * 7919, dropout, ...variant });
    }
    return targets;
  }
  for (const layer of layers) {
    for (const module of modules) {
      const path = linearPath(layer, module);
      const rank = patternValue(inj.rankPattern, path) ?? inj.r;
      const alpha = patternValue(inj.alphaPattern, path) ?? inj.loraAlpha;
      targets.set(path, { rank, alpha, useRslora: inj.useRslora ?? false, seed: (inj.seed ?? 0) + targets.size * 7919, dropout, ...variant });
    }
  }
  return targets;
}

/**
 * Values of the one scratch W' that a model's LoRA layers share for their folded forward (they
 * run one at a time): the largest out·in among the layers that fold; 0 when none does. A layer
 * that folds in training folds in evaluation too (tokens ≥ 2·in gives tokens·(in + out) ≥ 2·in·out).
 */
export function foldedWeightNumel(config: LlamaConfig, targets: ReadonlyMap<string, LoraSettings>, tokens: number): number {
  const shapes = llamaParameterShapes(config);
  let numel = 0;
  for (const path of targets.keys()) {
    const [outDim, inDim] = shapes.get(`${path}.weight`) ?? [0, 0];
    if (foldsAdapter(tokens, inDim, outDim, 'evaluation')) numel = Math.max(numel, outDim * inDim);
  }
  return numel;
}

/**
 * DoRA (the row norms of W + s·B·A) and PiSSA/OLoRA (which rewrite W as W − s·B·A) need the base
 * weight in f32: such a layer's frozen weight is widened on upload even from a BF16/F16 checkpoint.
 */
export function loraNeedsF32Base(settings: LoraSettings | undefined): boolean {
  return !!settings && (!!settings.useDora || (settings.init ?? 'default') !== 'default');
}
