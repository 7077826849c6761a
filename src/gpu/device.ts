// The one place that talks to navigator.gpu: picks an adapter, asks for the limits and optional
// features the kernels can use, and wraps the device with the pipeline cache.
import { GpuOutOfMemoryError, GpuValidationError, WebGpuUnavailableError } from './errors.ts';
import { PipelineCache } from './pipeline-cache.ts';
import { probeQuadLayout } from './quad-probe.ts';

/** Optional features we use when present and never require. */
export const OPTIONAL_FEATURES = ['timestamp-query', 'shader-f16', 'subgroups'] as GPUFeatureName[];

/** Limits the kernels benefit from; each is raised to the adapter's maximum. */
const WANTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<(typeof WANTED_LIMITS)[number], number>;
}

/** A device plus what we learned while making it. */
export interface Gpu {
  device: GPUDevice;
  adapter: AdapterSummary;
  features: Set<string>;
  pipelines: PipelineCache;
  /** Resolves when the device is lost (destroyed or reset by the browser). */
  lost: Promise<GPUDeviceLostInfo>;
  /**
   * Estimated floating-point operations one submission may hold (submitDispatches splits longer
   * work); Infinity until calibrateSubmissions has measured the device.
   */
  submissionFlops: number;
  /** Subgroups whose quads are four consecutive local invocations: the quad matmul and attention run (quad-probe.ts). */
  quadKernels: boolean;
}

export interface AcquireOptions {
  /** The GPU entry point; navigator.gpu by default (Dawn's `create([])` in Node). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
}

export async function acquireGpu(options: AcquireOptions = {}): Promise<Gpu> {
  const gpu = options.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new WebGpuUnavailableError('no-webgpu');

  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) throw new WebGpuUnavailableError('no-adapter');

  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];

  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: 'lora-playground', requiredFeatures, requiredLimits });
  } catch (err) {
    throw new WebGpuUnavailableError('device-request-failed', (err as Error).message);
  }
  device.addEventListener('uncapturederror', (event) => {
    console.error('[webgpu] uncaptured error:', (event as GPUUncapturedErrorEvent).error.message);
  });

  const summary = summarizeAdapter(adapter, requiredFeatures);
  const quadKernels = await probeQuadLayout(device, requiredFeatures.includes('subgroups' as GPUFeatureName));
  return {
    device,
    adapter: summary,
    features: new Set(requiredFeatures),
    pipelines: new PipelineCache(device),
    lost: device.lost,
    submissionFlops: Infinity,
    quadKernels,
  };
}

function summarizeAdapter(adapter: GPUAdapter, features: GPUFeatureName[]): AdapterSummary {
  const info = adapter.info;
  const limits = {} as AdapterSummary['limits'];
  for (const name of WANTED_LIMITS) limits[name] = adapter.limits[name];
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter),
    features: [...features],
    limits,
  };
}

/**
 * Runs `make` inside validation and out-of-memory error scopes and turns a captured error into
 * a typed exception. Use around allocations and pipeline creation.
 */
export async function withErrorScopes<T>(device: GPUDevice, what: string, make: () => T): Promise<T> {
  const scopes = openErrorScopes(device, `creating ${what}`);
  let value: T | undefined;
  let thrown: unknown;
  try {
    value = make();
  } catch (err) {
    thrown = err;
  }
  const error = await scopes.close();
  if (error) throw error;
  if (thrown !== undefined) throw thrown;
  return value as T;
}

/**
 * Catches the validation and out-of-memory errors of the GPU calls made until `close()`, which
 * resolves to the first as a typed error (or null). Scopes nest: close them in reverse order.
 */
export function openErrorScopes(device: GPUDevice, what: string): { close(): Promise<GpuOutOfMemoryError | GpuValidationError | null> } {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  return {
    async close() {
      // Both popped now (innermost first), so calls made while awaiting are outside the scopes.
      const [validationError, oomError] = await Promise.all([device.popErrorScope(), device.popErrorScope()]);
      if (oomError) return new GpuOutOfMemoryError(`Out of GPU memory while ${what}: ${oomError.message}`);
      if (validationError) return new GpuValidationError(`WebGPU rejected ${what}: ${validationError.message}`);
      return null;
    },
  };
}
