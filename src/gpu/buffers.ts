// GPU tensors: a storage buffer with a shape and a label, plus upload and readback.
import { recordAllocation } from './allocations.ts';
import { withErrorScopes, type Gpu } from './device.ts';
import { GpuLimitError } from './errors.ts';
import { formatBytes } from '../util/format-bytes.ts';

export { formatBytes };

export interface GpuTensor {
  readonly label: string;
  readonly shape: readonly number[];
  readonly numel: number;
  readonly buffer: GPUBuffer;
}

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Throws a GpuLimitError naming the limit when `bytes` cannot be one storage binding. */
export function checkBindingSize(gpu: Gpu, label: string, bytes: number): void {
  const { maxBufferSize, maxStorageBufferBindingSize } = gpu.device.limits;
  const limit = Math.min(maxBufferSize, maxStorageBufferBindingSize);
  if (bytes > limit) {
    const which = maxStorageBufferBindingSize <= maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
    throw new GpuLimitError(
      `${label} needs ${formatBytes(bytes)} in one buffer, over this device's ${which} of ${formatBytes(limit)}. ` +
        'Use a smaller model, rank, batch or sequence length.',
    );
  }
}

/** Allocates an f32 tensor (zero-filled, or holding `data`). */
export async function createTensor(gpu: Gpu, label: string, shape: readonly number[], data?: Float32Array): Promise<GpuTensor> {
  const numel = numelOf(shape);
  if (!Number.isInteger(numel) || numel < 0) throw new RangeError(`${label}: bad shape [${shape.join(', ')}]`);
  if (data && data.length !== numel) {
    throw new RangeError(`${label}: data has ${data.length} values, shape [${shape.join(', ')}] needs ${numel}`);
  }
  const bytes = Math.max(4, numel * 4);
  checkBindingSize(gpu, label, bytes);
  const buffer = await withErrorScopes(gpu.device, `buffer ${label}`, () =>
    gpu.device.createBuffer({
      label,
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    }),
  );
  recordAllocation(gpu, { label, bytes, buffer });
  if (data) gpu.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return { label, shape: [...shape], numel, buffer };
}

/** A u32 buffer (token ids, targets), uploaded once. */
export async function createU32Buffer(gpu: Gpu, label: string, data: Uint32Array): Promise<GPUBuffer> {
  const bytes = Math.max(4, data.byteLength);
  checkBindingSize(gpu, label, bytes);
  const buffer = await withErrorScopes(gpu.device, `buffer ${label}`, () =>
    gpu.device.createBuffer({ label, size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC }),
  );
  recordAllocation(gpu, { label, bytes, buffer });
  gpu.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** Writes a small struct of u32 and f32 fields (in WGSL order) to a new uniform buffer. */
export function createParams(gpu: Gpu, label: string, fields: readonly ['u32' | 'f32', number][]): GPUBuffer {
  const data = new ArrayBuffer(Math.max(16, fields.length * 4));
  const view = new DataView(data);
  fields.forEach(([type, value], i) => (type === 'u32' ? view.setUint32(i * 4, value, true) : view.setFloat32(i * 4, value, true)));
  const buffer = createUniformBuffer(gpu, label, data.byteLength);
  gpu.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

export function writeTensor(gpu: Gpu, tensor: GpuTensor, data: Float32Array): void {
  if (data.length !== tensor.numel) throw new RangeError(`${tensor.label}: expected ${tensor.numel} values, got ${data.length}`);
  gpu.device.queue.writeBuffer(tensor.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
}

/** Copies a buffer's first `bytes` into a mappable staging buffer and returns them. */
export async function readBytes(gpu: Gpu, buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  const staging = gpu.device.createBuffer({
    label: `${buffer.label}.readback`,
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = gpu.device.createCommandEncoder({ label: `${buffer.label}.readback` });
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
  gpu.device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0, bytes);
  staging.unmap();
  staging.destroy();
  return copy;
}

export async function readTensor(gpu: Gpu, tensor: GpuTensor): Promise<Float32Array> {
  return new Float32Array(await readBytes(gpu, tensor.buffer, tensor.numel * 4));
}

/** A small uniform buffer; `write` replaces its contents. */
export function createUniformBuffer(gpu: Gpu, label: string, bytes: number): GPUBuffer {
  return gpu.device.createBuffer({
    label,
    size: Math.ceil(bytes / 16) * 16,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
}


/** to ← from on the GPU (same size). */
export function copyTensor(gpu: Gpu, from: GpuTensor, to: GpuTensor): void {
  copyTensors(gpu, `copy ${from.label}`, [from], [to]);
}

/** to[i] ← from[i] on the GPU (same sizes), in one submission. */
export function copyTensors(gpu: Gpu, label: string, from: readonly GpuTensor[], to: readonly GpuTensor[]): void {
  const encoder = gpu.device.createCommandEncoder({ label });
  from.forEach((f, i) => {
    if (f.numel !== to[i].numel) throw new RangeError(`cannot copy ${f.label} (${f.numel} values) into ${to[i].label} (${to[i].numel})`);
    encoder.copyBufferToBuffer(f.buffer, 0, to[i].buffer, 0, Math.max(4, f.numel * 4));
  });
  gpu.device.queue.submit([encoder.finish()]);
}
