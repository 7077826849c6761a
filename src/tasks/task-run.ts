// A task the Session can train, built from plain options (src/tasks/run-options.ts) by the
// factories in teacher-run.ts, tiny-lm-run.ts and text-run.ts: something to train, what it
// freezes, its adapter layers, and its exports. Its GPU buffers are freed by whoever built it
// inside an allocation scope (src/engine/run.ts, runFromTask).
import type { Dtype } from '../io/safetensors.ts';
import type { GpuTensor } from '../gpu/buffers.ts';
import type { LoRALinear } from '../lora/lora-linear.ts';
import type { LlamaModel } from '../model/llama-model.ts';
import type { TrainingTarget } from '../train/trainer.ts';

export type TaskFiles = Record<string, string | Uint8Array>;

export interface TaskRun {
  target: TrainingTarget;
  /** The layers with an adapter (none under full fine-tuning): merged and inspected by the Session. */
  loraLayers: { path: string; lora: LoRALinear }[];
  /** The frozen base tensors (under full fine-tuning: every weight) whose fingerprint the Session reports. */
  baseTensors: GpuTensor[];
  /** The language model, when the task trains one. */
  model: LlamaModel | null;
  /** adapter_model.safetensors and adapter_config.json of the current adapter ({} under full fine-tuning). */
  adapterFiles(): Promise<TaskFiles>;
  /** The merged weights (the base with the adapter folded in, then restored bit for bit), as safetensors (+ config.json). */
  mergedFiles(dtype: Dtype): Promise<TaskFiles>;
  /** Task-specific figures after training (floor, accuracy, …). */
  summary?(): Promise<Record<string, unknown>>;
}
