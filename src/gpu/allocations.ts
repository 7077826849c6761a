// Which storage buffers a piece of code allocated, so a model can report (and free) exactly
// what it holds, and the memory estimate can be checked against real allocations. Every storage
// buffer made by the helpers in buffers.ts is also in a per-device registry of live buffers
// until it is destroyed: the page's memory breakdown and the "one base model" check read it.
import type { Gpu } from './device.ts';

export interface Allocation {
  label: string;
  bytes: number;
  buffer: GPUBuffer;
}

const openScopes = new WeakMap<GPUDevice, Allocation[][]>();
const live = new WeakMap<GPUDevice, Set<Allocation>>();

/** Called by the buffer helpers for every storage buffer they create. */
export function recordAllocation(gpu: Gpu, allocation: Allocation): void {
  for (const scope of openScopes.get(gpu.device) ?? []) scope.push(allocation);
  let registry = live.get(gpu.device);
  if (!registry) live.set(gpu.device, (registry = new Set()));
  registry.add(allocation);
  // WebGPU cannot be asked whether a buffer was destroyed: the registry learns it from destroy().
  const buffer = allocation.buffer;
  const destroy = buffer.destroy.bind(buffer);
  const set = registry;
  Object.defineProperty(buffer, 'destroy', {
    configurable: true,
    value: () => {
      set.delete(allocation);
      destroy();
    },
  });
}

/** The storage buffers alive on this device now (made by the helpers, not yet destroyed). */
export function liveAllocations(gpu: Gpu): Allocation[] {
  return [...(live.get(gpu.device) ?? [])];
}

/** Runs `build` and returns what it made with every storage buffer it allocated (nested scopes see theirs too); if it throws, those buffers are destroyed. */
export async function withAllocationScope<T>(gpu: Gpu, build: () => Promise<T>): Promise<{ value: T; allocations: Allocation[] }> {
  const scopes = openScopes.get(gpu.device) ?? [];
  openScopes.set(gpu.device, scopes);
  const allocations: Allocation[] = [];
  scopes.push(allocations);
  try {
    return { value: await build(), allocations };
  } catch (err) {
    // A build that failed leaves nothing behind: what it had allocated is freed.
    for (const a of allocations) a.buffer.destroy();
    throw err;
  } finally {
    scopes.splice(scopes.indexOf(allocations), 1);
  }
}

export function totalBytes(allocations: readonly Allocation[]): number {
  return allocations.reduce((sum, a) => sum + a.bytes, 0);
}
