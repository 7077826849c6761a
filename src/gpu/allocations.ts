// Which storage buffers a piece of code allocated, so a model can report (and free) exactly
// what it holds, and the memory estimate can be checked against real allocations.
import type { Gpu } from './device.ts';

export interface Allocation {
  label: string;
  bytes: number;
  buffer: GPUBuffer;
}

const openScopes = new WeakMap<GPUDevice, Allocation[][]>();

/** Called by the buffer helpers for every storage buffer they create. */
export function recordAllocation(gpu: Gpu, allocation: Allocation): void {
  for (const scope of openScopes.get(gpu.device) ?? []) scope.push(allocation);
}

/** Runs `build` and returns what it made with every storage buffer it allocated (nested scopes see theirs too). */
export async function withAllocationScope<T>(gpu: Gpu, build: () => Promise<T>): Promise<{ value: T; allocations: Allocation[] }> {
  const scopes = openScopes.get(gpu.device) ?? [];
  openScopes.set(gpu.device, scopes);
  const allocations: Allocation[] = [];
  scopes.push(allocations);
  try {
    return { value: await build(), allocations };
  } finally {
    scopes.splice(scopes.indexOf(allocations), 1);
  }
}

export function totalBytes(allocations: readonly Allocation[]): number {
  return allocations.reduce((sum, a) => sum + a.bytes, 0);
}
