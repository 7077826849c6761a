import { describe, expect, it } from 'vitest';
import { f32ToF16, parseSafetensors, SafetensorsError, serializeSafetensors } from './safetensors.ts';

const tensors = [
  { name: 'a.weight', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-3, -7]) },
  { name: 'b', shape: [1], data: Float32Array.from([42]) },
];

function withHeader(header: object, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('safetensors', () => {
  it('round-trips F32 tensors and metadata, header padded to 8 bytes', () => {
    const bytes = serializeSafetensors(tensors, { format: 'pt' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(Array.from(file.get('a.weight'))).toEqual(Array.from(tensors[0].data));
    expect(file.tensors.map((t) => t.shape)).toEqual([[2, 3], [1]]);
    expect(serializeSafetensors(tensors.map((t) => ({ ...t, data: file.get(t.name) })), { format: 'pt' })).toEqual(bytes);
  });

  it('reads a Node Buffer that sits inside a shared pool (as readFileSync returns)', () => {
    const bytes = serializeSafetensors(tensors);
    const pool = new ArrayBuffer(bytes.length + 3);
    new Uint8Array(pool).set(bytes, 3);
    const pooled = Buffer.from(pool, 3, bytes.length);
    expect(Array.from(parseSafetensors(pooled).get('a.weight'))).toEqual(Array.from(tensors[0].data));
  });

  it('writes F16 and reads it back within half precision', () => {
    const file = parseSafetensors(serializeSafetensors(tensors, {}, 'F16'));
    const got = file.get('a.weight');
    tensors[0].data.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11));
    expect(f32ToF16(65520)).toBe(0x7c00); // rounds to +inf like numpy
  });

  it('reads BF16 as the upper half of f32', () => {
    const bytes = withHeader({ x: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }, 4);
    const data = bytes.subarray(bytes.length - 4);
    new DataView(data.buffer, data.byteOffset).setUint16(0, 0x3fc0, true); // 1.5
    new DataView(data.buffer, data.byteOffset).setUint16(2, 0xc000, true); // -2
    expect(Array.from(parseSafetensors(bytes).get('x'))).toEqual([1.5, -2]);
  });

  it('copies misaligned tensors instead of misreading them', () => {
    const bytes = withHeader({ h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] }, f: { dtype: 'F32', shape: [1], data_offsets: [2, 6] } }, 6);
    const data = bytes.subarray(bytes.length - 6);
    new DataView(data.buffer, data.byteOffset).setFloat32(2, 3.25, true);
    expect(parseSafetensors(bytes).get('f')[0]).toBe(3.25);
  });

  it.each([
    ['a too-short file', new Uint8Array(4), 'too short'],
    ['a header past the end', withHeader({}, 0).map((b, i) => (i === 0 ? 200 : b)), 'past the end'],
    ['a gap', withHeader({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), 'gap'],
    ['a size mismatch', withHeader({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4), 'needs 8'],
    ['trailing bytes', withHeader({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), 'trailing'],
    ['an unknown dtype', withHeader({ x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8), 'dtype "I64"'],
    ['a negative dimension', withHeader({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, 0), 'non-negative'],
    ['end before begin', withHeader({ x: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, 0), 'before begin'],
  ])('rejects %s with a message naming it', (_, bytes, message) => {
    expect(() => parseSafetensors(bytes)).toThrow(SafetensorsError);
    expect(() => parseSafetensors(bytes)).toThrow(message);
  });

  it('keeps a __proto__ tensor name away from prototypes', () => {
    const bytes = withHeader({ ['__proto__']: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
    const file = parseSafetensors(bytes);
    expect(file.tensors[0].name).toBe('__proto__');
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });
});
