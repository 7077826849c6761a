// Owns the GPU device of one Session: acquires it, reports what it found, and when the device is
// lost (destroyed, or reset by the browser) acquires a new one and tells the Session, so it can
// rebuild its run and restore the last checkpoint. Knows nothing of the page or the CLI.
import type { Gpu } from '../gpu/device.ts';
import { WebGpuUnavailableError } from '../gpu/errors.ts';
import { calibrateSubmissions } from '../gpu/submission-budget.ts';
import type { GpuStatus } from './types.ts';

export interface DeviceLoss {
  reason: string; // 'destroyed' or 'unknown' (a reset, a driver crash, a simulated loss)
  message: string;
}

export interface DeviceKeeperEvents {
  status(status: GpuStatus): void;
  /** The device is gone (said at once, before a new one is sought). */
  lost(): void;
  /** No new device will come (none could be acquired, or the keeper was closed). */
  gaveUp(): void;
  /** A new device after a loss, ready for the Session to rebuild on. */
  recovered(gpu: Gpu, loss: DeviceLoss): Promise<void>;
  /** Errors of GPU work outside any error scope (validation, out of memory). */
  uncaptured(message: string): void;
}

export class DeviceKeeper {
  private gpu: Gpu | null = null;
  /** Settles when the device being acquired (at start, or after a loss) is ready or has failed. */
  private acquiring: Promise<unknown> = Promise.resolve();
  /** Counts devices: work started on one generation knows when its device went away. */
  generation = 0;
  private readonly handled = new WeakSet<Gpu>();
  private closed = false;

  constructor(private readonly acquire: () => Promise<Gpu>, private readonly events: DeviceKeeperEvents) {}

  /** Acquires the device once and reports the adapter (or why there is none). */
  start(): Promise<void> {
    const started = (async () => {
      try {
        this.adopt(await this.acquireCalibrated());
      } catch (err) {
        const reason = err instanceof WebGpuUnavailableError ? err.reason : 'error';
        this.events.status({ state: 'unavailable', reason, message: (err as Error).message });
      }
    })();
    this.acquiring = started;
    return started;
  }

  private async acquireCalibrated(): Promise<Gpu> {
    const g = await this.acquire();
    if (!Number.isFinite(g.submissionFlops)) await calibrateSubmissions(g);
    return g;
  }

  /** The device once the one being acquired is ready; null if there is none. */
  async ready(): Promise<Gpu | null> {
    await this.acquiring;
    return this.gpu;
  }

  current(): Gpu | null {
    return this.gpu;
  }

  private adopt(g: Gpu) {
    this.gpu = g;
    this.events.status({ state: 'ready', adapter: g.adapter });
    void g.lost.then((info) => this.handleLoss(g, { reason: info.reason ?? 'unknown', message: info.message || 'no message' }));
    g.device.addEventListener('uncapturederror', (event) => this.events.uncaptured((event as GPUUncapturedErrorEvent).error.message));
  }

  private async handleLoss(lost: Gpu, loss: DeviceLoss): Promise<void> {
    if (this.closed || this.handled.has(lost) || lost !== this.gpu) return;
    this.handled.add(lost);
    this.gpu = null;
    this.generation++;
    this.events.lost();
    this.events.status({ state: 'unavailable', reason: 'error', message: `The GPU device was lost (${loss.reason}: ${loss.message}); acquiring a new one…` });
    let recovered: (() => void) | undefined;
    this.acquiring = new Promise<void>((resolve) => (recovered = resolve));
    try {
      const fresh = await this.acquireCalibrated();
      if (this.closed) {
        fresh.device.destroy(); // closed while acquiring (a CLI command that is done): keep nothing alive
        this.events.gaveUp();
        return;
      }
      this.adopt(fresh);
      recovered?.();
      await this.events.recovered(fresh, loss);
    } catch (err) {
      this.events.gaveUp();
      this.events.status({ state: 'unavailable', reason: 'error', message: `The GPU device was lost (${loss.reason}) and no new one could be acquired: ${(err as Error).message}. Reload the page; saved adapters and runs are kept.` });
    } finally {
      recovered?.();
    }
  }

  /** Destroys the device for good (a CLI command that is done): no new device is acquired. */
  close(): void {
    this.closed = true;
    this.gpu?.device.destroy();
    this.gpu = null;
  }

  /**
   * Test and support hook: loses the device on purpose — `destroy()` (reason 'destroyed'), or a
   * simulated reset (reported with reason 'unknown', as a browser reset would be).
   */
  lose(kind: 'destroy' | 'reset'): void {
    const g = this.gpu;
    if (!g) return;
    if (kind === 'reset') void this.handleLoss(g, { reason: 'unknown', message: 'simulated GPU reset' });
    g.device.destroy();
  }
}
