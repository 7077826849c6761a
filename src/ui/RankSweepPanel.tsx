// The rank sweep in one click: the current settings trained at r = 1, 2, 4, 8 with one seed (and
// full fine-tuning beside them for the language model), the loss each run ended at against its
// rank, and — for the teacher — the floor each rank cannot pass (from the engine), dashed.
import { controller, SWEEP_RANKS } from '../app/controller.ts';
import { PAGE_TEACHER } from '../settings/playground-settings.ts';
import { useWorkbench, type SweepPoint } from '../store/workbench-store.ts';
import { useWorkbenchBlocked } from './busy.ts';

const W = 360;
const H = 170;
const M = { left: 52, right: 12, top: 10, bottom: 34 };
const fmt = (v: number | undefined) => (v === undefined ? '—' : Number(v.toPrecision(4)).toString());
const label = (p: SweepPoint) => (p.rank === 'full' ? 'full' : `r=${p.rank}`);

function SweepPlot({ points, slots }: { points: SweepPoint[]; slots: (number | 'full')[] }) {
  const values = points.flatMap((p) => [p.loss, p.floor ?? NaN]).filter((v) => v > 0 && Number.isFinite(v));
  if (!values.length) return null;
  let [lo, hi] = [Math.min(...values), Math.max(...values)];
  if (hi / lo < 2) [lo, hi] = [lo / 1.5, hi * 1.5];
  [lo, hi] = [lo / 1.15, hi * 1.15];
  const x = (i: number) => M.left + ((i + 0.5) / slots.length) * (W - M.left - M.right);
  const y = (v: number) => M.top + (1 - Math.log(v / lo) / Math.log(hi / lo)) * (H - M.top - M.bottom);
  const at = (p: SweepPoint) => slots.indexOf(p.rank);
  const line = points.filter((p) => p.rank !== 'full' && p.loss > 0).map((p, i) => `${i ? 'L' : 'M'}${x(at(p)).toFixed(1)},${y(p.loss).toFixed(1)}`).join('');
  const decades = [];
  for (let k = Math.ceil(Math.log10(lo)); k <= Math.floor(Math.log10(hi)); k++) decades.push(10 ** k);
  return (
    <svg width={W} height={H} role="img" aria-label="final loss against rank, log scale" className="chart-small">
      <rect x={M.left} y={M.top} width={W - M.left - M.right} height={H - M.top - M.bottom} fill="none" stroke="#c9d3dd" />
      {decades.map((d) => <text key={d} x={M.left - 4} y={y(d) + 4} fontSize={10} textAnchor="end" fill="#52616f">{d}</text>)}
      {slots.map((r, i) => <text key={String(r)} x={x(i)} y={H - M.bottom + 14} fontSize={10} textAnchor="middle" fill="#52616f">{r === 'full' ? 'full FT' : r}</text>)}
      <text x={M.left + (W - M.left - M.right) / 2} y={H - 4} fontSize={11} textAnchor="middle">rank r</text>
      <text transform={`translate(12 ${M.top + (H - M.top - M.bottom) / 2}) rotate(-90)`} fontSize={11} textAnchor="middle">final loss (log)</text>
      {points.filter((p) => p.floor !== undefined && p.floor > 0).map((p) => (
        <line key={`f${label(p)}`} x1={x(at(p)) - 14} x2={x(at(p)) + 14} y1={y(p.floor!)} y2={y(p.floor!)} stroke="#d9480f" strokeDasharray="4 3" strokeWidth={2} />
      ))}
      <path d={line} fill="none" stroke="#2a5d8f" strokeWidth={1.5} />
      {points.filter((p) => p.loss > 0).map((p) => <circle key={label(p)} cx={x(at(p))} cy={y(p.loss)} r={4} fill={p.rank === 'full' ? '#2b8a3e' : '#2a5d8f'} />)}
    </svg>
  );
}

export function RankSweepPanel() {
  const sweep = useWorkbench((x) => x.sweep);
  const settings = useWorkbench((x) => x.settings);
  const status = useWorkbench((x) => x.status);
  const blocked = useWorkbenchBlocked(); // a sweep starts with a reset, which waits for the engine's other work
  const busy = status === 'running' || status === 'pausing' || !!sweep?.running || !!blocked;
  const withFull = settings.task !== 'teacher';
  const slots: (number | 'full')[] = [...(sweep?.ranks ?? SWEEP_RANKS), ...((sweep ? sweep.task !== 'teacher' : withFull) ? (['full'] as const) : [])];
  return (
    <section className="panel" aria-labelledby="sweep-title" data-testid="rank-sweep">
      <h2 id="sweep-title">Rank sweep</h2>
      <p className="note">
        Trains r = {SWEEP_RANKS.join(', ')}{withFull ? ' and full fine-tuning' : ''} with these settings and seed {settings.seed}, {sweep?.running ? sweep.steps : settings.steps} steps each
        {settings.alphaLock ? ' (α = 2r, so s stays 2)' : ` (α fixed at ${settings.alpha}, so s = α/r changes with r)`}. Pause stops it.
      </p>
      <button type="button" onClick={() => void controller().rankSweep()} disabled={busy} title={blocked ?? undefined}>{sweep?.running ? 'Sweeping…' : 'Run the sweep'}</button>
      {sweep && (
        <>
          <SweepPlot points={sweep.points} slots={slots} />
          <table className="table" aria-label="rank sweep">
            <thead><tr><th>rank</th><th>final loss</th>{sweep.task === 'teacher' && <><th>floor</th><th>loss ÷ floor</th></>}</tr></thead>
            <tbody>
              {sweep.points.map((p) => (
                <tr key={label(p)} data-testid={`sweep-${label(p)}`} data-loss={p.loss} data-floor={p.floor ?? ''}>
                  <td>{p.rank === 'full' ? 'full fine-tuning' : p.rank}</td>
                  <td className="mono">{fmt(p.loss)}</td>
                  {sweep.task === 'teacher' && <><td className="mono">{fmt(p.floor)}</td><td className="mono">{p.floor ? (p.loss / p.floor).toFixed(3) : '— (floor 0)'}</td></>}
                </tr>
              ))}
            </tbody>
          </table>
          {sweep.task === 'teacher' && <p className="note small">The teacher's ΔW* has rank {PAGE_TEACHER.trueRank}: below it the loss stops on the dashed floor (ΔW*'s discarded singular values); from r = {PAGE_TEACHER.trueRank} the floor is 0. It has no full fine-tuning mode.</p>}
          {sweep.stopped && <p className="error" role="alert">The sweep stopped: {sweep.stopped}</p>}
        </>
      )}
    </section>
  );
}
