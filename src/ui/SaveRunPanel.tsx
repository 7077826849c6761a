// The page has one trainer (the Train panel above): any run it trains — the teacher layer or the
// language model — can be kept in the library from here, with its steps and final loss.
import { useState } from 'react';
import { controller } from '../app/controller.ts';
import { usePlayground } from '../store/playground-store.ts';
import { useWorkbench } from '../store/workbench-store.ts';
import { useLibraryBlocked } from './busy.ts';

export function SaveRunPanel() {
  const currentRun = useWorkbench((s) => s.currentRun);
  const run = useWorkbench((s) => s.runs.find((r) => r.id === s.currentRun));
  const full = useWorkbench((s) => s.settings.full && s.settings.task === 'tiny-lm');
  const active = usePlayground((s) => s.active);
  const busy = useLibraryBlocked();
  const [name, setName] = useState('my-adapter');
  const last = run?.points.at(-1);
  return (
    <section className="panel" aria-labelledby="save-title">
      <h2 id="save-title">Keep the run's adapter</h2>
      {!currentRun || !run ? (
        <p className="note">Train or step a run with the controls above; its adapter can then be saved here.</p>
      ) : (
        <>
          <p className="note" data-testid="save-run">
            {run.label}{last ? `: step ${last.step}, loss ${last.loss.toFixed(4)}` : ': not trained yet'}
            {active && active !== 'unsaved' ? ` (saved as ${active})` : ''}
          </p>
          {full ? (
            <p className="note">Full fine-tuning has no adapter: download the merged weights from the merge panel.</p>
          ) : (
            <div className="fields">
              <label className="field">
                adapter name
                <input aria-label="adapter name" value={name} onChange={(e) => setName(e.target.value)} />
              </label>
              <button type="button" disabled={!!busy || !last} onClick={() => void controller().saveActiveAdapter(name)}>Save to library</button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
