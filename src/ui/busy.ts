// One GPU, one job at a time: while the workbench trains, the library's actions wait, and while
// the library works (training, merging, loading), the workbench's do. Null when free.
import { usePlayground } from '../store/playground-store.ts';
import { useWorkbench } from '../store/workbench-store.ts';

export function useLibraryBlocked(): string | null {
  const busy = usePlayground((s) => s.busy);
  const running = useWorkbench((s) => s.status === 'running' || s.status === 'pausing');
  return busy ?? (running ? 'a training run is in progress above: pause it first' : null);
}

export function useWorkbenchBlocked(): string | null {
  const busy = usePlayground((s) => s.busy);
  return busy ? `wait for: ${busy}` : null;
}
