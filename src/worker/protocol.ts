// The worker protocol: what the page's thread may ask the engine worker (src/worker/engine-worker.ts),
// called through comlink (src/app/engine-client.ts). Arguments and results are structured-cloned;
// files go in as File handles (read in the worker), exports come back as .zip Files (src/worker/export-archive.ts).
// Events (src/engine/types.ts, SessionEvent) flow back through the callback given to init().
import type { CombinationType } from '../adapters/combine.ts';
import type { BaseSummary, Generation, GpuStatus, MemoryBreakdown, MergeReport, RunInfo, RunProposal, SavedCheckpoint, SessionEvent, Spectra, StoredAdapterSummary, TextSummary } from '../engine/types.ts';
import type { CachedHubModel, HubProgress } from '../io/hub.ts';
import type { PlaygroundSettings } from '../settings/playground-settings.ts';
import type { Faults } from './faults.ts';

export interface ZipExport {
  name: string; // the archive's file name
  zip: Blob; // a File on disk (the origin private file system) where the browser has one
}

/** A model to fetch from a Hub endpoint: an id (ORG/NAME, hf:ORG/NAME@REV) or a model URL. */
export interface HubRequest {
  model: string;
  endpoint: string;
  revision: string;
  /** The name adapter files give as base_model_name_or_path; default the Hub id. */
  name?: string;
}

export interface EngineApi {
  /** Starts the Session (acquires the device); `faults` only in tests. */
  init(events: (e: SessionEvent) => void, faults: Faults | null): Promise<GpuStatus>;
  train(s: PlaygroundSettings, proposal: RunProposal): Promise<void>;
  step(s: PlaygroundSettings, proposal: RunProposal): Promise<void>;
  pause(): void;
  reset(): void;
  merge(): Promise<MergeReport>;
  unmerge(): Promise<void>;
  /** `dtype`: the merged weights' dtype; by default the base's own (BF16 stays BF16). */
  exportRun(what: 'adapter' | 'merged', dtype?: 'F32' | 'F16' | 'BF16'): Promise<ZipExport>;
  generate(prompt: string, maxNew: number, temperature: number, seed: number): Promise<Generation>;
  /**
   * The spectra of the run's learned updates (Session.spectra: singular values, effective rank,
   * ‖ΔW‖/‖W‖ per adapter; the teacher's ΔW*, principal angles, heatmaps, floor). Ask after a window
   * of steps or after Train/Step resolves, not every step; during training it answers between windows.
   */
  spectra(): Promise<Spectra>;
  interruptedRun(): Promise<Omit<SavedCheckpoint, 'tensors'> | null>;
  resumeInterruptedRun(runId: string): Promise<RunInfo>;
  discardInterruptedRun(): Promise<void>;
  loadBuiltinModel(): Promise<BaseSummary>;
  loadModelFiles(files: File[]): Promise<BaseSummary>;
  /**
   * Fetches a Hub model into the cache (files already there are not fetched again; a partial one
   * resumes), reporting each file's progress through `onProgress` (a comlink proxy), then loads it
   * as the base like picked files. The model loaded before stays if anything fails.
   */
  loadHubModel(request: HubRequest, onProgress: (p: HubProgress) => void): Promise<BaseSummary>;
  /** Stops the download in progress; what was received is kept and resumed next time. */
  cancelHubDownload(): void;
  listHubCache(): Promise<CachedHubModel[]>;
  deleteHubCache(key: string): Promise<CachedHubModel[]>;
  loadTextFile(file: File): Promise<TextSummary>;
  refreshLibrary(): Promise<StoredAdapterSummary[]>;
  saveAdapter(name: string): Promise<void>;
  activateAdapter(name: string | null): Promise<void>;
  evaluate(): Promise<{ adapter: string | null; loss: number; tokens: number } | undefined>;
  deleteAdapter(name: string): Promise<void>;
  combine(a: string, b: string, how: CombinationType, weights: [number, number], name: string): Promise<void>;
  importAdapter(files: File[], name: string): Promise<void>;
  exportStoredAdapter(name: string): Promise<ZipExport>;
  exportActiveMerged(): Promise<ZipExport | undefined>;
  memory(): MemoryBreakdown | null;
  loseDevice(kind: 'destroy' | 'reset'): void;
  breakPass(label: string): void;
}
