// Settings at page load: the link's parameters over what this browser saved; a bad parameter in
// the link takes the default (not the saved value) and is named, with the value used instead.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS, settingsToQuery } from '../settings/playground-settings.ts';
import { loadSettings, saveSettings } from './persistence.ts';

function browser(search: string) {
  const items = new Map<string, string>();
  const location = { search, pathname: '/' };
  vi.stubGlobal('localStorage', { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) });
  vi.stubGlobal('location', location);
  vi.stubGlobal('history', { replaceState: (_: unknown, __: string, url: string) => void (location.search = url.slice(url.indexOf('?'))) });
  return location;
}

describe('settings from a shared link', () => {
  let location: { search: string };
  beforeEach(() => void (location = browser('')));
  afterEach(() => void vi.unstubAllGlobals());

  it('a bad value in the link falls back to the default, not to the value saved in localStorage, and the message names the parameter and the value used', () => {
    const saved = { ...DEFAULT_SETTINGS, task: 'tiny-lm' as const, steps: 500, rank: 16, alpha: 32, alphaLock: false, lr: 0.005 };
    expect(saveSettings(saved)).toBeNull(); // what this browser saved (and the URL it wrote)
    expect(location.search).toBe(`?${settingsToQuery(saved)}`);
    location.search = '?steps=abc&rank=999&lr=0.02'; // a shared link, with two bad values
    const { settings, problems } = loadSettings();
    expect(settings.steps).toBe(DEFAULT_SETTINGS.steps); // not 500
    expect(settings.rank).toBe(DEFAULT_SETTINGS.rank); // not 16
    expect(settings.lr).toBe(0.02); // valid: taken from the link
    expect(settings.alpha).toBe(32); // absent from the link: the saved value
    expect(settings.task).toBe('tiny-lm');
    expect(problems).toEqual([
      'link parameter rank: rank must be ≥ 1 and ≤ 64, got 999; using the default, 4',
      "link parameter steps: steps must be a number ≥ 1 and ≤ 100000, got 'abc'; using the default, 60",
    ]);
  });

  it('without a link, the saved settings come back; nothing saved, the defaults', () => {
    expect(loadSettings()).toEqual({ settings: DEFAULT_SETTINGS, problems: [] });
    const saved = { ...DEFAULT_SETTINGS, rank: 8, alpha: 16 };
    saveSettings(saved);
    location.search = '';
    expect(loadSettings()).toEqual({ settings: saved, problems: [] });
  });
});
