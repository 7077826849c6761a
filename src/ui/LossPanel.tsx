// Loss against step for the runs of one task (a filter: the teacher's MSE and the language
// model's cross-entropy do not share an axis), log or linear, with the current run's key numbers
// above and a compact table of numbered runs below instead of a growing legend. Every point is
// stored; at most ~1,500 per run are drawn (src/ui/LossChart.tsx).
import { useDeferredValue, useMemo, useState } from 'react';
import { LossChart, type LossScale, type LossSeries } from './LossChart.tsx';
import { controller } from '../app/controller.ts';
import type { PlaygroundSettings } from '../settings/playground-settings.ts';
import { downsample, smooth } from '../store/series.ts';
import { useWorkbench, type RunRecord } from '../store/workbench-store.ts';

const COLORS = ['#2a5d8f', '#d9480f', '#2b8a3e', '#862e9c', '#c2255c', '#0b7285', '#e67700', '#495057'];
const DRAWN_POINTS = 1500;
/** EMA weight: light, so a fast-falling loss is not drawn far above its raw values. */
const SMOOTHING = 0.6;
const TASK_NAMES: Record<PlaygroundSettings['task'], string> = { teacher: 'low-rank teacher (MSE)', 'tiny-lm': 'language model (cross-entropy)' };

/** The run's number in this tab's list: #1, #2, … in the order the runs were made. */
export const runNumber = (run: RunRecord, index: number) => (run.colorIndex ?? index) + 1;

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : Number(v.toPrecision(4)).toString());

export function LossPanel() {
  const runs = useWorkbench((x) => x.runs);
  const currentRun = useWorkbench((x) => x.currentRun);
  const settingsTask = useWorkbench((x) => x.settings.task);
  const [scale, setScale] = useState<LossScale>('log');
  const [taskChoice, setTaskChoice] = useState<PlaygroundSettings['task'] | null>(null);
  const task = taskChoice ?? settingsTask; // follows the task control until a task is picked here
  const drawnRuns = useDeferredValue(runs);
  // Deferred: the chart redraws after more urgent updates, in a slice of its own.
  const series: (LossSeries & { number: number })[] = useMemo(
    () =>
      drawnRuns.map((run, i) => {
        const drawn = downsample(run.points, DRAWN_POINTS);
        const smoothed = smooth(drawn.map((p) => p.loss), SMOOTHING);
        return {
          run, number: runNumber(run, i), color: COLORS[(run.colorIndex ?? i) % COLORS.length],
          data: drawn.map((p, j) => ({ step: p.step, loss: p.loss, smoothed: smoothed[j] })),
          validation: run.points.filter((p) => p.valLoss !== undefined).map((p) => ({ step: p.step, valLoss: p.valLoss })),
        };
      }),
    [drawnRuns],
  );
  const ofTask = series.filter((s) => s.run.settings.task === task);
  const otherTasks = series.length - ofTask.length;
  const current = runs.find((r) => r.id === currentRun);
  const currentNumber = series.find((s) => s.run.id === currentRun)?.number;
  const last = current?.points.at(-1);
  const lastVal = current && [...current.points].reverse().find((p) => p.valLoss !== undefined)?.valLoss;
  return (
    <section className="panel panel-wide loss-panel" aria-labelledby="loss-title">
      <div className="panel-head">
        <h2 id="loss-title">Loss</h2>
        <label className="inline-select">task
          <select aria-label="chart task" value={task} onChange={(e) => setTaskChoice(e.target.value as PlaygroundSettings['task'])}>
            {(Object.keys(TASK_NAMES) as PlaygroundSettings['task'][]).map((t) => <option key={t} value={t}>{TASK_NAMES[t]}</option>)}
          </select>
        </label>
        <span className="toggle" role="group" aria-label="loss axis">
          {(['log', 'linear'] as const).map((v) => (
            <button key={v} type="button" aria-pressed={scale === v} className={scale === v ? 'on' : ''} onClick={() => setScale(v)}>{v}</button>
          ))}
        </span>
      </div>
      <dl className="run-facts" data-testid="loss-summary">
        {current && last ? (
          <>
            <div><dt>run</dt><dd>#{currentNumber} {current.label}</dd></div>
            <div><dt>step</dt><dd data-testid="fact-step">{last.step}</dd></div>
            <div><dt>loss</dt><dd data-testid="fact-loss">{fmt(last.loss)}</dd></div>
            <div><dt>first loss</dt><dd data-testid="fact-first">{fmt(current.points[0].loss)}</dd></div>
            <div><dt>validation</dt><dd data-testid="fact-validation">{fmt(lastVal)}</dd></div>
            {current.floor !== undefined && (current.settings.task === 'teacher'
              ? <div><dt title="the expected loss a rank-r adapter cannot go below: ΔW*'s discarded singular values">floor (rank {current.settings.rank})</dt><dd data-testid="fact-floor">{fmt(current.floor)}</dd></div>
              : <div><dt title="the text's entropy rate: the expected loss on fresh text of the same kind, whatever the model (a fixed training text can be memorised below it)">floor (entropy, nats/byte)</dt><dd data-testid="fact-floor">{fmt(current.floor)}</dd></div>)}
          </>
        ) : (
          <div><dt>no run yet</dt><dd>{runs.length ? `${runs.length} earlier run${runs.length > 1 ? 's' : ''} below; Train to add one.` : 'Train to see the loss fall.'}</dd></div>
        )}
      </dl>
      <div className="chart" data-testid="loss-chart" data-points={current?.points.length ?? 0}>
        <LossChart series={ofTask} currentRun={currentRun} scale={scale} unit={task === 'teacher' ? 'MSE' : 'nats/token'} />
      </div>
      <p className="note small">
        Thick line: smoothed loss · faint: raw loss of the current run · dots: validation loss · dashed: the floor (teacher: what the run's rank cannot fit; language model: the text's entropy).
        {otherTasks > 0 && ` ${otherTasks} run${otherTasks > 1 ? 's' : ''} of the other task hidden: pick it above.`}
      </p>
      {ofTask.length > 0 && (
        <div className="run-table-wrap">
          <table className="table run-table" aria-label="runs">
            <thead><tr><th aria-label="shown" /><th>#</th><th>settings</th><th>steps</th><th>loss</th><th>val</th><th aria-label="delete" /></tr></thead>
            <tbody>
              {ofTask.map(({ run, color, number }) => {
                const end = run.points.at(-1);
                const val = [...run.points].reverse().find((p) => p.valLoss !== undefined)?.valLoss;
                return (
                  <tr key={run.id} data-testid="run-item" className={run.id === currentRun ? 'current' : ''}>
                    <td><input type="checkbox" checked={run.visible} onChange={() => controller().toggleRun(run.id)} aria-label={`show ${run.label}`} /></td>
                    <td><span className="swatch" style={{ background: color }} /> {number}</td>
                    <td className="run-label">{run.label}{run.id === currentRun ? ' (current)' : ''}</td>
                    <td>{run.points.length}</td>
                    <td>{fmt(end?.loss)}</td>
                    <td>{fmt(val)}</td>
                    <td><button type="button" className="link" onClick={() => controller().deleteRun(run.id)} aria-label={`delete run ${run.label}`}>delete</button></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
