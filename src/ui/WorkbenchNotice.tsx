// The workbench's last error or notice (a non-finite step, a refused merge, full storage).
import { controller } from '../app/controller.ts';
import { useWorkbench } from '../store/workbench-store.ts';
import { useWorkbenchBlocked } from './busy.ts';
import { Notice } from './Notice.tsx';

export function WorkbenchNotice() {
  const notice = useWorkbench((x) => x.notice);
  const set = useWorkbench((x) => x.set);
  const offer = useWorkbench((x) => x.resumeOffer);
  const blocked = useWorkbenchBlocked(); // resuming waits for the engine's other work
  return (
    <div className="status" aria-live="polite">
      {offer && (
        <p className="note resume" data-testid="resume-offer">
          A run was interrupted: <strong>{offer.label}</strong> at step {offer.step} (autosaved).{' '}
          <button type="button" disabled={!!blocked} title={blocked ?? undefined} onClick={() => void controller().resumeInterruptedRun()}>Resume</button>{' '}
          <button type="button" onClick={() => void controller().discardInterruptedRun()}>Discard</button>
        </p>
      )}
      {notice && <Notice notice={notice} onDismiss={() => set({ notice: null })} testId="workbench-notice" dismissLabel="dismiss notice" />}
    </div>
  );
}
