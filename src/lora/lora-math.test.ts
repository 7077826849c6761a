import { describe, expect, it } from 'vitest';
import { kaimingUniformBound, loraScaling, summarizeLayerParameters, validateLoRAShape } from './lora-math.ts';

describe('LoRA parameter counts', () => {
  it("reproduces the seed's example: 4096×4096 at r=8", () => {
    const s = summarizeLayerParameters(4096, 4096, 8);
    expect(s.full).toBe(16_777_216);
    expect(s.trainable).toBe(65_536);
    expect(s.percent.toFixed(2)).toBe('0.39');
    expect(s.fewer).toBe(256);
  });

  it('counts r·(in + out) for a non-square layer', () => {
    expect(summarizeLayerParameters(4096, 11008, 16).trainable).toBe(16 * (4096 + 11008));
  });
});

describe('scaling and init', () => {
  it('uses α/r, or α/√r with rsLoRA', () => {
    expect(loraScaling(16, 8)).toBe(2);
    expect(loraScaling(16, 16, true)).toBe(4);
  });

  it('bounds A at 1/√in, as kaiming_uniform_(a=√5)', () => {
    const a = Math.sqrt(5);
    const gain = Math.sqrt(2 / (1 + a * a));
    expect(kaimingUniformBound(4096)).toBeCloseTo(gain * Math.sqrt(3 / 4096), 15);
  });
});

describe('validation', () => {
  it.each([
    [4, 4, 0, 'rank must be a positive integer'],
    [4, 4, -2, 'rank must be a positive integer'],
    [4, 4, 2.5, 'rank must be a positive integer'],
    [4, 8, 5, 'larger than min(in, out) = 4'],
    [0, 8, 1, 'in must be a positive integer'],
  ])('in=%s out=%s rank=%s is refused', (inDim, outDim, rank, message) => {
    expect(() => validateLoRAShape(inDim, outDim, rank)).toThrow(message);
  });

  it('refuses a non-positive alpha', () => {
    expect(() => validateLoRAShape(8, 8, 2, 0)).toThrow('alpha must be a positive number');
    expect(() => validateLoRAShape(8, 8, 2, NaN)).toThrow('alpha');
  });
});
