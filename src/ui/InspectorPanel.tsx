// The gradient inspector: per trained module, the base weight's gradient as the engine holds it
// (null: no buffer for it exists, as under LoRA; a tensor and its norm under full fine-tuning) and
// the live norms of A's and B's gradients; and the GPU fingerprint of every base weight, before
// and during training. Every value here comes from the engine (src/engine/types.ts, ModuleInfo).
import { useDeferredValue } from 'react';
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
  // Deferred: the table of sparklines redraws in interruptible slices while a run trains.
  const norms = useDeferredValue(useWorkbench((x) => x.norms));
  const fingerprint = useWorkbench((x) => x.fingerprint);
  const merged = useWorkbench((x) => x.merge.merged);
  const full = modules.some((m) => m.baseGrad !== null);
  const firstA = modules[0]?.gradNames.a;
  const first = firstA ? norms[firstA]?.[0] : undefined;
  const last = (values: number[]) => (values.length ? values[values.length - 1].toExponential(3) : '–');
  return (
    <section className="panel panel-wide" aria-labelledby="inspector-title">
      <h2 id="inspector-title">Gradient inspector</h2>
      {fingerprint ? (
        <p data-testid="fingerprint">
          Base-weight fingerprint (GPU): before <code data-testid="fingerprint-initial">{fingerprint.initial}</code>, at step {fingerprint.atStep}{' '}
          <code data-testid="fingerprint-current">{fingerprint.current}</code>{' '}
          <strong data-testid="fingerprint-verdict">{fingerprint.current === fingerprint.initial ? 'unchanged' : merged ? 'changed: the adapter is merged into it' : full ? 'changed: full fine-tuning trains these weights' : 'CHANGED'}</strong>
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
              const a = m.gradNames.a ? norms[m.gradNames.a] ?? [] : [];
              const b = m.gradNames.b ? norms[m.gradNames.b] ?? [] : [];
              const w = m.gradNames.base ? norms[m.gradNames.base] ?? [] : [];
              return (
                <tr key={m.path} data-testid="inspector-row">
                  <td>{m.path}</td>
                  <td>{m.outDim}×{m.inDim}{m.rank !== null ? `, r=${m.rank}` : ', no adapter'}</td>
                  <td>
                    {m.baseGrad === null ? (
                      <><code data-testid="base-grad" title="the engine holds no gradient buffer for this frozen weight">null</code> <span className="note">(no gradient buffer exists)</span></>
                    ) : (
                      <span title={`${m.baseGrad.name}: a [${m.baseGrad.shape.join(', ')}] tensor the engine allocated`}>
                        <code data-testid="base-grad-tensor">{m.baseGrad.name} [{m.baseGrad.shape.join('×')}]</code> ‖∇W‖ = <span data-testid="base-grad">{last(w)}</span>
                      </span>
                    )}
                  </td>
                  <td data-testid="grad-a">{m.gradNames.a ? last(a) : 'no adapter'}</td>
                  <td>{m.gradNames.a && <Sparkline values={a} label={`‖∇A‖ of ${m.path}`} />}</td>
                  <td data-testid="grad-b">{m.gradNames.b ? last(b) : 'no adapter'}</td>
                  <td>{m.gradNames.b && <Sparkline values={b} label={`‖∇B‖ of ${m.path}`} />}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
