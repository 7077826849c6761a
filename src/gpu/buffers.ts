// GPU tensors: a storage buffer with a shape and a label, plus upload and readback.
import { recordAllocation } from './allocations.ts';
import { withErrorScopes, type Gpu } from './device.ts';
import { GpuLimitError } from './errors.ts';
import { formatBytes } from '../util/format-bytes.ts';
import { decodeTensor } from '../util/half-float.ts';

export { formatBytes };

/** f32, or 16-bit values packed two per u32 (element e in word e >> 1, low half first). */
export type TensorFormat = 'f32' | 'bf16' | 'f16';

export interface GpuTensor {
  readonly label: string;
  readonly shape: readonly number[];
  readonly numel: number;
  readonly buffer: GPUBuffer;
  /** Absent: f32. Packed tensors are frozen weights, read by the kernels of shaders/packed_*.wgsl. */
  readonly format?: TensorFormat;
  /** Where a view (rowsOf) starts in `buffer`, in bytes; absent: at 0. */
  readonly byteOffset?: number;
}

/**
 * Rows [row0, row0 + rows) of an f32 tensor as a tensor of its own, bound at a byte offset (no
 * copy). The offset must be a multiple of the device's minStorageBufferOffsetAlignment. Only kernels
 * that bind through bindingOf take views: the matmuls and cross-entropy.
 */
export function rowsOf(gpu: Gpu, t: GpuTensor, row0: number, rows: number): GpuTensor {
  const [total, ...rest] = t.shape;
  const width = numelOf(rest);
  if (isPacked(t)) throw new RangeError(`${t.label}: a view of rows needs an f32 tensor`);
  if (!Number.isInteger(row0) || !Number.isInteger(rows) || row0 < 0 || rows < 1 || row0 + rows > total) {
    throw new RangeError(`${t.label}: rows ${row0}..${row0 + rows} are outside its ${total} rows`);
  }
  const byteOffset = (t.byteOffset ?? 0) + row0 * width * 4;
  const alignment = gpu.device.limits.minStorageBufferOffsetAlignment;
  if (byteOffset % alignment !== 0) {
    throw new RangeError(`${t.label}: rows from ${row0} start at byte ${byteOffset}, not a multiple of this device's minStorageBufferOffsetAlignment (${alignment})`);
  }
  return { label: `${t.label}[${row0}:${row0 + rows}]`, shape: [rows, ...rest], numel: rows * width, buffer: t.buffer, byteOffset };
}

/** What a bind group entry binds for `t`: its whole buffer, or a view's range of it. */
export function bindingOf(t: GpuTensor): GPUBuffer | GPUBufferBinding {
  return t.byteOffset === undefined ? t.buffer : { buffer: t.buffer, offset: t.byteOffset, size: tensorBytes(t) };
}

export function isPacked(t: GpuTensor): boolean {
  return t.format === 'bf16' || t.format === 'f16';
}

/** Bytes of the tensor's buffer contents (packed: 2 per value, rounded up to a whole u32). */
export function tensorBytes(t: Pick<GpuTensor, 'numel' | 'format'>): number {
  return t.format === 'bf16' || t.format === 'f16' ? Math.max(4, Math.ceil(t.numel / 2) * 4) : Math.max(4, t.numel * 4);
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

/**
 * A frozen weight in its checkpoint precision: `halves` holds the 16-bit values (little-endian,
 * as safetensors stores them), uploaded as they are, two per u32.
 */
export async function createPackedTensor(gpu: Gpu, label: string, shape: readonly number[], format: 'bf16' | 'f16', halves: Uint8Array): Promise<GpuTensor> {
  const numel = numelOf(shape);
  if (halves.byteLength !== numel * 2) throw new RangeError(`${label}: ${halves.byteLength} bytes, shape [${shape.join(', ')}] of ${format} needs ${numel * 2}`);
  const bytes = tensorBytes({ numel, format });
  checkBindingSize(gpu, label, bytes);
  const buffer = await withErrorScopes(gpu.device, `buffer ${label}`, () =>
    gpu.device.createBuffer({ label, size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST }),
  );
  recordAllocation(gpu, { label, bytes, buffer });
  // writeBuffer needs a multiple of 4 bytes: an odd count's last half goes with a zero.
  const whole = halves.byteLength & ~3;
  if (whole > 0) gpu.device.queue.writeBuffer(buffer, 0, halves.buffer, halves.byteOffset, whole);
  if (whole < halves.byteLength) gpu.device.queue.writeBuffer(buffer, whole, new Uint8Array([halves[whole], halves[whole + 1], 0, 0]));
  return { label, shape: [...shape], numel, buffer, format };
}

/** A tensor of the same shape and format as `like`, zero-filled. */
export async function createTensorLike(gpu: Gpu, label: string, like: GpuTensor): Promise<GpuTensor> {
  if (!isPacked(like)) return createTensor(gpu, label, like.shape);
  return createPackedTensor(gpu, label, like.shape, like.format as 'bf16' | 'f16', new Uint8Array(like.numel * 2));
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

/** The tensor's values as f32 (packed values widened exactly). */
export async function readTensor(gpu: Gpu, tensor: GpuTensor): Promise<Float32Array> {
  if (tensor.byteOffset !== undefined) return (await readTensors(gpu, [tensor]))[0];
  if (!isPacked(tensor)) return new Float32Array(await readBytes(gpu, tensor.buffer, tensor.numel * 4));
  return decodeTensor(await readPackedHalves(gpu, tensor), tensor.format === 'bf16' ? 'BF16' : 'F16');
}

/**
 * Several tensors read back from one submission (one staging buffer, one map): a consistent
 * snapshot of all of them at one point of the queue, even between steps in flight. A validation
 * error (a buffer destroyed meanwhile) rejects here rather than reaching the device's uncaptured
 * error handler. Packed values are widened exactly.
 */
export async function readTensors(gpu: Gpu, tensors: readonly GpuTensor[]): Promise<Float32Array[]> {
  const sizes = tensors.map((t) => Math.ceil((t.numel * (isPacked(t) ? 2 : 4)) / 4) * 4);
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const total = Math.max(4, sizes.reduce((a, b) => a + b, 0));
  checkBindingSize(gpu, 'a readback', total);
  const staging = gpu.device.createBuffer({ label: 'tensors.readback', size: total, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    await withErrorScopes(gpu.device, `a readback of ${tensors.length} tensors`, () => {
      const encoder = gpu.device.createCommandEncoder({ label: 'tensors.readback' });
      tensors.forEach((t, i) => sizes[i] > 0 && encoder.copyBufferToBuffer(t.buffer, t.byteOffset ?? 0, staging, offsets[i], sizes[i]));
      gpu.device.queue.submit([encoder.finish()]);
    });
    await staging.mapAsync(GPUMapMode.READ);
    const bytes = staging.getMappedRange().slice(0);
    staging.unmap();
    return tensors.map((t, i) => {
      const raw = new Uint8Array(bytes, offsets[i], isPacked(t) ? t.numel * 2 : t.numel * 4);
      return isPacked(t) ? decodeTensor(raw, t.format === 'bf16' ? 'BF16' : 'F16') : new Float32Array(raw.slice().buffer);
    });
  } finally {
    staging.destroy();
  }
}

/** A packed tensor's 16-bit values as stored (little-endian bytes, 2 per value). */
export async function readPackedHalves(gpu: Gpu, tensor: GpuTensor): Promise<Uint8Array> {
  if (!isPacked(tensor)) throw new Error(`${tensor.label} is not packed`);
  return new Uint8Array(await readBytes(gpu, tensor.buffer, tensor.numel * 2));
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
    if (f.numel !== to[i].numel || (f.format ?? 'f32') !== (to[i].format ?? 'f32')) throw new RangeError(`cannot copy ${f.label} (${f.numel} values, ${f.format ?? 'f32'}) into ${to[i].label} (${to[i].numel}, ${to[i].format ?? 'f32'})`);
    encoder.copyBufferToBuffer(f.buffer, 0, to[i].buffer, 0, tensorBytes(f));
  });
  gpu.device.queue.submit([encoder.finish()]);
}
