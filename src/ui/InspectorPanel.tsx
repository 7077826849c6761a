// The gradient inspector: per targeted module, the base weight's gradient (null: no buffer for
// it exists) and the live norms of A's and B's gradients; and the GPU fingerprint of every base
// weight, before and during training.
import { useWorkbench } from '../store/workbench-store.ts';

function Sparkline({ values, label }: { values: number[]; label: string }) {
  const w = 120;
  const h = 24;
  const shown = values.slice(-200);
  const max = Math.max(...shown, 1e-30);
  const path = shown.map((v, i) => `${i === 0 ? 'M' : 'L'}${((i / Math.max(1, shown.length - 1)) * w).toFixed(1)},${(h - (v / max) * (h - 2) - 1).toFixed(1)}`).join('');
  return (
    <svg width={w} height={h} role="img" aria-label={label} className="spark">
      <path d={path} fill="none" stroke="#2a5d8f" strokeWidth={1.2} />
    </svg>
  );
}

export function InspectorPanel() {
  const modules = useWorkbench((x) => x.modules);
  const norms = useWorkbench((x) => x.norms);
  const fingerprint = useWorkbench((x) => x.fingerprint);
  const merged = useWorkbench((x) => x.merge.merged);
  const nameOf = (path: string, m: 'A' | 'B') => (path === 'student' ? `student.lora_${m}.weight` : `${path}.lora_${m}.weight`);
  const first = modules.length ? norms[nameOf(modules[0].path, 'A')]?.[0] : undefined;
  return (
    <section className="panel panel-wide" aria-labelledby="inspector-title">
      <h2 id="inspector-title">Gradient inspector</h2>
      {fingerprint ? (
        <p data-testid="fingerprint">
          Base-weight fingerprint (GPU): before <code data-testid="fingerprint-initial">{fingerprint.initial}</code>, at step {fingerprint.atStep}{' '}
          <code data-testid="fingerprint-current">{fingerprint.current}</code>{' '}
          <strong data-testid="fingerprint-verdict">{fingerprint.current === fingerprint.initial ? 'unchanged' : merged ? 'changed: the adapter is merged into it' : 'CHANGED'}</strong>
        </p>
      ) : <p className="note">Train or step to build the model; its base weights are fingerprinted first.</p>}
      {first === 0 && (
        <p className="note" data-testid="step0-note">
          At step 1 every ‖∇A‖ is 0 and ‖∇B‖ is not: B starts at zero, so ∇A = s·(dY·B)ᵀ·X = 0, while ∇B = s·dYᵀ·(X·Aᵀ) uses the random A.
          After the first update B ≠ 0 and A starts to learn too.
        </p>
      )}
      {modules.length > 0 && (
        <table className="table" aria-label="gradients per module">
          <thead><tr><th>module</th><th>shape</th><th>base weight .grad</th><th>‖∇A‖</th><th /><th>‖∇B‖</th><th /></tr></thead>
          <tbody>
            {modules.map((m) => {
              const a = norms[nameOf(m.path, 'A')] ?? [];
              const b = norms[nameOf(m.path, 'B')] ?? [];
              return (
                <tr key={m.path} data-testid="inspector-row">
                  <td>{m.path}</td>
                  <td>{m.outDim}×{m.inDim}, r={m.rank}</td>
                  <td><code data-testid="base-grad" title="LoRA never allocates a gradient buffer for the frozen weight">null</code> <span className="note">(no gradient buffer exists)</span></td>
                  <td data-testid="grad-a">{a.length ? a[a.length - 1].toExponential(3) : '–'}</td>
                  <td><Sparkline values={a} label={`‖∇A‖ of ${m.path}`} /></td>
                  <td data-testid="grad-b">{b.length ? b[b.length - 1].toExponential(3) : '–'}</td>
                  <td><Sparkline values={b} label={`‖∇B‖ of ${m.path}`} /></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
