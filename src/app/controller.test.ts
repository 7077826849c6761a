// The controller's handling of a rollback, without an engine: the chart keeps the points up to the
// step, and fills in those the engine kept with its autosave that this tab had not stored yet (the
// page stores its chart on its own thread, so a tab closed right after an autosave can be behind).
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../settings/playground-settings.ts';
import { useWorkbench } from '../store/workbench-store.ts';
import { PageController, type Engine } from './controller.ts';

describe('page controller, rollback', () => {
  it('drops points after the step and fills in the missing ones from the engine', () => {
    const saved: unknown[] = [];
    const controller = new PageController({} as Engine, { saveSettings: () => null, saveRuns: (runs) => (saved.push(runs), null), download: () => {}, now: () => 0 });
    const point = (step: number) => ({ step, loss: 1 / step });
    useWorkbench.getState().set({
      runs: [
        { id: 'a', label: 'a', settings: DEFAULT_SETTINGS, visible: true, points: [1, 2, 3, 4, 5].map(point) },
        { id: 'b', label: 'b', settings: DEFAULT_SETTINGS, visible: true, points: [1, 2, 3].map(point) },
      ],
    });
    controller.handle({ type: 'rolled-back', runId: 'a', step: 8, recent: [3, 4, 5, 6, 7, 8, 9].map(point) });
    expect(useWorkbench.getState().runs[0].points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(useWorkbench.getState().runs[1].points.map((p) => p.step)).toEqual([1, 2, 3]); // another run is untouched
    controller.handle({ type: 'rolled-back', runId: 'a', step: 4 });
    expect(useWorkbench.getState().runs[0].points.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(saved.at(-1)).toEqual(useWorkbench.getState().runs); // what the chart shows is what is stored
  });
});
