// Merge on the GPU (W ← W + s·B·A with the WGSL merge kernel, refusing non-finite results),
// the parity of merged and unmerged (low-rank path) outputs on a probe batch, forward times, and downloads.
import { useState } from 'react';
import { controller } from '../app/controller.ts';
import { useWorkbench } from '../store/workbench-store.ts';

export function MergePanel() {
  const merge = useWorkbench((x) => x.merge);
  const [mergedDtype, setMergedDtype] = useState<'base' | 'F32' | 'F16' | 'BF16'>('base');
  const status = useWorkbench((x) => x.status);
  const built = useWorkbench((x) => x.currentRun !== null && x.modules.length > 0);
  // Full fine-tuning trains the weights themselves: no adapter to merge or download (the engine's modules say so).
  const full = useWorkbench((x) => x.modules.length > 0 && x.modules.every((m) => m.rank === null));
  const busy = status === 'running' || status === 'pausing';
  const reason = busy ? 'pause training first' : !built ? 'train or step first' : undefined;
  const noAdapter = full ? 'full fine-tuning has no adapter: its weights are the trained model (download them merged)' : undefined;
  const r = merge.report;
  return (
    <section className="panel" aria-labelledby="merge-title">
      <h2 id="merge-title">Merge and export</h2>
      <div className="row buttons">
        <button type="button" disabled={busy || !built || merge.merged || full} title={reason ?? noAdapter} onClick={() => void controller().mergeNow()}>Merge on GPU</button>
        <button type="button" disabled={busy || !merge.merged} title={reason} onClick={() => void controller().unmergeNow()}>Unmerge</button>
        <button type="button" disabled={busy || !built || full} title={reason ?? noAdapter} onClick={() => void controller().exportFiles('adapter')}>Download adapter</button>
        <button type="button" disabled={busy || !built} title={reason} onClick={() => void controller().exportFiles('merged', mergedDtype === 'base' ? undefined : mergedDtype)}>Download merged weights</button>
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
      {r && (
        <dl className="facts" data-testid="merge-report">
          <div className="fact-row"><dt>max |merged − unmerged|</dt><dd data-testid="merge-diff">{r.maxAbsDiff.toExponential(2)}</dd></div>
          <div className="fact-row"><dt>merge (W ← W + s·B·A, exact copy kept)</dt><dd data-testid="merge-ms">{r.ms.merge.toFixed(0)} ms</dd></div>
          <div className="fact-row"><dt>forward, base</dt><dd>{r.ms.base.toFixed(2)} ms</dd></div>
          <div className="fact-row"><dt>forward, with LoRA (unmerged: X·Wᵀ + s·(X·Aᵀ)·Bᵀ)</dt><dd>{r.ms.unmerged.toFixed(2)} ms ({(r.ms.unmerged / r.ms.base).toFixed(2)}× base)</dd></div>
          {r.ms.folded !== null && (
            <div className="fact-row" title="For a batch this long, B·A costs less than the low-rank path: the engine adds it to a scratch copy of W before each forward (W itself unchanged)">
              <dt>forward, with LoRA (folded: W + s·B·A in scratch)</dt><dd data-testid="merge-folded">{r.ms.folded.toFixed(2)} ms ({(r.ms.folded / r.ms.base).toFixed(2)}× base)</dd>
            </div>
          )}
          <div className="fact-row"><dt>forward, merged</dt><dd>{r.ms.merged.toFixed(2)} ms ({(r.ms.merged / r.ms.base).toFixed(2)}× base): no inference overhead</dd></div>
          <div className="fact-row"><dt>state</dt><dd data-testid="merge-state">{merge.merged ? 'merged' : 'unmerged'}</dd></div>
        </dl>
      )}
    </section>
  );
}
