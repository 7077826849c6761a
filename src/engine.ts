// The page's engine: owns the GPU device (never the store) and reports what it found.
import { acquireGpu, type Gpu } from './gpu/device.ts';
import { WebGpuUnavailableError } from './gpu/errors.ts';
import { useGpuStore } from './store/gpu-store.ts';

let gpu: Gpu | null = null;

/** Acquires the device once and publishes the adapter (or why there is none) to the store. */
export async function startEngine(): Promise<void> {
  const { setStatus } = useGpuStore.getState();
  try {
    gpu = await acquireGpu();
    setStatus({ state: 'ready', adapter: gpu.adapter });
  } catch (err) {
    const reason = err instanceof WebGpuUnavailableError ? err.reason : 'error';
    setStatus({ state: 'unavailable', reason, message: (err as Error).message });
  }
}

export function currentGpu(): Gpu | null {
  return gpu;
}
