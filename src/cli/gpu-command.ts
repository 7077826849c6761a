// `lora-playground gpu`: the WebGPU adapter Node sees (Dawn), as JSON.
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';

export async function gpuCommand(): Promise<string> {
  const gpu = await acquireNodeGpu();
  try {
    return JSON.stringify(gpu.adapter, null, 2);
  } finally {
    releaseGpu(gpu);
  }
}
