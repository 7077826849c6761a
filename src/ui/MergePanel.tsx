// Merge on the GPU (W ← W + s·B·A with the WGSL merge kernel, refusing non-finite results),
// the parity of merged and unmerged (low-rank path) outputs on a probe batch, forward times, and downloads.
// Every number shown is the engine's report (src/engine/run.ts, merge()): medians of several timed
// runs with their spread; what the panel says about overhead is worded from those numbers.
import { useState } from 'react';
import { controller } from '../app/controller.ts';
import type { MergeReport, Timing } from '../engine/types.ts';
import { PAGE_TEACHER } from '../settings/playground-settings.ts';
import { useWorkbench } from '../store/workbench-store.ts';
import { useWorkbenchBlocked } from './busy.ts';
import { overheadVerdict } from './report-text.ts';

const ms = (x: number) => `${x.toFixed(2)} ms`;

function TimingRow({ label, t, base, testId, title }: { label: string; t: Timing; base: Timing; testId?: string; title?: string }) {
  return (
    <tr title={title}>
      <th scope="row" style={{ fontWeight: 'normal', overflowWrap: 'anywhere' }}>{label}</th>
      <td data-testid={testId}>{ms(t.median)}</td>
      <td>{t.runs > 1 ? `${t.min.toFixed(2)}–${t.max.toFixed(2)}` : 'one run'}</td>
      <td>{(t.median / base.median).toFixed(2)}×</td>
    </tr>
  );
}

function Report({ r, merged }: { r: MergeReport; merged: boolean }) {
  const { base } = r.ms;
  return (
    <div data-testid="merge-report" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
      <table className="table" aria-label="merge">
        <tbody>
          <tr><th scope="row" style={{ fontWeight: 'normal' }}>max |merged − unmerged| on the probe batch</th><td data-testid="merge-diff">{r.maxAbsDiff.toExponential(2)}</td></tr>
          <tr><th scope="row" style={{ fontWeight: 'normal' }}>merge (W ← W + s·B·A, exact copy kept), timed once</th><td data-testid="merge-ms">{r.ms.merge.toFixed(0)} ms</td></tr>
          <tr><th scope="row" style={{ fontWeight: 'normal' }}>state</th><td data-testid="merge-state">{merged ? 'merged' : 'unmerged'}</td></tr>
        </tbody>
      </table>
      <table className="table" aria-label="forward times" data-testid="merge-times" style={{ marginTop: 8 }}>
        <caption>Forward pass on the probe batch: the median of {base.runs} timed run{base.runs === 1 ? '' : 's'} after a warm-up, the fastest and slowest (ms), and the median over the base's.</caption>
        <thead><tr><th>forward</th><th>median</th><th>min–max</th><th>÷ base</th></tr></thead>
        <tbody>
          <TimingRow label="base" t={base} base={base} testId="merge-base-ms" />
          <TimingRow label="with LoRA, unmerged: X·Wᵀ + s·(X·Aᵀ)·Bᵀ" t={r.ms.unmerged} base={base} />
          {r.ms.folded !== null && (
            <TimingRow label="with LoRA, folded: W + s·B·A in scratch" t={r.ms.folded} base={base} testId="merge-folded"
              title="For a batch this long, B·A costs less than the low-rank path: the engine adds it to a scratch copy of W before each forward (W itself unchanged)" />
          )}
          <TimingRow label="merged" t={r.ms.merged} base={base} testId="merge-merged-ms" />
        </tbody>
      </table>
      <p className="note" data-testid="merge-verdict">{overheadVerdict(base, r.ms.merged)}</p>
    </div>
  );
}

export function MergePanel() {
  const merge = useWorkbench((x) => x.merge);
  const [mergedDtype, setMergedDtype] = useState<'base' | 'F32' | 'F16' | 'BF16'>('base');
  const status = useWorkbench((x) => x.status);
  const built = useWorkbench((x) => x.currentRun !== null && x.modules.length > 0);
  // The teacher's run has its one layer ('student'); before a run, the chosen task says.
  const teacherShape = useWorkbench((x) => {
    const layer = x.modules.find((m) => m.path === 'student');
    if (layer) return `${layer.outDim}×${layer.inDim}`;
    return x.modules.length === 0 && x.settings.task === 'teacher' ? `${PAGE_TEACHER.dim}×${PAGE_TEACHER.dim}` : null;
  });
  // Full fine-tuning trains the weights themselves: no adapter to merge or download (the engine's modules say so).
  const full = useWorkbench((x) => x.modules.length > 0 && x.modules.every((m) => m.rank === null));
  // The engine does one thing at a time: while a Step finishes (its checks after the chart has the
  // point), a merge or an export would be refused, so the buttons wait and say for what.
  const blocked = useWorkbenchBlocked();
  const training = status === 'running' || status === 'pausing';
  const busy = training || !!blocked;
  const reason = training ? 'pause training first' : blocked ?? (!built ? 'train or step first' : undefined);
  const noAdapter = full ? 'full fine-tuning has no adapter: its weights are the trained model (download them merged)' : undefined;
  const r = merge.report;
  // The teacher's merged export is its one layer's weight, not a model checkpoint: say so.
  const mergedLabel = teacherShape ? `Download merged layer (safetensors, one ${teacherShape} tensor)` : 'Download merged weights';
  return (
    <section className="panel" aria-labelledby="merge-title" style={{ minWidth: 0 }}>
      <h2 id="merge-title">Merge and export</h2>
      <div className="row buttons">
        <button type="button" disabled={busy || !built || merge.merged || full} title={reason ?? noAdapter} onClick={() => void controller().mergeNow()}>Merge on GPU</button>
        <button type="button" disabled={busy || !merge.merged} title={reason} onClick={() => void controller().unmergeNow()}>Unmerge</button>
        <button type="button" disabled={busy || !built || full} title={reason ?? noAdapter} onClick={() => void controller().exportFiles('adapter')}>Download adapter</button>
        <button type="button" disabled={busy || !built} title={reason} onClick={() => void controller().exportFiles('merged', mergedDtype === 'base' ? undefined : mergedDtype)}>{mergedLabel}</button>
        <label className="inline-select">
          <span>as</span>
          <select aria-label="merged weights dtype" value={mergedDtype} onChange={(e) => setMergedDtype(e.target.value as typeof mergedDtype)}>
            <option value="base">the base's dtype</option>
            <option value="F32">F32</option>
            <option value="F16">F16</option>
            <option value="BF16">BF16</option>
          </select>
        </label>
      </div>
      {(reason ?? noAdapter) && <p className="note">{reason ?? noAdapter}</p>}
      {r && <Report r={r} merged={merge.merged} />}
    </section>
  );
}
