// What survives a reload in this tab's storage: the settings (URL first, then localStorage) and
// the runs (localStorage, each kept to at most MAX_STORED_POINTS points). A full storage is
// reported, never swallowed. (Adapters and the autosaved checkpoint live in IndexedDB, written
// by the engine worker: src/worker/idb-storage.ts.)
import { DEFAULT_SETTINGS, settingsFromQuery, settingsToQuery, type PlaygroundSettings } from '../settings/playground-settings.ts';
import { downsample } from '../store/series.ts';
import type { RunRecord } from '../store/workbench-store.ts';

const SETTINGS_KEY = 'lora-playground.settings';
const RUNS_KEY = 'lora-playground.runs';
export const MAX_STORED_POINTS = 2000;

/**
 * The link's settings over those saved in this browser. A parameter the link leaves out keeps the
 * saved value; a bad one takes the default (not the saved value), and is named in `problems`.
 */
export function loadSettings(): { settings: PlaygroundSettings; problems: string[] } {
  const saved = localStorage.getItem(SETTINGS_KEY);
  const fallback = saved ? settingsFromQuery(saved).settings : DEFAULT_SETTINGS;
  return settingsFromQuery(location.search, fallback, DEFAULT_SETTINGS);
}

/** Mirrors the settings into the URL (a shared link restores them) and localStorage. */
export function saveSettings(s: PlaygroundSettings): string | null {
  const query = settingsToQuery(s);
  history.replaceState(null, '', `${location.pathname}?${query}`);
  return write(SETTINGS_KEY, query);
}

export function loadRuns(): RunRecord[] {
  try {
    const runs = JSON.parse(localStorage.getItem(RUNS_KEY) ?? '[]') as RunRecord[];
    return Array.isArray(runs) ? runs.filter((r) => r && typeof r.id === 'string' && Array.isArray(r.points)) : [];
  } catch {
    return [];
  }
}

export function saveRuns(runs: RunRecord[]): string | null {
  return write(RUNS_KEY, JSON.stringify(runs.map((r) => ({ ...r, points: downsample(r.points, MAX_STORED_POINTS) }))));
}

const HUB_KEY = 'lora-playground.hub';

/** The Hub form's last endpoint, revision and model id (no secrets: the page sends no token). */
export interface HubFormSettings {
  model: string;
  endpoint: string;
  revision: string;
}

export function loadHubForm(fallback: HubFormSettings): HubFormSettings {
  try {
    const saved = JSON.parse(localStorage.getItem(HUB_KEY) ?? '{}') as Partial<HubFormSettings>;
    const pick = (k: keyof HubFormSettings) => (typeof saved[k] === 'string' && saved[k] ? saved[k] : fallback[k]);
    return { model: pick('model'), endpoint: pick('endpoint'), revision: pick('revision') };
  } catch {
    return fallback;
  }
}

export function saveHubForm(s: HubFormSettings): string | null {
  return write(HUB_KEY, JSON.stringify(s));
}

function write(key: string, value: string): string | null {
  try {
    localStorage.setItem(key, value);
    return null;
  } catch (err) {
    return `could not save to browser storage (${(err as Error).name}): delete some runs to make room`;
  }
}
