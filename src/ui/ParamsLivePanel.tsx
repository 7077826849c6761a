// Trainable parameters for the current settings, before any training: counts, share, × fewer,
// PEFT's print_trainable_parameters line, the share against rank, and a per-module breakdown.
import { memo, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceDot, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
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
    const trainable = loraParameterCount(d, d, rank);
    return { base: d * d, trainable, all: d * d + trainable, perModule: [['student', trainable]] };
  }
  const layers = Array.from({ length: s.layerTo - s.layerFrom + 1 }, (_, i) => s.layerFrom + i);
  const summary = modelParameterSummary(languageModelConfig(), { targetModules: s.targets, r: rank, loraAlpha: s.alpha, layersToTransform: layers });
  return { base: summary.base, trainable: summary.trainable, all: summary.all, perModule: Object.entries(summary.perModule).filter(([, n]) => n > 0) };
}

/** Trainable share against rank (1..max) for the current targets, with the current rank marked. */
const ShareChart = memo(function ShareChart({ curve, rank, percent, maxRank }: { curve: { rank: number; percent: number }[]; rank: number; percent: number; maxRank: number }) {
  return (
    <div className="chart-small" aria-label="trainable share against rank">
      <ResponsiveContainer width="100%" height={150}>
        <LineChart data={curve} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="rank" type="number" domain={[1, maxRank]} tickCount={8} />
          <YAxis tickFormatter={(v: number) => `${v.toFixed(0)}%`} width={48} />
          <Tooltip formatter={(v) => `${Number(v).toFixed(3)} %`} labelFormatter={(r) => `rank ${r}`} />
          <Line dataKey="percent" dot={false} isAnimationActive={false} stroke="#2a5d8f" />
          <ReferenceDot x={rank} y={percent} r={5} fill="#d9480f" stroke="none" />
        </LineChart>
      </ResponsiveContainer>
    </div>
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
  const curveKey = JSON.stringify([languageModelConfig(), s.task, s.targets, s.layerFrom, s.layerTo, maxRank, !!counts]);
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
            <div className="fact-row"><dt>fewer than full fine-tuning</dt><dd>{(counts.base / counts.trainable).toFixed(1)}×</dd></div>
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
