// Property-based fuzzing of the safetensors reader (fast-check): random bytes, mutated valid
// files and valid files. Nothing but a SafetensorsError may escape, and valid files round trip
// byte for byte. 4,000 + 4,000 + 2,000 = 10,000 files per run, seeded for reproducibility.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstDuplicateKey, parseSafetensors, SafetensorsError, serializeSafetensors, type TensorToWrite } from './safetensors.ts';

const SEED = 20261128;

/** Parses, and re-serialises what it parsed; throws anything but SafetensorsError. */
function parseOrTypedError(bytes: Uint8Array): 'ok' | 'rejected' {
  try {
    const file = parseSafetensors(bytes);
    for (const t of file.tensors) file.get(t.name);
    return 'ok';
  } catch (err) {
    if (err instanceof SafetensorsError) return 'rejected';
    throw err;
  }
}

const name = fc.stringMatching(/^[a-z_.0-9]{1,12}$/);
const tensor: fc.Arbitrary<TensorToWrite> = fc
  .tuple(name, fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 3 }))
  .chain(([n, shape]) => {
    const numel = shape.reduce((a, b) => a * b, 1);
    return fc.array(fc.float({ noNaN: true }), { minLength: numel, maxLength: numel }).map((values) => ({ name: n, shape, data: Float32Array.from(values) }));
  });
const tensors = fc.uniqueArray(tensor, { selector: (t) => t.name, maxLength: 5 });
const metadata = fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 });
const validFile = fc.tuple(tensors, metadata).map(([t, m]) => ({ tensors: t, metadata: m, bytes: serializeSafetensors(t, m) }));

describe('safetensors reader under fuzzing', () => {
  it('random bytes: only typed errors escape (4,000 files)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      parseOrTypedError(bytes);
    }), { numRuns: 4000, seed: SEED });
  });

  it('mutated valid files: only typed errors escape (4,000 files)', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
      fc.record({ kind: fc.constant('header-length' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
    );
    fc.assert(fc.property(validFile, fc.array(mutation, { minLength: 1, maxLength: 3 }), (file, mutations) => {
      let bytes = file.bytes.slice();
      for (const m of mutations) {
        if (m.kind === 'flip' && bytes.length) bytes[m.at % bytes.length] ^= 1 << m.bit;
        if (m.kind === 'truncate') bytes = bytes.slice(0, m.at % (bytes.length + 1));
        if (m.kind === 'append') bytes = Uint8Array.from([...bytes, ...m.extra]);
        if (m.kind === 'header-length' && bytes.length >= 8) new DataView(bytes.buffer).setBigUint64(0, m.value, true);
      }
      parseOrTypedError(bytes);
    }), { numRuns: 4000, seed: SEED + 1 });
  });

  it('valid files parse and round trip byte for byte (2,000 files)', () => {
    fc.assert(fc.property(validFile, (file) => {
      const parsed = parseSafetensors(file.bytes);
      // Same set of names (empty tensors share offsets, so their order is not defined).
      expect(parsed.tensors.map((t) => t.name).sort()).toEqual(file.tensors.map((t) => t.name).sort());
      const again = serializeSafetensors(parsed.tensors.map((t) => ({ name: t.name, shape: t.shape, data: parsed.get(t.name) })), { ...parsed.metadata });
      expect(again).toEqual(file.bytes);
    }), { numRuns: 2000, seed: SEED + 2 });
  });
});

describe('duplicate names', () => {
  it('are found in the top-level object only', () => {
    expect(firstDuplicateKey('{"a": {"x": 1}, "b": {"x": 2}}')).toBeNull();
    expect(firstDuplicateKey('{"a": 1, "b": "a", "a": 2}')).toBe('a');
    expect(firstDuplicateKey('{"q\\"k": 1, "q\\"k": 2}')).toBe('q"k');
  });

  it('make the file invalid, naming the tensor', () => {
    const json = '{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}';
    const header = new TextEncoder().encode(json);
    const bytes = new Uint8Array(8 + header.length + 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    expect(() => parseSafetensors(bytes)).toThrow('tensor "w" appears twice in the header');
  });
});
