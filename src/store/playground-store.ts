// What the page shows about the model, training and the adapter library: plain data only.
import { create } from 'zustand';
import type { BaseSummary, StoredAdapterSummary, TextSummary } from '../engine/types.ts';
import type { CachedHubModel, HubProgress } from '../io/hub.ts';

export type { BaseSummary, TextSummary };

export interface PlaygroundState {
  busy: string | null; // what long work is running, shown as progress
  message: { kind: 'error' | 'info'; text: string } | null;
  base: BaseSummary | null;
  text: TextSummary | null;
  /** The adapter in the LoRA layers now: a library name, 'unsaved' after training, or null (base only). */
  active: string | null;
  library: StoredAdapterSummary[];
  evaluation: { adapter: string | null; loss: number; tokens: number }[];
  /** The Hub download in progress (the model's name; null: none), each file's progress, and the cached models. */
  hub: { downloading: string | null; files: HubProgress[]; cached: CachedHubModel[] };
  set(partial: Partial<PlaygroundState>): void;
}

export const usePlayground = create<PlaygroundState>((set) => ({
  busy: null,
  message: null,
  base: null,
  text: null,
  active: null,
  library: [],
  evaluation: [],
  hub: { downloading: null, files: [], cached: [] },
  set: (partial) => set(partial),
}));
