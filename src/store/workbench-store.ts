// The training workbench as plain data: settings (mirrored to the URL and localStorage), the
// run in progress, earlier runs (persisted), the inspector's gradient norms, the base
// fingerprint, the merge report and generations.
import { create } from 'zustand';
import type { AccuracyPlan, AccuracyPoint, MemoryBreakdown, MergeReport, ModuleInfo, RunStatus, Spectra } from '../engine/types.ts';
import { DEFAULT_SETTINGS, type PlaygroundSettings } from '../settings/playground-settings.ts';
import type { LossPoint } from './series.ts';

export interface RunRecord {
  id: string;
  label: string;
  settings: PlaygroundSettings;
  points: LossPoint[];
  visible: boolean;
  /** Its colour in the chart, kept for the run's life (deleting another run recolours nothing). */
  colorIndex?: number;
  /** The task's loss floor for this run (the teacher's, from the engine), drawn dashed. */
  floor?: number;
}

export type { RunStatus };

/** One run of a rank sweep: the rank (or full fine-tuning) and where its loss ended. */
export interface SweepPoint {
  rank: number | 'full';
  runId: string;
  /** The validation loss at the last step (the engine evaluates there), else the last training loss. */
  loss: number;
  /** The task's floor for this rank, from the engine (the teacher's). */
  floor?: number;
}

/** Train r = 1, 2, 4, 8 (and full fine-tuning where the task has it) with one seed, in one click. */
export interface RankSweep {
  task: PlaygroundSettings['task'];
  ranks: number[];
  steps: number;
  points: SweepPoint[];
  running: boolean;
  /** Why it stopped early (paused, an error), or null. */
  stopped: string | null;
}

export interface WorkbenchState {
  settings: PlaygroundSettings;
  /** Values a shared link or saved state held that the schema refused. */
  settingsProblems: string[];
  status: RunStatus;
  /** The run the workbench holds (its record is in `runs`), or null before the first step. */
  currentRun: string | null;
  runs: RunRecord[];
  modules: ModuleInfo[];
  frozenNames: string[];
  /** Per trainable tensor name: its gradient norm at every step so far (for sparklines). */
  norms: Record<string, number[]>;
  fingerprint: { initial: string; current: string; atStep: number } | null;
  /** The current run's learned-update spectra, read from the engine after a window of steps. */
  spectra: Spectra | null;
  /**
   * The tiny Llama's exact-match accuracy on both corpora (0–1) at step 0 and at every evaluation,
   * for the latest language-model run (its plan says on how many prompts, or why it is not
   * measured); null before one, and for the teacher. Kept (not persisted) when the run is reset.
   */
  accuracy: { runId: string; plan: AccuracyPlan; points: AccuracyPoint[] } | null;
  merge: { merged: boolean; report: MergeReport | null };
  sweep: RankSweep | null;
  /** Live GPU bytes by kind, read from the engine's allocation registry. */
  memory: MemoryBreakdown | null;
  /** LoRA beside full fine-tuning: the last breakdown measured in each mode (this visit). */
  memoryByMode: { lora: MemoryBreakdown | null; full: MemoryBreakdown | null };
  /** Completions of the base and the trained model (base null: full fine-tuning overwrote the base weights). */
  generation: { base: string | null; adapted: string } | null;
  notice: { kind: 'error' | 'info'; text: string } | null;
  /** An autosaved run that did not finish (found at page load): offered for resuming. */
  resumeOffer: { runId: string; label: string; step: number } | null;
  set(partial: Partial<WorkbenchState>): void;
}

export const useWorkbench = create<WorkbenchState>((set) => ({
  settings: DEFAULT_SETTINGS,
  settingsProblems: [],
  status: 'idle',
  currentRun: null,
  runs: [],
  modules: [],
  frozenNames: [],
  norms: {},
  fingerprint: null,
  spectra: null,
  sweep: null,
  accuracy: null,
  merge: { merged: false, report: null },
  memory: null,
  memoryByMode: { lora: null, full: null },
  generation: null,
  notice: null,
  resumeOffer: null,
  set: (partial) => set(partial),
}));

export function runLabel(s: PlaygroundSettings): string {
  const targets = s.task === 'teacher' ? '' : ` ${s.targets === 'all-linear' ? 'all-linear' : s.targets.join('+')}`;
  const optimizer = s.optimizer === 'sgd' ? ' SGD' : '';
  const clip = s.maxGradNorm > 0 ? '' : ' no clip';
  if (s.full && s.task === 'tiny-lm') return `${s.task} full fine-tuning${s.optimizer === 'sgd' ? ' SGD' : ''} lr=${s.lr}${s.maxGradNorm > 0 ? '' : ' no clip'}`;
  return `${s.task} r=${s.rank} α=${s.alpha}${s.rslora ? ' rsLoRA' : ''}${targets}${optimizer} lr=${s.lr}${clip}`;
}
