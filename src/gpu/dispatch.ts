// One compute dispatch with its pipeline and bind group made once, encoded many times.
import { withErrorScopes, type Gpu } from './device.ts';
import type { PipelineConstants } from './pipeline-cache.ts';
import type { KernelFamily } from './shaders.ts';

export interface Dispatch {
  readonly label: string;
  encode(pass: GPUComputePassEncoder): void;
}

export interface DispatchSpec {
  family: KernelFamily;
  entryPoint: string;
  label: string;
  constants?: PipelineConstants;
  /**
   * Buffers by binding index, in the WGSL order: uniforms, read-only inputs, outputs. `null`
   * skips a binding the entry point does not use (it is then absent from the 'auto' layout).
   */
  bindings: (GPUBuffer | null)[];
  workgroups: readonly [number, number?, number?];
}

export async function createDispatch(gpu: Gpu, spec: DispatchSpec): Promise<Dispatch> {
  const pipeline = await gpu.pipelines.get(spec.family, spec.entryPoint, spec.constants);
  const bindGroup = await withErrorScopes(gpu.device, `bind group ${spec.label}`, () =>
    gpu.device.createBindGroup({
      label: spec.label,
      layout: pipeline.getBindGroupLayout(0),
      entries: spec.bindings.flatMap((buffer, binding) => (buffer ? [{ binding, resource: { buffer } }] : [])),
    }),
  );
  const [x, y = 1, z = 1] = spec.workgroups;
  const max = gpu.device.limits.maxComputeWorkgroupsPerDimension;
  if (x > max || y > max || z > max) {
    throw new RangeError(`${spec.label}: ${x}×${y}×${z} workgroups exceed maxComputeWorkgroupsPerDimension (${max})`);
  }
  return {
    label: spec.label,
    encode(pass) {
      if (x === 0 || y === 0 || z === 0) return;
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y, z);
    },
  };
}

/** Encodes `dispatches` in order into one compute pass and submits it. */
export function submitDispatches(gpu: Gpu, label: string, dispatches: readonly Dispatch[]): void {
  const encoder = gpu.device.createCommandEncoder({ label });
  const pass = encoder.beginComputePass({ label });
  for (const d of dispatches) d.encode(pass);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
}
