import { describe, expect, it } from 'vitest';
import { seededRandom, uniformArray } from '../util/random.ts';
import { fingerprintReference, mix32 } from './fingerprint.ts';

describe('fingerprint reference', () => {
  it('changes when any single bit of any word flips', () => {
    const data = uniformArray(seededRandom(1), 64);
    const bits = new Uint32Array(data.buffer);
    const original = fingerprintReference(data);
    for (let word = 0; word < bits.length; word++) {
      for (let bit = 0; bit < 32; bit++) {
        bits[word] ^= 1 << bit;
        expect(fingerprintReference(data)).not.toBe(original);
        bits[word] ^= 1 << bit;
      }
    }
    expect(fingerprintReference(data)).toBe(original);
  });

  it('depends on position: swapping two words changes it', () => {
    const data = new Uint32Array([1, 2, 3, 4]);
    const swapped = new Uint32Array([2, 1, 3, 4]);
    expect(fingerprintReference(swapped)).not.toBe(fingerprintReference(data));
  });

  it('mixes with a bijection (no two of 2¹⁶ inputs collide)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 65536; i++) seen.add(mix32(i * 65537));
    expect(seen.size).toBe(65536);
  });
});
