// AccuracyPanel's view rendered to markup (the server renderer reads a zustand store's initial
// state, so the view takes the store's values as props): the values it carries for the e2e tests,
// the note for a run without corpora, and nothing for the teacher.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { TaskName } from '../settings/playground-settings.ts';
import type { WorkbenchState } from '../store/workbench-store.ts';
import { AccuracyView } from './AccuracyPanel.tsx';

const render = (accuracy: WorkbenchState['accuracy'], task: TaskName = 'tiny-lm', floor?: number) => renderToStaticMarkup(createElement(AccuracyView, { task, accuracy, steps: 20, floor }));

describe('AccuracyPanel', () => {
  it('draws both corpora with their values, legend and axis titles', () => {
    const html = render({ runId: 'r', plan: { prompts: 16 }, points: [{ step: 0, lines: 0, caps: 1 }, { step: 10, lines: 0.4375, caps: 0.5625 }] }, 'tiny-lm', Math.log(26) / 3);
    expect(html).toContain('data-testid="accuracy-lines" data-values="0:0,10:0.4375"');
    expect(html).toContain('data-testid="accuracy-caps" data-values="0:1,10:0.5625"');
    expect(html).toContain('lines: what the adapter learns');
    expect(html).toContain('caps: what the base already did');
    expect(html).toContain('exact match (%)');
    expect(html).toContain('>step<');
    expect(html).toContain('1.086 nats per byte');
  });

  it('says why nothing is measured for a loaded model or text, and what to do before a run', () => {
    expect(render(null)).toContain('Train or Step the tiny Llama');
    expect(render({ runId: 'r', plan: { reason: 'a loaded model or text has no built-in corpora' }, points: [] })).toContain('Not measured: a loaded model or text has no built-in corpora.');
  });

  it('renders nothing for the teacher', () => {
    expect(render(null, 'teacher')).toBe('');
  });
});
