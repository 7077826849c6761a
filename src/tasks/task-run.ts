// What the CLI (and later the page) needs from a task: something to train, and its exports.
import type { TrainingTarget } from '../train/trainer.ts';

export interface TaskRun {
  target: TrainingTarget;
  /** adapter_model.safetensors and adapter_config.json of the current adapter. */
  adapterFiles(): Promise<Record<string, string | Uint8Array>>;
  /** The merged weights (the base with the adapter folded in), as safetensors (+ config.json). */
  mergedFiles(dtype: 'F32' | 'F16'): Promise<Record<string, string | Uint8Array>>;
  /** Task-specific figures after training (floor, accuracy, …). */
  summary?(): Promise<Record<string, unknown>>;
}
