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

// The engine's events come on their own channel (a comlink proxy), so an engine call's answer can
// come before the run's last events. The rank sweep reads each run's last point: it must wait for them.
describe('page controller, events that come after the call they belong to', () => {
  it('the rank sweep records every rank when train() answers before its steps and status arrive', async () => {
    let controller!: PageController;
    const later = (f: () => void) => setTimeout(f, 5);
    const engine = {
      reset: async () => later(() => controller.handle({ type: 'run', run: null })),
      async train(s: typeof DEFAULT_SETTINGS, proposal: { runId: string }) {
        later(() => {
          controller.handle({ type: 'status', status: 'running' });
          controller.handle({ type: 'run', run: { runId: proposal.runId, settings: s, modules: [], frozenNames: [], step: 0, lossFloor: 0.1 } });
          const metrics = Array.from({ length: s.steps }, (_, i) => ({ step: i + 1, loss: 1 / (i + 1) / s.rank, gradNorms: {} }));
          controller.handle({ type: 'steps', runId: proposal.runId, metrics } as never);
          controller.handle({ type: 'status', status: 'idle' });
        });
      },
      spectra: () => Promise.reject(new Error('not here')),
    } as unknown as Engine;
    controller = new PageController(engine, { saveSettings: () => null, saveRuns: () => null, download: () => {}, now: () => Date.now() });
    useWorkbench.getState().set({ runs: [], currentRun: null, status: 'idle', sweep: null, notice: null, settings: { ...DEFAULT_SETTINGS, task: 'teacher', steps: 3 } });
    await controller.rankSweep([1, 2]);
    const sweep = useWorkbench.getState().sweep!;
    expect(sweep.stopped).toBeNull();
    expect(sweep.points.map((p) => [p.rank, p.loss])).toEqual([[1, 1 / 3], [2, 1 / 6]]);
  });
});
