// The one place that talks to navigator.gpu: picks an adapter, asks for the limits and optional
// features the kernels can use, and wraps the device with the pipeline cache.
import { GpuOutOfMemoryError, GpuValidationError, WebGpuUnavailableError } from './errors.ts';
import { PipelineCache } from './pipeline-cache.ts';

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
  return {
    device,
    adapter: summary,
    features: new Set(requiredFeatures),
    pipelines: new PipelineCache(device),
    lost: device.lost,
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
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let value: T | undefined;
  let thrown: unknown;
  try {
    value = make();
  } catch (err) {
    thrown = err;
  }
  const validationError = await device.popErrorScope();
  const oomError = await device.popErrorScope();
  if (oomError) throw new GpuOutOfMemoryError(`Out of GPU memory while creating ${what}: ${oomError.message}`);
  if (validationError) throw new GpuValidationError(`WebGPU rejected ${what}: ${validationError.message}`);
  if (thrown !== undefined) throw thrown;
  return value as T;
}
