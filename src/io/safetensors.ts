// safetensors: 8-byte little-endian header length N, N bytes of UTF-8 JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data.
// The reader checks every rule of the reference implementation and throws SafetensorsError
// naming the tensor or field at fault; the writer pads the header to a multiple of 8.

import { decodeTensor, f32ToBf16, f32ToF16 } from '../util/half-float.ts';

export { decodeTensor, f32ToBf16, f32ToF16 };

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

export type Dtype = 'F32' | 'F16' | 'BF16';
export const DTYPE_BYTES: Record<Dtype, number> = { F32: 4, F16: 2, BF16: 2 };
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number; // offsets into the data section
  end: number;
}

export interface SafetensorsFile {
  /** In the order of their data in the file (a JSON object's key order is not reliable). */
  tensors: TensorInfo[];
  metadata: Record<string, string>;
  /** The tensor as f32 (F16 and BF16 converted); copied, so alignment never matters. */
  get(name: string): Float32Array;
}

export function parseSafetensors(input: Uint8Array): SafetensorsFile {
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength); // a plain view, also for a Node Buffer
  const headerLength = readHeaderLength(bytes.subarray(0, 8), bytes.length);
  const dataStart = 8 + headerLength;
  const { tensors, metadata } = parseSafetensorsHeader(bytes.subarray(8, dataStart), bytes.length - dataStart);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return {
    tensors,
    metadata,
    get(name) {
      const t = byName.get(name);
      if (!t) throw new SafetensorsError(`no tensor named ${JSON.stringify(name)}`);
      return decodeTensor(bytes.subarray(dataStart + t.begin, dataStart + t.end), t.dtype);
    },
  };
}

/** The header's length from the file's first 8 bytes, checked against the file's size. */
export function readHeaderLength(first8: Uint8Array, fileSize: number): number {
  if (fileSize < 8 || first8.length < 8) throw new SafetensorsError(`file is ${fileSize} bytes: too short for the 8-byte header length`);
  const headerLength = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) throw new SafetensorsError(`header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit`);
  if (8 + headerLength > fileSize) throw new SafetensorsError(`header length ${headerLength} runs past the end of the ${fileSize}-byte file`);
  return headerLength;
}

/**
 * The header's JSON (`headerBytes`), checked against a data section of `dataLength` bytes: every
 * rule of the reference implementation; tensors in the order of their data.
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataLength: number): { tensors: TensorInfo[]; metadata: Record<string, string> } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`header is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError('header must be a JSON object');
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null) throw new SafetensorsError(`tensor ${JSON.stringify(duplicate)} appears twice in the header`);

  const metadata: Record<string, string> = Object.create(null);
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new SafetensorsError('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new SafetensorsError(`__metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    tensors.push(tensorInfo(name, entry));
  }
  // Offsets must tile the data section exactly, from 0, in order.
  const ordered = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of ordered) {
    if (t.begin !== cursor) {
      throw new SafetensorsError(`tensor ${JSON.stringify(t.name)} starts at ${t.begin}, expected ${cursor} (${t.begin > cursor ? 'gap' : 'overlap'})`);
    }
    cursor = t.end;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(cursor < dataLength ? `${dataLength - cursor} trailing bytes after the last tensor` : `tensors need ${cursor} data bytes, file has ${dataLength} (truncated: download or copy it again)`);
  }
  return { tensors: ordered, metadata };
}

/**
 * The first key that occurs twice in the top-level object of valid JSON `text` (JSON.parse
 * silently keeps the last one), or null. A small scanner: strings, nesting depth, nothing else.
 */
export function firstDuplicateKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return null;
}

function tensorInfo(name: string, entry: unknown): TensorInfo {
  const where = `tensor ${JSON.stringify(name)}`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new SafetensorsError(`${where}: entry must be an object`);
  const e = entry as Record<string, unknown>;
  if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) throw new SafetensorsError(`${where}: dtype ${JSON.stringify(e.dtype)} is not supported (F32, F16, BF16)`);
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(`${where}: shape must be a list of non-negative integers`);
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new SafetensorsError(`${where}: data_offsets must be two non-negative integers`);
  }
  const [begin, end] = offsets as number[];
  if (end < begin) throw new SafetensorsError(`${where}: data_offsets end ${end} is before begin ${begin}`);
  const dtype = e.dtype as Dtype;
  const numel = (e.shape as number[]).reduce((a, b) => a * b, 1);
  if (end - begin !== numel * DTYPE_BYTES[dtype]) {
    throw new SafetensorsError(`${where}: ${end - begin} bytes, but shape [${(e.shape as number[]).join(', ')}] of ${dtype} needs ${numel * DTYPE_BYTES[dtype]}`);
  }
  return { name, dtype, shape: e.shape as number[], begin, end };
}

export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Serialises tensors (in the given order) as F32, F16 or BF16. */
export function serializeSafetensors(tensors: TensorToWrite[], metadata: Record<string, string> = {}, dtype: Dtype = 'F32'): Uint8Array {
  const size = DTYPE_BYTES[dtype];
  // No prototype: a tensor named "__proto__" must become a key, not replace the prototype.
  const header: Record<string, unknown> = Object.create(null);
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) throw new SafetensorsError(`tensor ${t.name}: shape [${t.shape.join(', ')}] needs ${numel} values, got ${t.data.length}`);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + numel * size] };
    offset += numel * size;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  const pad = (8 - (encoder.encode(json).length % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = encoder.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let cursor = 8 + headerBytes.length;
  for (const t of tensors) {
    if (dtype === 'F32') out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), cursor);
    else {
      const halves = new Uint16Array(t.data.length);
      const convert = dtype === 'F16' ? f32ToF16 : f32ToBf16;
      for (let i = 0; i < t.data.length; i++) halves[i] = convert(t.data[i]);
      out.set(new Uint8Array(halves.buffer), cursor);
    }
    cursor += t.data.length * size;
  }
  return out;
}
