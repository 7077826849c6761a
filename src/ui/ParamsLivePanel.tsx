// Trainable parameters for the current settings, before any training: counts, share, × fewer,
// PEFT's print_trainable_parameters line, the share against rank, and a per-module breakdown.
import { memo, useMemo } from 'react';
import { languageModelConfig, settingsContext } from '../app/controller.ts';
import { loraParameterCount } from '../lora/lora-math.ts';
import { modelParameterSummary, peftTrainableLine } from '../lora/model-params.ts';
import { PAGE_TEACHER, type PlaygroundSettings } from '../settings/playground-settings.ts';
import { usePlayground } from '../store/playground-store.ts';
import { useWorkbench } from '../store/workbench-store.ts';

interface Counts {
  base: number;
  trainable: number;
  all: number;
  perModule: [string, number][];
}

export function parameterCounts(s: PlaygroundSettings, rank = s.rank): Counts {
  if (s.task === 'teacher') {
    const d = PAGE_TEACHER.dim;
    const trainable = loraParameterCount(d, d, rank) + (s.dora ? d : 0); // DoRA: one magnitude per output row
    return { base: d * d, trainable, all: d * d + trainable, perModule: [['student', trainable]] };
  }
  const layers = Array.from({ length: s.layerTo - s.layerFrom + 1 }, (_, i) => s.layerFrom + i);
  const summary = modelParameterSummary(languageModelConfig(), { targetModules: s.targets, r: rank, loraAlpha: s.alpha, layersToTransform: layers, useDora: s.dora });
  return { base: summary.base, trainable: summary.trainable, all: summary.all, perModule: Object.entries(summary.perModule).filter(([, n]) => n > 0) };
}

const SHARE = { width: 320, height: 150, left: 44, right: 12, top: 8, bottom: 22 };

/**
 * Trainable share against rank (1..max) for the current targets, with the current rank marked.
 * Plain SVG in a fixed viewBox: recharts' responsive chart re-rendered (measuring its path with
 * getTotalLength) whenever the layout around it moved, as it does when a run starts; in a CPU
 * profile that was the largest part of the page's work when Train was pressed.
 */
const ShareChart = memo(function ShareChart({ curve, rank, percent, maxRank }: { curve: { rank: number; percent: number }[]; rank: number; percent: number; maxRank: number }) {
  const { width, height, left, right, top, bottom } = SHARE;
  const top100 = Math.max(1e-9, ...curve.map((c) => c.percent));
  const yMax = top100 > 50 ? 100 : Math.ceil(top100 / 5) * 5 || top100;
  const x = (r: number) => left + ((r - 1) / Math.max(1, maxRank - 1)) * (width - left - right);
  const y = (p: number) => top + (1 - p / yMax) * (height - top - bottom);
  const xTicks = [...new Set([1, ...[0.25, 0.5, 0.75, 1].map((f) => Math.max(1, Math.round(f * maxRank)))])];
  const yTicks = [0, yMax / 2, yMax];
  const points = curve.map((c) => `${x(c.rank).toFixed(1)},${y(c.percent).toFixed(1)}`).join(' ');
  return (
    <svg className="chart-small" viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label="trainable share against rank">
      {yTicks.map((t) => (
        <g key={`y${t}`}>
          <line x1={left} x2={width - right} y1={y(t)} y2={y(t)} stroke="#ddd" strokeDasharray="3 3" />
          <text x={left - 4} y={y(t) + 4} textAnchor="end" fontSize="10">{`${Number(t.toPrecision(3))}%`}</text>
        </g>
      ))}
      {xTicks.map((t) => <text key={`x${t}`} x={x(t)} y={height - 6} textAnchor="middle" fontSize="10">{t}</text>)}
      <polyline points={points} fill="none" stroke="#2a5d8f" strokeWidth={1.5} />
      <circle cx={x(rank)} cy={y(percent)} r={5} fill="#d9480f"><title>{`rank ${rank}: ${percent.toFixed(3)} %`}</title></circle>
    </svg>
  );
});

export function ParamsLivePanel() {
  const s = useWorkbench((x) => x.settings);
  usePlayground((x) => x.base); // re-render when another base model is loaded
  let counts: Counts | null = null;
  let error = '';
  try {
    counts = parameterCounts(s);
  } catch (err) {
    error = (err as Error).message;
  }
  const maxRank = Math.min(64, settingsContext(s).maxRank);
  const curveKey = JSON.stringify([languageModelConfig(), s.task, s.targets, s.layerFrom, s.layerTo, s.dora, maxRank, !!counts]);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the curve depends only on what curveKey lists
  const curve = useMemo(() => (counts ? Array.from({ length: maxRank }, (_, i) => {
    const c = parameterCounts(s, i + 1);
    return { rank: i + 1, percent: (100 * c.trainable) / c.all };
  }) : []), [curveKey]);
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    <section className="panel" aria-labelledby="params-title">
      <h2 id="params-title">Trainable parameters</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {counts && (
        <>
          <dl className="facts" data-testid="live-params">
            <div className="fact-row"><dt>trainable (LoRA)</dt><dd data-testid="trainable-count">{n(counts.trainable)}</dd></div>
            <div className="fact-row"><dt>base (frozen)</dt><dd>{n(counts.base)}</dd></div>
            <div className="fact-row"><dt>trainable share</dt><dd data-testid="trainable-percent">{((100 * counts.trainable) / counts.all).toFixed(4)} %</dd></div>
            {counts.trainable < counts.base
              ? <div className="fact-row"><dt>fewer than full fine-tuning</dt><dd data-testid="fewer-than-full">{(counts.base / counts.trainable).toFixed(1)}×</dd></div>
              : <div className="fact-row"><dt>more than full fine-tuning</dt><dd data-testid="more-than-full" className="error">{(counts.trainable / counts.base).toFixed(2)}× the base: at this rank the adapter outgrows the weights it adapts (r·(in + out) ≥ in·out)</dd></div>}
          </dl>
          <p className="mono" data-testid="peft-line">{peftTrainableLine(counts)}</p>
          <ShareChart curve={curve} rank={s.rank} percent={(100 * counts.trainable) / counts.all} maxRank={maxRank} />
          <table className="table" aria-label="trainable parameters per module">
            <thead><tr><th>module</th><th>LoRA parameters</th></tr></thead>
            <tbody>{counts.perModule.map(([m, c]) => <tr key={m}><td>{m}</td><td>{n(c)}</td></tr>)}</tbody>
          </table>
        </>
      )}
    </section>
  );
}
