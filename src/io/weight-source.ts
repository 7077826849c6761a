// Where a model's weights come from when a run uploads them: tensors read one at a time, in
// their checkpoint dtype (src/model/llama-model.ts packs BF16/F16 frozen weights as they are and
// widens the rest to f32). A checkpoint on disk is read lazily (openSafetensors), so it is never
// held whole in JavaScript memory; tests and generated models pass a Map of f32 arrays.
import type { RandomAccessFile } from './random-access.ts';
import { decodeTensor, parseSafetensorsHeader, readHeaderLength, type Dtype, type TensorInfo } from './safetensors.ts';

/** One tensor's values as stored: little-endian F32, F16 or BF16 bytes. */
export interface RawTensor {
  dtype: Dtype;
  bytes: Uint8Array;
}

export interface WeightSource {
  /** Tensor names with their dtype and shape, known without reading any data. */
  readonly tensors: ReadonlyMap<string, { dtype: Dtype; shape: readonly number[] }>;
  read(name: string): Promise<RawTensor>;
}

export function isWeightSource(x: WeightSource | Map<string, Float32Array>): x is WeightSource {
  return !(x instanceof Map);
}

/** f32 arrays already in memory (tests, generated models, the teacher). */
export function weightsFromArrays(arrays: Map<string, Float32Array>): WeightSource {
  const tensors = new Map([...arrays].map(([name, a]) => [name, { dtype: 'F32' as Dtype, shape: [a.length] }]));
  return {
    tensors,
    async read(name) {
      const a = arrays.get(name);
      if (!a) throw new Error(`checkpoint has no tensor ${name}`);
      return { dtype: 'F32', bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
    },
  };
}

export function asWeightSource(x: WeightSource | Map<string, Float32Array>): WeightSource {
  return isWeightSource(x) ? x : weightsFromArrays(x);
}

/** The tensor widened to f32 (a fresh array). */
export function rawToFloat32(raw: RawTensor): Float32Array {
  return decodeTensor(raw.bytes, raw.dtype);
}

export async function readFloat32(source: WeightSource, name: string): Promise<Float32Array> {
  return rawToFloat32(await source.read(name));
}

/** Every tensor widened to f32: only for small models (the whole checkpoint in memory at once). */
export async function readAllFloat32(source: WeightSource, names: Iterable<string> = source.tensors.keys()): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const name of names) out.set(name, await readFloat32(source, name));
  return out;
}

export interface SafetensorsOnDisk {
  tensors: TensorInfo[];
  metadata: Record<string, string>;
  read(t: TensorInfo): Promise<Uint8Array>;
}

/** Reads a safetensors file's header only (every rule checked against the file's size); data on demand. */
export async function openSafetensors(file: RandomAccessFile): Promise<SafetensorsOnDisk> {
  const headerLength = readHeaderLength(await file.read(0, Math.min(8, file.size)), file.size);
  const dataStart = 8 + headerLength;
  const { tensors, metadata } = parseSafetensorsHeader(await file.read(8, headerLength), file.size - dataStart);
  return { tensors, metadata, read: (t) => file.read(dataStart + t.begin, t.end - t.begin) };
}

/** Whether every tensor is BF16 or F16: a run then keeps its frozen matrices packed (the memory estimate's packedBase). */
export function storesHalves(source: WeightSource): boolean {
  return source.tensors.size > 0 && [...source.tensors.values()].every((t) => t.dtype === 'BF16' || t.dtype === 'F16');
}
