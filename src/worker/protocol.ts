// The worker protocol: what the page's thread may ask the engine worker (src/worker/engine-worker.ts),
// called through comlink (src/app/engine-client.ts). Arguments and results are structured-cloned;
// files go in as File handles (read in the worker), exports come back as .zip bytes (transferred).
// Events (src/engine/types.ts, SessionEvent) flow back through the callback given to init().
import type { CombinationType } from '../adapters/combine.ts';
import type { BaseSummary, GpuStatus, MemoryBreakdown, MergeReport, RunInfo, RunProposal, SavedCheckpoint, SessionEvent, StoredAdapterSummary, TextSummary } from '../engine/types.ts';
import type { PlaygroundSettings } from '../settings/playground-settings.ts';
import type { Faults } from './faults.ts';

export interface ZipExport {
  name: string; // the archive's file name
  zip: Uint8Array;
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
  exportRun(what: 'adapter' | 'merged'): Promise<ZipExport>;
  generate(prompt: string, maxNew: number, temperature: number, seed: number): Promise<{ base: string | null; adapted: string }>;
  interruptedRun(): Promise<Omit<SavedCheckpoint, 'tensors'> | null>;
  resumeInterruptedRun(runId: string): Promise<RunInfo>;
  discardInterruptedRun(): Promise<void>;
  loadBuiltinModel(): Promise<BaseSummary>;
  loadModelFiles(files: File[]): Promise<BaseSummary>;
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
