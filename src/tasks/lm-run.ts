// What every language-model run from the CLI shares: the LoRA settings from flags, and the
// exports (PEFT adapter, merged checkpoint) of the model it trained.
import type { ParsedArgs } from '../cli/args.ts';
import { numberFlag, optimizerFlag, stringFlag } from '../cli/flags.ts';
import { mergedCheckpointFiles, readAdapter } from '../adapters/model-adapter.ts';
import type { Gpu } from '../gpu/device.ts';
import { adapterFolderFiles, type AdapterConfigFields } from '../io/peft.ts';
import { parseTargetModules, type LoraInjectionConfig } from '../lora/injection.ts';
import type { LlamaConfig } from '../model/config.ts';
import type { LlamaModel, TrainingMode } from '../model/llama-model.ts';
import { checkRunFitsDevice, type EstimateOptions, type MemoryEstimate } from '../model/memory-estimate.ts';
import { SettingError } from '../settings/schema.ts';
import type { TaskRun } from './task-run.ts';

function parseLayers(text: string | undefined, layers: number): number[] | null {
  if (text === undefined) return null;
  const list = text.split(',').map((s) => Number(s.trim()));
  for (const l of list) {
    if (!Number.isInteger(l) || l < 0 || l >= layers) throw new SettingError(`--layers takes indices from 0 to ${layers - 1}, got '${text}'`);
  }
  return list;
}

/** `q_proj=4,model.layers.1.mlp.down_proj=2` → {q_proj: 4, ...} (PEFT's rank_pattern / alpha_pattern). */
export function parsePattern(flag: string, text: string | undefined, integer: boolean): Record<string, number> {
  const pattern: Record<string, number> = {};
  if (text === undefined) return pattern;
  for (const item of text.split(',')) {
    const [key, value] = item.split('=');
    const number = Number(value);
    if (!key || value === undefined || !(number > 0) || (integer && !Number.isInteger(number))) {
      throw new SettingError(`--${flag} takes module=${integer ? 'rank' : 'alpha'} pairs such as q_proj=4, got '${item}'`);
    }
    pattern[key.trim()] = number;
  }
  return pattern;
}

export interface LmTraining {
  mode: TrainingMode;
  /** The adapter_config.json fields (for LoRA runs). */
  fields: AdapterConfigFields;
}

/** --rank --alpha --rslora --targets --layers --rank-pattern --alpha-pattern --dropout --seed --full. */
export function lmTrainingFromFlags(args: ParsedArgs, config: LlamaConfig, baseName: string): LmTraining {
  const rank = numberFlag(args, 'rank');
  const alpha = numberFlag(args, 'alpha', 2 * rank);
  const targetModules = parseTargetModules(stringFlag(args, 'targets') ?? 'all-linear');
  const layersToTransform = parseLayers(stringFlag(args, 'layers'), config.num_hidden_layers);
  const rankPattern = parsePattern('rank-pattern', stringFlag(args, 'rank-pattern'), true);
  const alphaPattern = parsePattern('alpha-pattern', stringFlag(args, 'alpha-pattern'), false);
  const useRslora = args.flags.has('rslora');
  const loraDropout = numberFlag(args, 'dropout');
  const lora: LoraInjectionConfig = { targetModules, r: rank, loraAlpha: alpha, useRslora, layersToTransform, rankPattern, alphaPattern, loraDropout, seed: numberFlag(args, 'seed') };
  return {
    mode: args.flags.has('full') ? { kind: 'full' } : { kind: 'lora', lora },
    fields: {
      r: rank, loraAlpha: alpha, targetModules: targetModules === 'all-linear' ? 'all-linear' : [...targetModules], useRslora,
      layersToTransform, rankPattern, alphaPattern, loraDropout, baseModelNameOrPath: baseName,
    },
  };
}

/** The adapter and merged-checkpoint exports of a trained model (the merged folder gets the base's tokenizer files). */
export function lmExports(gpu: Gpu, model: LlamaModel, fields: AdapterConfigFields, tokenizerFiles: Record<string, string> = {}): Pick<TaskRun, 'adapterFiles' | 'mergedFiles'> {
  return {
    async adapterFiles() {
      if (!model.linears.some((l) => l.lora)) return {}; // full fine-tuning: no adapter, only merged weights
      return adapterFolderFiles(await readAdapter(gpu, model, fields));
    },
    mergedFiles: (dtype) => mergedCheckpointFiles(gpu, model, dtype, tokenizerFiles), // the tokenizer travels with the model
  };
}

/** Refuses a run that would not fit (per-buffer limits, --gpu-memory budget) before anything is allocated. */
export function checkRunFits(gpu: Gpu, args: ParsedArgs, config: LlamaConfig, options: EstimateOptions): MemoryEstimate {
  return checkRunFitsDevice(gpu, config, { ...options, optimizer: optimizerFlag(args) }, numberFlag(args, 'gpu-memory') * 1024 ** 3);
}
