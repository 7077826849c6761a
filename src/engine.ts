// The page's engine: owns the GPU device (never the store) and reports what it found. When the
// device is lost (destroyed, or reset by the browser), it acquires a new one and tells the
// parts of the page that hold GPU work, so they can rebuild and restore their last checkpoint.
import { acquireGpu, type Gpu } from './gpu/device.ts';
import { WebGpuUnavailableError } from './gpu/errors.ts';
import { calibrateSubmissions } from './gpu/submission-budget.ts';
import { useGpuStore } from './store/gpu-store.ts';

export interface DeviceLoss {
  reason: string; // 'destroyed' or 'unknown' (a reset, a driver crash, a simulated loss)
  message: string;
}

type RecoveryListener = (gpu: Gpu, loss: DeviceLoss) => Promise<void> | void;
type ErrorListener = (message: string) => void;

let gpu: Gpu | null = null;
/** Settles when the device being acquired (at start, or after a loss) is ready or has failed. */
let acquiring: Promise<unknown> = Promise.resolve();
/** Counts devices: work started on one generation knows when its device went away. */
let generation = 0;
const listeners = new Set<RecoveryListener>();
const errorListeners = new Set<ErrorListener>();
const handled = new WeakSet<Gpu>();

function publish(g: Gpu) {
  useGpuStore.getState().setStatus({ state: 'ready', adapter: g.adapter });
}

async function handleLoss(lostGpu: Gpu, loss: DeviceLoss): Promise<void> {
  if (handled.has(lostGpu) || lostGpu !== gpu) return;
  handled.add(lostGpu);
  gpu = null;
  generation++;
  const { setStatus } = useGpuStore.getState();
  setStatus({ state: 'unavailable', reason: 'error', message: `The GPU device was lost (${loss.reason}: ${loss.message}); acquiring a new one…` });
  let recovered: (() => void) | undefined;
  acquiring = new Promise<void>((resolve) => (recovered = resolve));
  try {
    const fresh = await acquireGpu();
    await calibrateSubmissions(fresh);
    adopt(fresh);
    recovered?.();
    for (const l of listeners) await l(fresh, loss);
  } catch (err) {
    setStatus({ state: 'unavailable', reason: 'error', message: `The GPU device was lost (${loss.reason}) and no new one could be acquired: ${(err as Error).message}. Reload the page; saved adapters and runs are kept.` });
  } finally {
    recovered?.();
  }
}

function adopt(g: Gpu) {
  gpu = g;
  publish(g);
  void g.lost.then((info) => handleLoss(g, { reason: info.reason ?? 'unknown', message: info.message || 'no message' }));
  g.device.addEventListener('uncapturederror', (event) => {
    for (const l of errorListeners) l((event as GPUUncapturedErrorEvent).error.message);
  });
}

/** Acquires the device once and publishes the adapter (or why there is none) to the store. */
export function startEngine(): Promise<void> {
  const started = start();
  acquiring = started;
  return started;
}

async function start(): Promise<void> {
  try {
    const g = await acquireGpu();
    await calibrateSubmissions(g);
    adopt(g);
  } catch (err) {
    const reason = err instanceof WebGpuUnavailableError ? err.reason : 'error';
    useGpuStore.getState().setStatus({ state: 'unavailable', reason, message: (err as Error).message });
  }
}

export function currentGpu(): Gpu | null {
  return gpu;
}

/** The device once the one being acquired (at start, after a loss) is ready; null if there is none. */
export async function readyGpu(): Promise<Gpu | null> {
  await acquiring;
  return gpu;
}

export function deviceGeneration(): number {
  return generation;
}

/** Errors of GPU work outside any error scope (validation, out of memory), as they are reported. */
export function onUncapturedError(listener: ErrorListener): () => void {
  errorListeners.add(listener);
  return () => errorListeners.delete(listener);
}

export function onDeviceRecovered(listener: RecoveryListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Test and support hook: loses the device on purpose — `destroy()` (reason 'destroyed'), or a
 * simulated reset (reported with reason 'unknown', as a browser reset would be).
 */
export function loseDevice(kind: 'destroy' | 'reset'): void {
  const g = gpu;
  if (!g) return;
  if (kind === 'reset') void handleLoss(g, { reason: 'unknown', message: 'simulated GPU reset' });
  g.device.destroy();
}
