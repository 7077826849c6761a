// What every language-model run shares: the exports (PEFT adapter, merged checkpoint) of the model
// it trained, the layers the Session merges and fingerprints, and the memory check.
import { mergedCheckpointFiles, readAdapter } from '../adapters/model-adapter.ts';
import type { Gpu } from '../gpu/device.ts';
import { adapterFolderFiles, type AdapterConfigFields } from '../io/peft.ts';
import type { LlamaConfig } from '../model/config.ts';
import type { LlamaModel } from '../model/llama-model.ts';
import { checkRunFitsDevice, type EstimateOptions, type MemoryEstimate } from '../model/memory-estimate.ts';
import type { OptimizerKind } from '../train/optimizer.ts';
import type { TaskRun } from './task-run.ts';

/** The parts of a TaskRun every language-model run has the same way (the merged folder gets the base's tokenizer files). */
export function lmRunParts(gpu: Gpu, model: LlamaModel, fields: AdapterConfigFields, tokenizerFiles: Record<string, string> = {}): Omit<TaskRun, 'target' | 'summary'> {
  return {
    model,
    loraLayers: model.linears.filter((l) => l.lora).map((l) => ({ path: l.path, lora: l.lora! })),
    // Under LoRA these are frozen; under full fine-tuning they are what trains (its fingerprint changes).
    baseTensors: [...model.weights.values()],
    async adapterFiles() {
      if (!model.linears.some((l) => l.lora)) return {}; // full fine-tuning: no adapter, only merged weights
      return adapterFolderFiles(await readAdapter(gpu, model, fields));
    },
    mergedFiles: (dtype) => mergedCheckpointFiles(gpu, model, dtype, tokenizerFiles), // the tokenizer travels with the model
  };
}

/** Refuses a run that would not fit (per-buffer limits, the memory budget) before anything is allocated. */
export function checkRunFits(gpu: Gpu, config: LlamaConfig, options: EstimateOptions, optimizer: OptimizerKind, budgetBytes: number): MemoryEstimate {
  return checkRunFitsDevice(gpu, config, { ...options, optimizer }, budgetBytes);
}
