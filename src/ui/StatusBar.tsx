// What the page is doing now (progress of long work), and the last error or notice.
import { usePlayground } from '../store/playground-store.ts';

export function StatusBar() {
  const busy = usePlayground((s) => s.busy);
  const message = usePlayground((s) => s.message);
  const set = usePlayground((s) => s.set);
  return (
    <div className="status" aria-live="polite">
      {busy && <p className="busy" data-testid="busy">{busy}…</p>}
      {message && (
        <p className={message.kind === 'error' ? 'error' : 'note'} role={message.kind === 'error' ? 'alert' : 'status'} data-testid="message">
          {message.text} <button type="button" className="link" onClick={() => set({ message: null })} aria-label="dismiss">×</button>
        </p>
      )}
    </div>
  );
}
