// The low-rank teacher as a run: plain options → task, and its adapter / merged exports.
import { readLayerAdapter, savedConfigFields } from '../adapters/model-adapter.ts';
import { readTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { adapterConfigJson, adapterSafetensors } from '../io/peft.ts';
import { serializeSafetensors } from '../io/safetensors.ts';
import { ExactMerge } from '../lora/exact-merge.ts';
import type { LoRALinear } from '../lora/lora-linear.ts';
import { validateLoRAShape } from '../lora/lora-math.ts';
import { SettingError } from '../settings/schema.ts';
import { createTeacherTask } from './low-rank-teacher.ts';
import type { TeacherRunOptions } from './run-options.ts';
import type { TaskRun } from './task-run.ts';

/**
 * The teacher layer's PEFT adapter (module `layer`) and its merged weight (the base restored bit
 * for bit afterwards): one tensor, `layer.weight`, in `mergedFile` (the CLI's model.safetensors;
 * the page names it for what it holds, see mergedLayerFile).
 */
export function teacherExports(gpu: Gpu, layer: LoRALinear, o: Pick<TeacherRunOptions, 'dim' | 'rank' | 'alpha' | 'rslora'>, mergedFile = 'model.safetensors'): Pick<TaskRun, 'adapterFiles' | 'mergedFiles'> {
  const { dim, rank } = o;
  return {
    async adapterFiles() {
      // DoRA's magnitude included; a PiSSA / OLoRA layer converted to a plain LoRA of rank 2r on W₀ (as PEFT).
      const module = await readLayerAdapter(gpu, 'layer', layer);
      return {
        'adapter_model.safetensors': adapterSafetensors([module]),
        'adapter_config.json': adapterConfigJson(savedConfigFields({
          r: rank, loraAlpha: o.alpha, targetModules: ['layer'], useRslora: o.rslora, layersToTransform: null, rankPattern: {}, alphaPattern: {}, loraDropout: 0, baseModelNameOrPath: null,
        }, [layer])),
      };
    },
    async mergedFiles(dtype) {
      const merging = new ExactMerge(gpu, [{ path: 'layer', lora: layer }]); // a layer merged already is read as it is
      await merging.merge();
      const weight = await readTensor(gpu, layer.weight);
      merging.unmerge();
      return { [mergedFile]: serializeSafetensors([{ name: 'layer.weight', shape: [dim, dim], data: weight }], { format: 'pt' }, dtype) };
    },
  };
}

/** A file name that says what the teacher's merged export is: one dim×dim tensor, not a model checkpoint. */
export function mergedLayerFile(dim: number): string {
  return `merged-layer-${dim}x${dim}.safetensors`;
}

export async function createTeacherRun(gpu: Gpu, o: TeacherRunOptions): Promise<TaskRun> {
  const { dim, rank, trueRank, alpha } = o;
  try {
    validateLoRAShape(dim, dim, rank);
    validateLoRAShape(dim, dim, trueRank);
  } catch (err) {
    throw new SettingError((err as Error).message.replace(/^rank/, 'rank (or true-rank)'));
  }
  const task = await createTeacherTask(gpu, { dim, trueRank, rank, alpha, useRslora: o.rslora, tokens: o.tokens, seed: o.seed, useDora: o.useDora, init: o.init });
  const layer = task.layer;
  return {
    target: task,
    loraLayers: [{ path: 'layer', lora: layer }],
    baseTensors: [layer.weight],
    model: null,
    ...teacherExports(gpu, layer, o),
    async summary() {
      return { task: 'low-rank-teacher', dim, true_rank: trueRank, rank, initial_loss: task.expected.initialLoss, floor: task.expected.floor, val_loss: await task.validationLoss!() };
    },
  };
}
