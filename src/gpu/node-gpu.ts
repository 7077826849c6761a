// WebGPU in Node through Dawn (npm `webgpu`). The Vulkan environment must be set before the
// process starts (scripts/gpu-env.mjs does it for tests, bench and CLI).
import { acquireGpu, type Gpu } from './device.ts';
import { calibrateSubmissions } from './submission-budget.ts';

// Dawn's instance must outlive every device made from it: if it is garbage-collected the
// process crashes, so it is kept here for the life of the process.
let dawnInstance: GPU | null = null;

export async function acquireNodeGpu(): Promise<Gpu> {
  if (!dawnInstance) {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    dawnInstance = create([]) as unknown as GPU;
  }
  const gpu = await acquireGpu({ gpu: dawnInstance });
  await calibrateSubmissions(gpu);
  return gpu;
}

/** Dawn keeps Node alive while a device exists: destroy it when done. */
export function releaseGpu(gpu: Gpu): void {
  gpu.device.destroy();
}
