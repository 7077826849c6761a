import { describe, expect, it } from 'vitest';
import { loraChecks } from '../checks/lora-checks.ts';
import { foldsAdapter, kaimingUniformBound, loraScaling, summarizeLayerParameters, validateLoRAShape } from './lora-math.ts';

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

describe('folded or low-rank forward', () => {
  it('folds in training only when tokens ≥ 2·in and there is no dropout', () => {
    expect(foldsAdapter(512, 64, 176, 'training')).toBe(true); // the bundled model's gate_proj
    expect(foldsAdapter(127, 64, 176, 'training')).toBe(false);
    expect(foldsAdapter(128, 64, 176, 'training')).toBe(true);
    expect(foldsAdapter(512, 64, 176, 'training', 0.1)).toBe(false);
    expect(foldsAdapter(256, 1024, 1024, 'training')).toBe(false); // the teacher layer
  });

  it('folds in evaluation when tokens·(in + out) ≥ 2·in·out, dropout or not', () => {
    expect(foldsAdapter(1, 1024, 1024, 'evaluation')).toBe(false); // generation: one token
    expect(foldsAdapter(1023, 1024, 1024, 'evaluation')).toBe(false);
    expect(foldsAdapter(1024, 1024, 1024, 'evaluation')).toBe(true);
  });

  it('the LoRALinear checks cover both paths in training and in evaluation', () => {
    const names = loraChecks().map((c) => c.name).join('\n');
    for (const path of ['training folded', 'training low-rank', 'evaluation folded', 'evaluation low-rank']) expect(names).toContain(path);
    expect(names).toMatch(/training low-rank, evaluation folded/);
  });
});
