// What a run is made of, as plain options: the CLI maps its flags to these (src/cli/train-command.ts),
// the tasks take nothing else — never parsed argv.
import type { AdapterConfigFields } from '../io/peft.ts';
import type { LoraInjectionConfig } from '../lora/injection.ts';
import type { LoraInit } from '../lora/lora-math.ts';
import type { LinearModule, LlamaConfig } from '../model/config.ts';
import type { TrainingMode } from '../model/llama-model.ts';
import type { OptimizerKind } from '../train/optimizer.ts';
import { SettingError } from '../settings/schema.ts';

export interface LoraOptions {
  rank: number;
  alpha: number;
  rslora: boolean;
  targets: readonly LinearModule[] | 'all-linear';
  /** layers_to_transform (null: every layer). */
  layers: number[] | null;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  dropout: number;
  /** PEFT's use_dora (false when absent). */
  useDora?: boolean;
  /** PEFT's init_lora_weights ('default' when absent). */
  init?: LoraInit;
}

export interface TeacherRunOptions {
  dim: number;
  trueRank: number;
  tokens: number;
  rank: number;
  alpha: number;
  rslora: boolean;
  seed: number;
  useDora?: boolean;
  init?: LoraInit;
}

export interface LmRunOptions {
  lora: LoraOptions;
  /** Full fine-tuning instead of LoRA: every weight trains. */
  full: boolean;
  batch: number;
  seq: number;
  seed: number;
  optimizer: OptimizerKind;
  /** GPU memory a run may use (bytes), checked before anything is allocated. */
  gpuMemoryBytes: number;
  /** The base's name or path, recorded as base_model_name_or_path. */
  baseName: string;
  /** Activation checkpointing: each block keeps only its output and runs its forward again in the backward. */
  recompute?: boolean;
}

export interface LmTraining {
  mode: TrainingMode;
  /** The adapter_config.json fields (for LoRA runs). */
  fields: AdapterConfigFields;
}

/** The model's training mode and the adapter's config fields; refuses layers the model does not have. */
export function lmTraining(o: LmRunOptions, config: LlamaConfig): LmTraining {
  const l = o.lora;
  for (const layer of l.layers ?? []) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= config.num_hidden_layers) {
      throw new SettingError(`layers take indices from 0 to ${config.num_hidden_layers - 1}, got ${l.layers!.join(',')}`);
    }
  }
  const lora: LoraInjectionConfig = {
    targetModules: l.targets, r: l.rank, loraAlpha: l.alpha, useRslora: l.rslora, layersToTransform: l.layers, rankPattern: l.rankPattern, alphaPattern: l.alphaPattern, loraDropout: l.dropout, seed: o.seed,
    useDora: l.useDora ?? false, initLoraWeights: l.init ?? 'default',
  };
  return {
    mode: o.full ? { kind: 'full' } : { kind: 'lora', lora },
    fields: {
      r: l.rank, loraAlpha: l.alpha, targetModules: l.targets === 'all-linear' ? 'all-linear' : [...l.targets], useRslora: l.rslora,
      layersToTransform: l.layers, rankPattern: l.rankPattern, alphaPattern: l.alphaPattern, loraDropout: l.dropout, baseModelNameOrPath: o.baseName,
      useDora: l.useDora ?? false,
    },
  };
}
