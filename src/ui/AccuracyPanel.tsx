// The tiny Llama's exact-match accuracy on both corpora against the step (the engine measures it at
// step 0 and at every evaluation of the validation loss: SessionEvent 'accuracy'), beside the loss
// that flattens at the text's entropy floor. Plain SVG. Each corpus's polyline carries
// data-testid="accuracy-lines" / "accuracy-caps" and data-values="step:fraction,…" (fractions 0–1
// exactly as the engine sent them) for the e2e tests. Nothing for the teacher task.
import type { AccuracyPoint } from '../engine/types.ts';
import type { TaskName } from '../settings/playground-settings.ts';
import { useWorkbench, type WorkbenchState } from '../store/workbench-store.ts';

const W = 360;
const H = 170;
const L = 44; // room for the y ticks and title
const R = 10;
const T = 10;
const B = 34; // room for the x ticks and title

const SERIES = [
  { key: 'lines', color: '#1f6fb2', dashed: false, label: 'lines: what the adapter learns', example: '"kK\\nx" → "X\\n"' },
  { key: 'caps', color: '#c0392b', dashed: true, label: 'caps: what the base already did', example: '"kK x" → "X "' },
] as const;

function Chart({ points, maxStep }: { points: AccuracyPoint[]; maxStep: number }) {
  const x = (step: number) => L + (step / maxStep) * (W - L - R);
  const y = (fraction: number) => T + (1 - fraction) * (H - T - B);
  return (
    <svg width={W} height={H} role="img" aria-label="exact-match accuracy (%) against step, both corpora" className="chart-small">
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={L} x2={W - R} y1={y(f)} y2={y(f)} stroke={f === 0 ? '#999' : '#e3e8ee'} />
          <text x={L - 4} y={y(f) + 3} fontSize={9} textAnchor="end">{f * 100}</text>
        </g>
      ))}
      <line x1={L} x2={L} y1={T} y2={H - B} stroke="#999" />
      <text x={L} y={H - B + 12} fontSize={9} textAnchor="middle">0</text>
      <text x={W - R} y={H - B + 12} fontSize={9} textAnchor="end">{maxStep}</text>
      <text x={(L + W - R) / 2} y={H - 4} fontSize={10} textAnchor="middle">step</text>
      <text transform={`translate(11 ${(T + H - B) / 2}) rotate(-90)`} fontSize={10} textAnchor="middle">exact match (%)</text>
      {SERIES.map((s) => (
        <g key={s.key} data-testid={`accuracy-${s.key}`} data-values={points.map((p) => `${p.step}:${p[s.key]}`).join(',')} stroke={s.color} fill={s.color}>
          <polyline fill="none" strokeWidth={1.5} strokeDasharray={s.dashed ? '5 3' : undefined} points={points.map((p) => `${x(p.step).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join(' ')} />
          {points.map((p) => (
            <circle key={p.step} cx={x(p.step).toFixed(1)} cy={y(p[s.key]).toFixed(1)} r={2.5}>
              <title>{`step ${p.step}: ${s.key} ${(p[s.key] * 100).toFixed(1)} %`}</title>
            </circle>
          ))}
        </g>
      ))}
    </svg>
  );
}

/** The panel from the workbench store: the current task, the accuracy, and its run's steps and loss floor. */
export function AccuracyPanel() {
  const task = useWorkbench((s) => s.settings.task);
  const accuracy = useWorkbench((s) => s.accuracy);
  const record = useWorkbench((s) => s.runs.find((r) => r.id === s.accuracy?.runId));
  return <AccuracyView task={task} accuracy={accuracy} steps={record?.settings.steps ?? 0} floor={record?.floor} />;
}

export function AccuracyView({ task, accuracy, steps, floor }: { task: TaskName; accuracy: WorkbenchState['accuracy']; steps: number; floor?: number }) {
  if (task === 'teacher') return null;
  const plan = accuracy?.plan;
  const points = accuracy?.points ?? [];
  const last = points.at(-1);
  const maxStep = Math.max(1, steps, last?.step ?? 0);
  return (
    <section className="panel" aria-labelledby="accuracy-title" data-testid="accuracy-panel">
      <h2 id="accuracy-title">Exact-match accuracy of the tiny Llama</h2>
      {!accuracy || !plan ? (
        <p className="note">Train or Step the tiny Llama: its accuracy on both corpora is measured at step 0 and at every evaluation (every 10 steps).</p>
      ) : 'reason' in plan ? (
        <p className="note" data-testid="accuracy-not-measured">Not measured: {plan.reason}.</p>
      ) : (
        <>
          <Chart points={points} maxStep={maxStep} />
          <ul className="runs" aria-label="corpora">
            {SERIES.map((s) => (
              <li key={s.key}>
                <span className="swatch" style={{ background: s.color }} /> {s.label} <span className="note">({s.example})</span>
                {last && <strong className="mono"> {(last[s.key] * 100).toFixed(1)} %</strong>}
              </li>
            ))}
          </ul>
          <p className="note">
            Greedy completions of {plan.prompts} fresh prompts per corpus (the two bytes after the prompt, all right or wrong), at step 0 and at every evaluation.
            {floor !== undefined && ` The loss cannot fall below ${floor.toFixed(3)} nats per byte (${(floor / Math.LN2).toFixed(3)} bits, dashed on the loss chart): one byte in three is a random letter. Accuracy shows what the flat loss hides.`}
          </p>
        </>
      )}
    </section>
  );
}
