// Fault injection for the robustness tests (e2e/robustness.spec.ts), applied inside the worker,
// where the engine's WebGPU and IndexedDB calls happen: a test sets `window.__loraFaults` before
// the page loads, the page passes it to the worker at start, and the worker patches its own
// globals before acquiring the device. `breakPass` arms a real device error at run time.
export interface Faults {
  /** navigator.gpu is missing (a browser without WebGPU). */
  noWebGpu?: boolean;
  /** requestAdapter() resolves to null. */
  adapterNull?: boolean;
  /** requestDevice() rejects with this message (an OperationError). */
  deviceError?: string;
  /** The device reports this maxStorageBufferBindingSize (real ones report ≥ 128 MiB). */
  maxStorageBufferBindingSize?: number;
  /** Writing the autosaved checkpoint fails as a full storage does. */
  checkpointQuota?: boolean;
}

let breakNextPass: string | null = null;

/** The next dispatch in a pass whose label starts with `label` asks for 2^30 workgroups: WebGPU rejects its command buffer. */
export function breakPass(label: string): void {
  breakNextPass = label;
}

export function installFaults(f: Faults): void {
  if (f.noWebGpu) Object.defineProperty(Object.getPrototypeOf(navigator), 'gpu', { get: () => undefined, configurable: true });
  if (typeof GPU === 'undefined') return; // no WebGPU here: nothing else to break
  if (f.adapterNull) GPU.prototype.requestAdapter = async () => null;
  if (f.deviceError) {
    const message = f.deviceError;
    GPUAdapter.prototype.requestDevice = async () => {
      throw new DOMException(message, 'OperationError');
    };
  }
  if (f.maxStorageBufferBindingSize !== undefined) {
    const limit = f.maxStorageBufferBindingSize;
    const descriptor = Object.getOwnPropertyDescriptor(GPUDevice.prototype, 'limits')!;
    Object.defineProperty(GPUDevice.prototype, 'limits', {
      configurable: true,
      get(this: GPUDevice) {
        const real = descriptor.get!.call(this) as GPUSupportedLimits;
        return new Proxy(real, { get: (target, key) => (key === 'maxStorageBufferBindingSize' ? limit : Reflect.get(target, key)) });
      },
    });
  }
  if (f.checkpointQuota) {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
      if (this.name === 'checkpoints') throw new DOMException('simulated: the quota is exhausted', 'QuotaExceededError');
      return put.apply(this, args);
    };
  }
  const dispatch = GPUComputePassEncoder.prototype.dispatchWorkgroups;
  GPUComputePassEncoder.prototype.dispatchWorkgroups = function (this: GPUComputePassEncoder, x: number, y?: number, z?: number) {
    if (breakNextPass && this.label.startsWith(breakNextPass)) {
      breakNextPass = null;
      return dispatch.call(this, 2 ** 30, 1, 1);
    }
    return dispatch.call(this, x, y, z);
  };
}
