// Loss against step for the current run (raw and smoothed, validation points) and any earlier
// runs, labelled by their configuration. Every point is stored; at most ~1,500 per run are drawn.
import { memo, useDeferredValue, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { controller } from '../app/controller.ts';
import { downsample, smooth } from '../store/series.ts';
import { useWorkbench, type RunRecord } from '../store/workbench-store.ts';

const COLORS = ['#2a5d8f', '#d9480f', '#2b8a3e', '#862e9c', '#c2255c', '#0b7285', '#e67700', '#495057'];
const DRAWN_POINTS = 1500;
/** EMA weight: light, so a fast-falling loss is not drawn far above its raw values. */
const SMOOTHING = 0.6;

/** The chart renders from a deferred copy of the runs: React draws it in interruptible slices, so a redraw never blocks the page for long. */
const LossChart = memo(function LossChart({ series, currentRun }: { series: Series[]; currentRun: string | null }) {
  return (
    <ResponsiveContainer width="100%" height={260}>
      <LineChart margin={{ top: 8, right: 24, bottom: 4, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDuplicatedCategory={false} />
        <YAxis scale="log" domain={['auto', 'auto']} allowDataOverflow width={64} tickFormatter={(v: number) => v.toPrecision(2)} />
        <Tooltip formatter={(v) => Number(v).toPrecision(5)} />
        <Legend />
        {series.filter((x) => x.run.visible).flatMap((x) => [
          ...(x.run.id === currentRun ? [<Line key={`${x.run.id}-raw`} data={x.data} dataKey="loss" name={`${x.run.label} (raw)`} stroke={x.color} strokeOpacity={0.35} dot={false} isAnimationActive={false} />] : []),
          <Line key={`${x.run.id}-smooth`} data={x.data} dataKey="smoothed" name={x.run.label} stroke={x.color} strokeWidth={2} dot={false} isAnimationActive={false} />,
          <Line key={`${x.run.id}-val`} data={x.validation} dataKey="valLoss" name={`${x.run.label} (validation)`} stroke="none" dot={{ r: 3, fill: x.color }} legendType="circle" isAnimationActive={false} />,
        ])}
      </LineChart>
    </ResponsiveContainer>
  );
});

type Series = { run: RunRecord; color: string; data: { step: number; loss: number; smoothed: number }[]; validation: { step: number; valLoss?: number }[] };

export function LossPanel() {
  const runs = useWorkbench((x) => x.runs);
  const currentRun = useWorkbench((x) => x.currentRun);
  const drawnRuns = useDeferredValue(runs);
  const series: Series[] = useMemo(
    () =>
      drawnRuns.map((run, i) => {
        const drawn = downsample(run.points, DRAWN_POINTS);
        const smoothed = smooth(drawn.map((p) => p.loss), SMOOTHING);
        return {
          run, color: COLORS[i % COLORS.length],
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
        {current && last ? `${current.label}: step ${last.step}, loss ${last.loss.toFixed(5)} (first ${current.points[0].loss.toFixed(5)})` : 'Train to see the loss fall.'}
      </p>
      <div className="chart" data-testid="loss-chart" data-points={current?.points.length ?? 0}>
        <LossChart series={series} currentRun={currentRun} />
      </div>
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
