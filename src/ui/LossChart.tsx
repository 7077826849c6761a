// The loss chart, drawn as plain SVG: a redraw while a run trains costs a few path strings, not a
// charting library's render (recharts took ~40 ms a redraw on a 2-core machine, over the page's
// 50 ms budget). Loss against step on a log or linear axis, with axis titles; thick line
// smoothed, faint line the current run's raw loss, dots validation loss, dashed lines the floors
// a run cannot pass (the teacher's, for its rank).
import { memo, useEffect, useRef, useState } from 'react';
import type { RunRecord } from '../store/workbench-store.ts';

export type LossScale = 'log' | 'linear';

export type LossSeries = {
  run: RunRecord;
  color: string;
  /** The run's number in the run table, written at the end of its line. */
  number?: number;
  data: { step: number; loss: number; smoothed: number }[];
  validation: { step: number; valLoss?: number }[];
};

const HEIGHT = 260;
const positive = (v: number | undefined): v is number => v !== undefined && v > 0 && Number.isFinite(v);

/** Min and max without spreading (a long run has more points than a call may take arguments). */
function extent(values: Iterable<number>): [number, number] {
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
const MARGIN = { top: 10, right: 16, bottom: 40, left: 64 };

/** About `count` round whole numbers (steps) spanning [lo, hi]. */
function stepTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = Math.max(1, (hi - lo) / count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** About `count` round numbers spanning [lo, hi] (any scale). */
function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(Number(t.toPrecision(6)));
  return ticks;
}

/** Ticks of a log axis: the decades in range, and 2× and 5× of them; round linear values when less than a decade shows. */
function logTicks(lo: number, hi: number): number[] {
  if (hi / lo < 10) {
    const ticks = niceTicks(lo, hi, 4);
    if (ticks.length >= 2) return ticks;
  }
  const ticks: number[] = [];
  const decades = Math.log10(hi / lo);
  const factors = decades < 2 ? [1, 2, 5] : [1];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const f of factors) {
      const t = f * 10 ** k;
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(t);
    }
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(200, Math.floor(entry.contentRect.width))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

export const LossChart = memo(function LossChart({ series, currentRun, scale = 'log', unit = '' }: { series: LossSeries[]; currentRun: string | null; scale?: LossScale; unit?: string }) {
  const [ref, width] = useWidth();
  const shown = series.filter((s) => s.run.visible && s.data.length > 0);
  const log = scale === 'log';
  const drawable = (v: number | undefined): v is number => (log ? positive(v) : v !== undefined && Number.isFinite(v));
  const floors = shown.filter((s) => drawable(s.run.floor));
  function* values() {
    for (const s of floors) yield s.run.floor!;
    for (const s of shown) {
      for (const p of s.data) {
        if (drawable(p.smoothed)) yield p.smoothed;
        if (s.run.id === currentRun && drawable(p.loss)) yield p.loss;
      }
      for (const p of s.validation) if (drawable(p.valLoss)) yield p.valLoss;
    }
  }
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  let [y0, y1] = extent(values());
  if (!Number.isFinite(y0)) {
    const why = shown.length ? `no ${log ? 'positive, ' : ''}finite loss to draw${log ? ' on a log scale' : ''}` : 'no points yet';
    return <div ref={ref}><svg width={width} height={HEIGHT} role="img" aria-label={`loss chart (${why})`} /></div>;
  }
  const [first, last] = extent(shown.flatMap((s) => [s.data[0].step, s.data[s.data.length - 1].step]));
  const [x0, x1] = [first, Math.max(last, first + 1)];
  if (log) {
    if (y1 / y0 < 1.5) [y0, y1] = [y0 / 1.25, y1 * 1.25]; // a flat loss still gets a readable axis
    const pad = (y1 / y0) ** 0.04; // 4 % of the log range above and below: no point sits on the frame
    [y0, y1] = [y0 / pad, y1 * pad];
  } else {
    const span = y1 - y0 || Math.abs(y1) * 0.2 || 1;
    [y0, y1] = [Math.max(y0 >= 0 ? 0 : -Infinity, y0 - 0.04 * span), y1 + 0.04 * span]; // a loss ≥ 0 keeps 0 in view when it is near
  }
  const x = (step: number) => MARGIN.left + ((step - x0) / (x1 - x0)) * plotW;
  const y = log
    ? (v: number) => MARGIN.top + (1 - (Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * plotH
    : (v: number) => MARGIN.top + (1 - (v - y0) / (y1 - y0)) * plotH;
  const path = (points: { step: number; v: number }[]) =>
    points.filter((p) => drawable(p.v)).map((p, i) => `${i ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
  const xTicks = stepTicks(x0, x1, Math.max(2, Math.floor(plotW / 90)));
  const yTicks = log ? logTicks(y0, y1) : niceTicks(y0, y1, 4);
  return (
    <div ref={ref}>
      <svg width={width} height={HEIGHT} role="img" aria-label={`loss against step, ${scale} scale`} className="loss-svg" data-scale={scale}>
        {yTicks.map((t) => (
          <g key={`y${t}`}>
            <line x1={MARGIN.left} x2={width - MARGIN.right} y1={y(t)} y2={y(t)} stroke="#e6ebf0" strokeDasharray="3 3" />
            <text x={MARGIN.left - 6} y={y(t) + 4} textAnchor="end" fontSize={11} fill="#52616f">{Number(t.toPrecision(3))}</text>
          </g>
        ))}
        {xTicks.map((t) => (
          <g key={`x${t}`}>
            <line x1={x(t)} x2={x(t)} y1={MARGIN.top} y2={MARGIN.top + plotH} stroke="#e6ebf0" strokeDasharray="3 3" />
            <text x={x(t)} y={MARGIN.top + plotH + 16} textAnchor="middle" fontSize={11} fill="#52616f">{t}</text>
          </g>
        ))}
        <rect x={MARGIN.left} y={MARGIN.top} width={plotW} height={plotH} fill="none" stroke="#c9d3dd" />
        <text x={MARGIN.left + plotW / 2} y={HEIGHT - 4} textAnchor="middle" fontSize={12} fill="#1b2733">step</text>
        <text transform={`translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)`} textAnchor="middle" fontSize={12} fill="#1b2733">{`loss${unit ? `, ${unit}` : ''}${log ? ' (log scale)' : ''}`}</text>
        {floors.map((s) => (
          <g key={`floor-${s.run.id}`} data-testid="floor-line" data-floor={s.run.floor}>
            <line x1={MARGIN.left} x2={width - MARGIN.right} y1={y(s.run.floor!)} y2={y(s.run.floor!)} stroke={s.color} strokeDasharray="6 4" strokeWidth={1.5} />
            <text x={width - MARGIN.right - 4} y={y(s.run.floor!) - 4} textAnchor="end" fontSize={11} fill={s.color}>floor {Number(s.run.floor!.toPrecision(3))}</text>
          </g>
        ))}
        {shown.map((s) => (
          <g key={s.run.id}>
            {s.run.id === currentRun && <path d={path(s.data.map((p) => ({ step: p.step, v: p.loss })))} fill="none" stroke={s.color} strokeOpacity={0.35} />}
            <path d={path(s.data.map((p) => ({ step: p.step, v: p.smoothed })))} fill="none" stroke={s.color} strokeWidth={2} />
            {s.number !== undefined && drawable(s.data[s.data.length - 1].smoothed) && (
              <text x={Math.min(x(s.data[s.data.length - 1].step) + 4, width - MARGIN.right - 2)} y={y(s.data[s.data.length - 1].smoothed) - 5} fontSize={11} fontWeight={600} fill={s.color} textAnchor={x(s.data[s.data.length - 1].step) + 24 > width - MARGIN.right ? 'end' : 'start'} data-testid="run-number">#{s.number}</text>
            )}
            {s.data.length === 1 && drawable(s.data[0].smoothed) && <circle cx={x(s.data[0].step)} cy={y(s.data[0].smoothed)} r={2.5} fill={s.color} />}
            {s.validation.filter((p) => drawable(p.valLoss)).map((p) => <circle key={p.step} cx={x(p.step)} cy={y(p.valLoss!)} r={3} fill={s.color} />)}
          </g>
        ))}
      </svg>
    </div>
  );
});
