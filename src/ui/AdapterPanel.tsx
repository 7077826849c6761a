// Shows the WebGPU adapter the page got (vendor, architecture, key limits, features), or a
// clear message saying why there is none and what to do.
import { formatBytes } from '../util/format-bytes.ts';
import { useGpuStore } from '../store/gpu-store.ts';

const LIMIT_ROWS: [keyof import('../gpu/device.ts').AdapterSummary['limits'], string, boolean][] = [
  ['maxBufferSize', 'Largest buffer', true],
  ['maxStorageBufferBindingSize', 'Largest storage binding', true],
  ['maxComputeWorkgroupStorageSize', 'Workgroup memory', true],
  ['maxComputeInvocationsPerWorkgroup', 'Invocations per workgroup', false],
  ['maxComputeWorkgroupsPerDimension', 'Workgroups per dimension', false],
];

export function AdapterPanel() {
  const status = useGpuStore((s) => s.status);
  if (status.state === 'pending') {
    return (
      <section className="panel" aria-busy="true">
        <h2>GPU</h2>
        <p>Asking the browser for a WebGPU adapter…</p>
      </section>
    );
  }
  if (status.state === 'unavailable') {
    return (
      <section className="panel panel-error" role="alert" data-testid="gpu-unavailable">
        <h2>No WebGPU</h2>
        <p>{status.message}</p>
        <p>Parameter counts below still work without a GPU.</p>
      </section>
    );
  }
  const { adapter } = status;
  return (
    <section className="panel" data-testid="adapter-panel">
      <h2>GPU</h2>
      <dl className="facts">
        <dt>Vendor</dt>
        <dd data-testid="adapter-vendor">{adapter.vendor || 'unknown'}</dd>
        <dt>Architecture</dt>
        <dd data-testid="adapter-architecture">{adapter.architecture || 'unknown'}</dd>
        <dt>Description</dt>
        <dd>{adapter.description || adapter.device || 'not reported'}</dd>
        {LIMIT_ROWS.map(([key, label, bytes]) => (
          <div key={key} className="fact-row">
            <dt>{label}</dt>
            <dd>{bytes ? formatBytes(adapter.limits[key]) : adapter.limits[key].toLocaleString('en-US')}</dd>
          </div>
        ))}
        <dt>Optional features</dt>
        <dd>{adapter.features.length ? adapter.features.join(', ') : 'none'}</dd>
      </dl>
      {adapter.isFallbackAdapter && (
        <p className="note">This is a software (fallback) adapter: everything works, slowly. Expect about 1 GFLOP/s.</p>
      )}
    </section>
  );
}
