// GPU memory as the engine holds it now, by kind — read from the allocation registry of live
// buffers (src/gpu/allocations.ts, sorted by src/engine/memory.ts) — with the last language-model
// run measured under LoRA beside the last under full fine-tuning, so the saving is seen, not told.
import type { MemoryBreakdown } from '../engine/types.ts';
import { useWorkbench } from '../store/workbench-store.ts';
import { formatBytes } from '../util/format-bytes.ts';

const KINDS: (keyof MemoryBreakdown['parts'])[] = ['base weights', 'adapters', 'gradients', 'optimizer', 'trainer copies', 'activations'];

export function MemoryPanel() {
  const memory = useWorkbench((s) => s.memory);
  const byMode = useWorkbench((s) => s.memoryByMode);
  const cell = (m: MemoryBreakdown | null, kind: keyof MemoryBreakdown['parts'] | 'total') =>
    m ? formatBytes(kind === 'total' ? m.total : m.parts[kind]) : '–';
  return (
    <section className="panel" aria-labelledby="memory-title">
      <h2 id="memory-title">GPU memory (live)</h2>
      {!memory ? (
        <p className="note">Train or step a run: every buffer the engine allocates is counted here.</p>
      ) : (
        <>
          <table className="table nowrap" aria-label="GPU memory by kind">
            <caption>LoRA and full FT: the last tiny-Llama run trained in each mode, this visit.</caption>
            <thead><tr><th>kind</th><th>now</th><th>LoRA</th><th>full FT</th></tr></thead>
            <tbody>
              {[...KINDS, 'total' as const].map((k) => (
                <tr key={k} data-testid={`memory-${k.replace(' ', '-')}`}>
                  <td>{k}</td><td>{cell(memory, k)}</td><td>{cell(byMode.lora, k)}</td><td>{cell(byMode.full, k)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="note">
            <span data-testid="memory-buffers">{memory.buffers}</span> live buffers; copies of the language model's base on the GPU:{' '}
            <strong data-testid="memory-base-copies">{memory.baseCopies}</strong>.
            {(!byMode.lora || !byMode.full) && ' Train the tiny Llama once with LoRA and once with full fine-tuning to compare.'}
          </p>
        </>
      )}
    </section>
  );
}
