// Per-dispatch GPU time of a list of dispatches (one training step), from timestamp queries: each
// kernel runs in its own compute pass whose start and end the GPU stamps. Kernels are grouped by
// what they do, with the layer index taken out of the label (model.layers.7.mlp.up_proj.H=XAt →
// mlp.up_proj.H=XAt), so the profile says where a step's time goes and which kernels are so
// short that the cost of a dispatch, not their arithmetic, sets their time.
import type { Gpu } from '../gpu/device.ts';
import type { Dispatch } from '../gpu/dispatch.ts';

export interface KernelTime {
  kernel: string;
  dispatches: number;
  totalUs: number;
  meanUs: number;
  /** Share of the step's summed kernel time. */
  share: number;
}

export interface DispatchProfile {
  method: 'timestamp-query' | 'unavailable';
  dispatches: number;
  totalUs: number;
  /** The shortest kernel seen: about what one dispatch costs with next to no work in it. */
  shortestUs: number;
  /** Dispatches whose time is within 2× the shortest: bound by the dispatch, not the arithmetic. */
  dispatchBound: { dispatches: number; totalUs: number; share: number };
  kernels: KernelTime[];
}

/** The kernel's name without its layer or its chunk of rows ([c], logits-chunks.ts): what repeats. */
export function kernelGroup(label: string): string {
  return label.replace(/^model\.layers\.\d+\./, '').replace(/^layer\.\d+\./, '').replace(/\[\d+\]/, '');
}

interface Recorded {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

/** Records what `dispatches` would encode (each kernel's pipeline, bind group and size), without running it. */
function recordKernels(dispatches: readonly Dispatch[]): Recorded[] {
  const kernels: Recorded[] = [];
  let pipeline: GPUComputePipeline | null = null;
  let bindGroup: GPUBindGroup | null = null;
  const pass = {
    setPipeline: (p: GPUComputePipeline) => void (pipeline = p),
    setBindGroup: (_index: number, g: GPUBindGroup) => void (bindGroup = g),
    dispatchWorkgroups: (x: number, y = 1, z = 1) => {
      if (!pipeline || !bindGroup) throw new Error('a dispatch before its pipeline and bind group');
      // A bind group is labelled with its dispatch's label (src/gpu/dispatch.ts).
      kernels.push({ label: bindGroup.label || pipeline.label, pipeline, bindGroup, workgroups: [x, y, z] });
    },
  } as unknown as GPUComputePassEncoder;
  for (const d of dispatches) d.encode(pass);
  return kernels;
}

/**
 * Runs `dispatches` `reps` times, each kernel in its own timestamped pass, and returns the median
 * time of each kernel grouped by kernelGroup(label). Run `prepare` first (it writes the batch).
 */
export async function profileDispatches(gpu: Gpu, dispatches: readonly Dispatch[], reps = 3): Promise<DispatchProfile> {
  const kernels = recordKernels(dispatches);
  if (!gpu.features.has('timestamp-query')) {
    return { method: 'unavailable', dispatches: kernels.length, totalUs: 0, shortestUs: 0, dispatchBound: { dispatches: 0, totalUs: 0, share: 0 }, kernels: [] };
  }
  const device = gpu.device;
  const perQuerySet = 2048; // pairs of stamps per query set (4096 queries is the limit)
  const samples: number[][] = kernels.map(() => []);
  for (let rep = 0; rep < reps; rep++) {
    for (let start = 0; start < kernels.length; start += perQuerySet) {
      const chunk = kernels.slice(start, start + perQuerySet);
      const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * chunk.length, label: 'profile' });
      const resolve = device.createBuffer({ size: 16 * chunk.length, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, label: 'profile.resolve' });
      const read = device.createBuffer({ size: 16 * chunk.length, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'profile.read' });
      const encoder = device.createCommandEncoder({ label: 'profile' });
      chunk.forEach((k, i) => {
        const pass = encoder.beginComputePass({ label: k.label, timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        pass.setPipeline(k.pipeline);
        pass.setBindGroup(0, k.bindGroup);
        pass.dispatchWorkgroups(...k.workgroups);
        pass.end();
      });
      encoder.resolveQuerySet(querySet, 0, 2 * chunk.length, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16 * chunk.length);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const stamps = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      for (const b of [querySet, resolve, read]) b.destroy();
      chunk.forEach((_, i) => samples[start + i].push(Number(stamps[2 * i + 1] - stamps[2 * i]) / 1000));
    }
  }
  const times = samples.map((s) => [...s].sort((a, b) => a - b)[s.length >> 1]);
  const totalUs = times.reduce((a, b) => a + b, 0);
  const shortestUs = Math.min(...times.filter((t) => t > 0), Infinity);
  const groups = new Map<string, { dispatches: number; totalUs: number }>();
  kernels.forEach((k, i) => {
    const name = kernelGroup(k.label);
    const g = groups.get(name) ?? { dispatches: 0, totalUs: 0 };
    g.dispatches++;
    g.totalUs += times[i];
    groups.set(name, g);
  });
  const bound = times.filter((t) => t <= 2 * shortestUs);
  const boundUs = bound.reduce((a, b) => a + b, 0);
  return {
    method: 'timestamp-query',
    dispatches: kernels.length,
    totalUs,
    shortestUs: Number.isFinite(shortestUs) ? shortestUs : 0,
    dispatchBound: { dispatches: bound.length, totalUs: boundUs, share: totalUs > 0 ? boundUs / totalUs : 0 },
    kernels: [...groups].map(([kernel, g]) => ({ kernel, dispatches: g.dispatches, totalUs: g.totalUs, meanUs: g.totalUs / g.dispatches, share: totalUs > 0 ? g.totalUs / totalUs : 0 }))
      .sort((a, b) => b.totalUs - a.totalUs),
  };
}
