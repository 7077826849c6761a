// One compute dispatch with its pipeline and bind group made once, encoded many times.
import { withErrorScopes, type Gpu } from './device.ts';
import type { PipelineConstants } from './pipeline-cache.ts';
import type { KernelFamily } from './shaders.ts';

export interface Dispatch {
  readonly label: string;
  /** Estimated floating-point operations: how submitDispatches sizes submissions. */
  readonly flops: number;
  encode(pass: GPUComputePassEncoder): void;
}

export interface DispatchSpec {
  family: KernelFamily;
  entryPoint: string;
  label: string;
  constants?: PipelineConstants;
  /**
   * Buffers by binding index, in the WGSL order: uniforms, read-only inputs, outputs. `null`
   * skips a binding the entry point does not use (it is then absent from the 'auto' layout). A
   * GPUBufferBinding binds a range of a buffer (a view made by rowsOf in buffers.ts).
   */
  bindings: (GPUBuffer | GPUBufferBinding | null)[];
  workgroups: readonly [number, number?, number?];
  /** Estimated floating-point operations (matmul: 2·M·N·K); by default 8 per invocation of 256-wide workgroups. */
  flops?: number;
}

/** A GPUBufferBinding (a buffer's range, as bindingOf makes for a view) rather than a whole GPUBuffer. */
function isRange(b: GPUBuffer | GPUBufferBinding): b is GPUBufferBinding {
  return 'offset' in b;
}

export async function createDispatch(gpu: Gpu, spec: DispatchSpec): Promise<Dispatch> {
  const pipeline = await gpu.pipelines.get(spec.family, spec.entryPoint, spec.constants);
  const bindGroup = await withErrorScopes(gpu.device, `bind group ${spec.label}`, () =>
    gpu.device.createBindGroup({
      label: spec.label,
      layout: pipeline.getBindGroupLayout(0),
      entries: spec.bindings.flatMap((b, binding) => (b ? [{ binding, resource: isRange(b) ? b : { buffer: b } }] : [])),
    }),
  );
  const [x, y = 1, z = 1] = spec.workgroups;
  const max = gpu.device.limits.maxComputeWorkgroupsPerDimension;
  if (x > max || y > max || z > max) {
    throw new RangeError(`${spec.label}: ${x}×${y}×${z} workgroups exceed maxComputeWorkgroupsPerDimension (${max})`);
  }
  return {
    label: spec.label,
    flops: spec.flops ?? x * y * z * 256 * 8,
    encode(pass) {
      if (x === 0 || y === 0 || z === 0) return;
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y, z);
    },
  };
}

/**
 * Encodes `dispatches` in order and submits them: one compute pass per submission, a new
 * submission whenever the next dispatch would take the current one past gpu.submissionFlops, so
 * no single submission runs long enough for a browser to reset the device as hung.
 */
export function submitDispatches(gpu: Gpu, label: string, dispatches: readonly Dispatch[]): void {
  for (const chunk of splitByFlops(dispatches, gpu.submissionFlops)) {
    const encoder = gpu.device.createCommandEncoder({ label });
    const pass = encoder.beginComputePass({ label });
    for (const d of chunk) d.encode(pass);
    pass.end();
    gpu.device.queue.submit([encoder.finish()]);
  }
}

/** Consecutive runs of dispatches whose flops stay within `budget` (a larger dispatch goes alone). */
export function splitByFlops<T extends { flops: number }>(items: readonly T[], budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let sum = 0;
  for (const item of items) {
    if (current.length > 0 && sum + item.flops > budget) {
      chunks.push(current);
      current = [];
      sum = 0;
    }
    current.push(item);
    sum += item.flops;
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(current);
  return chunks;
}
