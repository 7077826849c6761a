// What the page is doing now (progress of long work), and the last error or notice.
import { usePlayground } from '../store/playground-store.ts';
import { Notice } from './Notice.tsx';

export function StatusBar() {
  const busy = usePlayground((s) => s.busy);
  const message = usePlayground((s) => s.message);
  const set = usePlayground((s) => s.set);
  return (
    <div className="status" aria-live="polite">
      {busy && <p className="busy" data-testid="busy">{busy}…</p>}
      {message && <Notice notice={message} onDismiss={() => set({ message: null })} testId="message" dismissLabel="dismiss" />}
    </div>
  );
}
