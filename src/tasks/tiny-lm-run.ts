// The tiny-lm task as a CLI run: loads the bundled base (or --model DIR), adapts it to corpus B
// with LoRA (or full fine-tuning with --full), and exports the adapter and the merged model.
import { readFileSync } from 'node:fs';
import type { ParsedArgs } from '../cli/args.ts';
import { numberFlag, stringFlag } from '../cli/flags.ts';
import { readTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { llamaCheckpointFiles, parseLlamaCheckpoint } from '../io/hf-checkpoint.ts';
import { adapterConfigJson, adapterSafetensors } from '../io/peft.ts';
import { parseTargetModules, type LoraInjectionConfig } from '../lora/injection.ts';
import { SettingError } from '../settings/schema.ts';
import type { TaskRun } from './task-run.ts';
import { TINY_BASE_DIR } from './tiny-base.ts';
import { createTinyLmTask } from './tiny-lm.ts';

function readModel(dir: string) {
  let configText: string;
  let weights: Uint8Array;
  try {
    configText = readFileSync(`${dir}/config.json`, 'utf8');
    weights = readFileSync(`${dir}/model.safetensors`);
  } catch (err) {
    throw new SettingError(`cannot read the model in ${dir}: ${(err as Error).message}`);
  }
  return parseLlamaCheckpoint(configText, weights);
}

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

export async function createTinyLmRun(gpu: Gpu, args: ParsedArgs): Promise<TaskRun> {
  // Every flag is checked before anything is read or allocated.
  const modelDir = stringFlag(args, 'model') ?? TINY_BASE_DIR;
  const rank = numberFlag(args, 'rank');
  const alpha = numberFlag(args, 'alpha', 2 * rank);
  const useRslora = args.flags.has('rslora');
  const targetModules = parseTargetModules(stringFlag(args, 'targets') ?? 'all-linear');
  const { config, weights } = readModel(modelDir);
  const layersToTransform = parseLayers(stringFlag(args, 'layers'), config.num_hidden_layers);
  const full = args.flags.has('full');
  const rankPattern = parsePattern('rank-pattern', stringFlag(args, 'rank-pattern'), true);
  const alphaPattern = parsePattern('alpha-pattern', stringFlag(args, 'alpha-pattern'), false);
  const loraDropout = numberFlag(args, 'dropout');
  const lora: LoraInjectionConfig = { targetModules, r: rank, loraAlpha: alpha, useRslora, layersToTransform, rankPattern, alphaPattern, loraDropout, seed: numberFlag(args, 'seed') };
  const task = await createTinyLmTask(gpu, config, weights, {
    corpus: 'lines',
    batch: numberFlag(args, 'batch'),
    seq: numberFlag(args, 'seq-len'),
    seed: numberFlag(args, 'seed'),
    mode: full ? { kind: 'full' } : { kind: 'lora', lora },
  });
  const before = { accuracy_lines: await task.accuracy('lines'), accuracy_caps: await task.accuracy('caps'), val_loss: await task.validationLoss!() };
  const model = task.model;
  return {
    target: task,
    async adapterFiles(): Promise<Record<string, string | Uint8Array>> {
      const modules = [];
      for (const l of model.linears) {
        if (!l.lora) continue;
        const c = l.lora.config;
        modules.push({ path: l.path, loraA: await readTensor(gpu, l.lora.loraA), loraB: await readTensor(gpu, l.lora.loraB), rank: c.rank, inDim: c.inFeatures, outDim: c.outFeatures });
      }
      if (modules.length === 0) return {}; // full fine-tuning: no adapter, only merged weights
      return {
        'adapter_model.safetensors': adapterSafetensors(modules),
        'adapter_config.json': adapterConfigJson({
          r: rank, loraAlpha: alpha, targetModules: targetModules === 'all-linear' ? 'all-linear' : [...targetModules], useRslora,
          layersToTransform, rankPattern, alphaPattern, loraDropout, baseModelNameOrPath: modelDir,
        }),
      };
    },
    async mergedFiles(dtype) {
      model.merge();
      const merged = new Map<string, Float32Array>();
      for (const [name, tensor] of model.weights) merged.set(name, await readTensor(gpu, tensor));
      model.unmerge();
      return llamaCheckpointFiles(config, merged, dtype);
    },
    async summary() {
      const after = { accuracy_lines: await task.accuracy('lines'), accuracy_caps: await task.accuracy('caps'), val_loss: await task.validationLoss!() };
      const trainable = model.trainable.reduce((s, p) => s + p.param.numel, 0);
      return { task: 'tiny-lm', base: modelDir, mode: full ? 'full' : 'lora', trainable_params: trainable, before, after };
    },
  };
}
