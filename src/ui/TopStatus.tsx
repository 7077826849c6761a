// Everything the page has to say right now, at the top of the page: no WebGPU (and what to do),
// long work in progress, the last error or notice of the workbench and of the library, and the
// values of a shared link that were not used.
import { useGpuStore } from '../store/gpu-store.ts';
import { useWorkbench } from '../store/workbench-store.ts';
import { StatusBar } from './StatusBar.tsx';
import { WorkbenchNotice } from './WorkbenchNotice.tsx';

export function TopStatus() {
  const gpu = useGpuStore((s) => s.status);
  const problems = useWorkbench((x) => x.settingsProblems);
  return (
    <div className="top-status">
      {gpu.state === 'unavailable' && (
        <p className="banner banner-error" role="alert" data-testid="no-webgpu">
          <strong>No WebGPU: training is off.</strong> {gpu.message} Parameter counts and the memory estimate still work.
        </p>
      )}
      {problems.length > 0 && (
        <p className="banner banner-error" role="alert" data-testid="link-problems">
          The link had values that were not used: {problems.join('; ')}
        </p>
      )}
      <WorkbenchNotice />
      <StatusBar />
    </div>
  );
}
