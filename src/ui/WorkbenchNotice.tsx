// The workbench's last error or notice (a non-finite step, a refused merge, full storage).
import { useWorkbench } from '../store/workbench-store.ts';

export function WorkbenchNotice() {
  const notice = useWorkbench((x) => x.notice);
  const set = useWorkbench((x) => x.set);
  return (
    <div className="status" aria-live="polite">
      {notice && (
        <p className={notice.kind === 'error' ? 'error' : 'note'} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="workbench-notice">
          {notice.text} <button type="button" className="link" onClick={() => set({ notice: null })} aria-label="dismiss notice">×</button>
        </p>
      )}
    </div>
  );
}
