// Loss against step for the current run (raw and smoothed, validation points) and any earlier
// runs, labelled by their configuration in the run list below the chart (its swatches are the
// legend). Every point is stored; at most ~1,500 per run are drawn (src/ui/LossChart.tsx).
import { useDeferredValue, useMemo } from 'react';
import { LossChart, type LossSeries } from './LossChart.tsx';
import { controller } from '../app/controller.ts';
import { downsample, smooth } from '../store/series.ts';
import { useWorkbench } from '../store/workbench-store.ts';

const COLORS = ['#2a5d8f', '#d9480f', '#2b8a3e', '#862e9c', '#c2255c', '#0b7285', '#e67700', '#495057'];
const DRAWN_POINTS = 1500;
/** EMA weight: light, so a fast-falling loss is not drawn far above its raw values. */
const SMOOTHING = 0.6;

export function LossPanel() {
  const runs = useWorkbench((x) => x.runs);
  const currentRun = useWorkbench((x) => x.currentRun);
  const drawnRuns = useDeferredValue(runs);
  // Deferred: the chart redraws after more urgent updates, in a slice of its own.
  const series: LossSeries[] = useMemo(
    () =>
      drawnRuns.map((run, i) => {
        const drawn = downsample(run.points, DRAWN_POINTS);
        const smoothed = smooth(drawn.map((p) => p.loss), SMOOTHING);
        return {
          run, color: COLORS[(run.colorIndex ?? i) % COLORS.length],
          data: drawn.map((p, j) => ({ step: p.step, loss: p.loss, smoothed: smoothed[j] })),
          validation: run.points.filter((p) => p.valLoss !== undefined).map((p) => ({ step: p.step, valLoss: p.valLoss })),
        };
      }),
    [drawnRuns],
  );
  const current = runs.find((r) => r.id === currentRun);
  const last = current?.points.at(-1);
  return (
    <section className="panel panel-wide" aria-labelledby="loss-title">
      <h2 id="loss-title">Loss</h2>
      <p className="note" data-testid="loss-summary">
        {current && last
          ? `${current.label}: step ${last.step}, loss ${last.loss.toFixed(5)} (first ${current.points[0].loss.toFixed(5)})`
          : runs.length ? `${runs.length} earlier run${runs.length > 1 ? 's' : ''} below; Train to add one.` : 'Train to see the loss fall.'}
      </p>
      <div className="chart" data-testid="loss-chart" data-points={current?.points.length ?? 0}>
        <LossChart series={series} currentRun={currentRun} />
      </div>
      {runs.length > 0 && <p className="note small">Thick line: smoothed loss · faint line: raw loss of the current run · dots: validation loss. Colours as in the list of runs.</p>}
      {runs.length > 0 && (
        <ul className="runs" aria-label="runs">
          {series.map(({ run, color }) => (
            <li key={run.id} data-testid="run-item">
              <label><input type="checkbox" checked={run.visible} onChange={() => controller().toggleRun(run.id)} aria-label={`show ${run.label}`} /> <span className="swatch" style={{ background: color }} /> {run.label}</label>
              <span className="note"> {run.points.length} steps{run.id === currentRun ? ' (current)' : ''}</span>
              <button type="button" className="link" onClick={() => controller().deleteRun(run.id)} aria-label={`delete run ${run.label}`}>delete</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
