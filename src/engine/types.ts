// What the Session says and takes, as plain data: it crosses the worker boundary by structured
// clone (docs/ARCHITECTURE.md, "Worker protocol"), so nothing here holds a GPU object or a function.
import type { AdapterSummary } from '../gpu/device.ts';
import type { UnavailableReason } from '../gpu/errors.ts';
import type { LlamaConfig } from '../model/config.ts';
import type { MemoryPart } from '../model/memory-estimate.ts';
import type { PlaygroundSettings } from '../settings/playground-settings.ts';
import type { StepMetrics } from '../train/trainer.ts';

/** One step's losses, as the page charts them. */
export interface LossPoint {
  step: number;
  loss: number;
  valLoss?: number;
}

export type GpuStatus =
  | { state: 'pending' }
  | { state: 'ready'; adapter: AdapterSummary }
  | { state: 'unavailable'; reason: UnavailableReason | 'error'; message: string };

/** 'pausing': Pause was pressed and the steps in flight are finishing. */
export type RunStatus = 'idle' | 'running' | 'pausing' | 'paused';

export type Files = Record<string, string | Uint8Array>;

/** Forward times of one path on the probe batch: the median of `runs` timed runs (after a warm-up) and their spread. */
export interface Timing {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface MergeReport {
  maxAbsDiff: number; // max |output merged − output unmerged (low-rank path, as PEFT)| on the probe batch
  /**
   * Forward times. `unmerged`: the low-rank path, X·Wᵀ + s·(X·Aᵀ)·Bᵀ; `folded`: the path the
   * engine takes for inputs this long (W + s·B·A into a scratch copy, then one matmul), or null
   * where every layer keeps the low-rank path. `merge`: the merge itself, timed once (W ← W + s·B·A
   * in every adapted layer, the saved copies and the finiteness check included).
   */
  ms: { merge: number; base: Timing; unmerged: Timing; folded: Timing | null; merged: Timing };
}

/** What "Try it" wrote: the base's and the adapted model's completions of one prompt, and what bounded them. */
export interface Generation {
  /** The base model's completion; null where full fine-tuning wrote over the base weights. */
  base: string | null;
  adapted: string;
  /**
   * The adapter was merged into the weights: the adapted column is the merged model, and the base
   * column came from the base weights themselves (unmerged for it, then merged again, bit for bit).
   */
  merged: boolean;
  /** Tokens the run's model reads at once (its sequence length): the prompt and the completion share them. */
  context: number;
  /** The model's own limit (max_position_embeddings): a run with a longer sequence length can write more. */
  modelContext: number;
  /** Prompt tokens kept, and those cut from its start when it did not fit. */
  promptTokens: number;
  promptDropped: number;
  requested: number;
  /** New tokens written: fewer than `requested` when the context filled. */
  generated: number;
}

/**
 * One linear layer the run trains, as the engine holds it. `baseGrad` is the base weight's
 * gradient buffer: null when none exists (LoRA), otherwise its label and shape (full fine-tuning).
 */
export interface ModuleInfo {
  path: string;
  inDim: number;
  outDim: number;
  rank: number | null; // null: no adapter on this layer (full fine-tuning)
  /** The adapter's scale s the kernels use (α/r, or α/√r with rsLoRA); null without an adapter. */
  scale: number | null;
  baseGrad: { name: string; shape: number[] } | null;
  /** Trainer metric names of this layer's gradients (for the inspector's norms). */
  gradNames: { base: string | null; a: string | null; b: string | null };
}

/**
 * The spectrum of one adapter's learned update ΔW = s·B·A (src/lora/spectrum.ts: QR of B and Aᵀ,
 * then the SVD of the r×r core; src/reference/svd.ts is its float64 specification).
 */
export interface ModuleSpectrum {
  path: string;
  rank: number;
  scale: number; // s = α/r, or α/√r with rsLoRA
  /** min(r, out, in) singular values of ΔW, descending (all 0 while B = 0). */
  singularValues: number[];
  /** Roy & Vetterli's effective rank exp(H(p)), p = σ/Σσ: from 1 to the rank, 0 for ΔW = 0. */
  effectiveRank: number;
  /** How many σ are above 1e-6·σ_max (0 for ΔW = 0). */
  numericalRank: number;
  deltaNorm: number; // ‖ΔW‖_F = √Σσ²
  baseNorm: number; // ‖W‖_F of the frozen base (without the adapter, even while merged)
  ratio: number; // ‖ΔW‖_F / ‖W‖_F
}

/** The low-rank teacher's answer beside what the student learned (one d×d layer). */
export interface TeacherSpectrum {
  trueRank: number; // k
  /** ΔW*'s k singular values, descending. */
  trueSingularValues: number[];
  /**
   * Principal angles (radians, ascending) between the span of ΔW's top min(r, k) left singular
   * vectors and ΔW*'s column space; a direction ΔW has not learned (σ ≤ 1e-6·σ_max, or all of
   * them while B = 0) counts as π/2.
   */
  columnAngles: number[];
  /** The same for the right singular vectors and ΔW*'s row space. */
  rowAngles: number[];
  /** ΔW and ΔW* as (rows, cols) row-major f32, for a heatmap. */
  heatmap: { rows: number; cols: number; learned: Float32Array; truth: Float32Array };
  /** Expected loss of the untrained student (B = 0), and the floor the task states (expected.floor). */
  initialLoss: number;
  floor: number;
  /** The floor from ΔW*'s spectrum: Σ_{i>r} σ*_i² / (3·d) (teacherLossFloor: inputs uniform in [−1, 1], MSE). */
  floorFromSpectrum: number;
}

/** What Session.spectra() returns: every adapter's spectrum at one step, and the teacher's truth. */
export interface Spectra {
  runId: string;
  step: number;
  /** Layers with an adapter, in the model's order (none under full fine-tuning). */
  modules: ModuleSpectrum[];
  teacher: TeacherSpectrum | null;
}

/** Live GPU bytes by kind, read from the allocation registry (src/gpu/allocations.ts). */
export interface MemoryBreakdown {
  parts: Record<MemoryPart | 'trainer copies', number>;
  total: number;
  buffers: number;
  /** How many copies of the loaded base model's weights are alive (the page must never hold two). */
  baseCopies: number;
}

export interface BaseSummary {
  name: string;
  config: LlamaConfig;
  parameters: number;
  dtypes: string[];
  /** Frozen BF16/F16 weights stay packed on the GPU (two values per u32). */
  packed: boolean;
  /** GPU bytes of a LoRA run (r = 8 on q_proj, v_proj) at `batch` × `seq`, computed at load, before anything is allocated. */
  estimate: { batch: number; seq: number; total: number; baseWeights: number; f32Total: number };
}

export interface TextSummary {
  name: string;
  tokens: number;
}

export interface RunInfo {
  runId: string;
  /** The page's settings that made the run (null for a run built from a task's options, as the CLI's). */
  settings: PlaygroundSettings | null;
  modules: ModuleInfo[];
  frozenNames: string[];
  step: number;
  /** The lowest loss this run can reach, where the task knows it (the teacher: what a rank-r adapter cannot fit). */
  lossFloor?: number;
  /** Whether the run measures exact-match accuracy on the tiny-lm corpora (page's language-model runs only; absent for the others). */
  accuracy?: AccuracyPlan;
}

/**
 * The tiny Llama's exact-match accuracy on `prompts` prompts per corpus (src/tasks/tiny-lm.ts:
 * the two bytes greedy decoding writes after "kK\nx", measured in one pass by exactMatchOnePass)
 * at step 0 and at every evaluation of the validation loss; or why it is not measured (a loaded
 * model or text has no corpora; a sequence too short for a prompt).
 */
export type AccuracyPlan = { prompts: number } | { reason: string };

/** Accuracy (0–1) at one step: 'lines' is what the adapter learns, 'caps' what the base already did. */
export interface AccuracyPoint {
  step: number;
  lines: number;
  caps: number;
}

export interface StoredAdapterSummary {
  name: string;
  base: string;
  created: string;
  modules: number;
  r: number;
  alpha: number;
  targets: string;
  training: StoredAdapter['training'];
}

/** A PEFT adapter folder kept in a library, with its training record. */
export interface StoredAdapter {
  name: string;
  base: string;
  created: string;
  configJson: string; // adapter_config.json
  safetensors: Uint8Array; // adapter_model.safetensors
  modules: number; // LoRA layers it holds
  training: { task?: string; steps?: number; final_loss?: number; val_loss?: number; combined_from?: string[]; combination?: string; weights?: number[] };
}

/** Where adapters are kept: IndexedDB in the page (src/worker/idb-storage.ts), a folder in the CLI. */
export interface AdapterLibrary {
  list(): Promise<StoredAdapter[]>;
  get(name: string): Promise<StoredAdapter | undefined>;
  /** Adds; refuses a name already taken (nothing is overwritten). */
  add(adapter: StoredAdapter): Promise<void>;
  delete(name: string): Promise<void>;
}

/** The autosaved checkpoint of the current run (A and B, or every trainable tensor). */
export interface SavedCheckpoint {
  runId: string;
  label: string;
  settings: PlaygroundSettings | null;
  step: number;
  /** True once the run reached its steps: nothing to resume. */
  finished: boolean;
  tensors: Float32Array[];
  /** The language model and text the run trained on (null for the teacher). */
  base?: string | null;
  text?: string | null;
  /**
   * The run's last losses (up to RECENT_POINTS steps): the page persists its chart on another
   * thread, so a tab closed just after an autosave may have stored fewer points than the step.
   */
  recent?: LossPoint[];
  /** Model config, weight count, text name and length: a resume needs the same ones loaded. */
  data?: string | null;
  savedAt: string;
}

export interface CheckpointStore {
  write(c: Omit<SavedCheckpoint, 'savedAt'>): Promise<void>;
  read(): Promise<SavedCheckpoint | undefined>;
  clear(): Promise<void>;
}

/** Proposed identity of a run the next Train or Step may start (the page keeps run records by id). */
export interface RunProposal {
  runId: string;
  label: string;
}

export type SessionEvent =
  | { type: 'gpu'; status: GpuStatus }
  | { type: 'status'; status: RunStatus }
  /** A run was built (new, resumed, or rebuilt after a lost device). */
  | { type: 'run'; run: RunInfo | null }
  | { type: 'steps'; runId: string; metrics: StepMetrics[] }
  /** Exact-match accuracy on both corpora after `point.step` (runs whose RunInfo.accuracy has `prompts`). */
  | { type: 'accuracy'; runId: string; point: AccuracyPoint }
  /** A checkpoint of the run at `step` was kept (in memory, and autosaved where there is a store). */
  | { type: 'checkpoint'; runId: string; step: number }
  /** The run's adapter went back to `step`: the chart drops its points after it. */
  | { type: 'rolled-back'; runId: string; step: number; recent?: LossPoint[] }
  | { type: 'fingerprint'; initial: string; current: string; atStep: number }
  | { type: 'merge'; merged: boolean; report: MergeReport | null }
  | { type: 'memory'; memory: MemoryBreakdown }
  | { type: 'base'; base: BaseSummary | null; text: TextSummary | null }
  | { type: 'active-adapter'; name: string | null }
  | { type: 'library'; adapters: StoredAdapterSummary[] }
  | { type: 'progress'; text: string | null }
  | { type: 'notice'; kind: 'error' | 'info'; text: string; area: 'run' | 'library' };
