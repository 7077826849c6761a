import { describe, expect, it } from 'vitest';
import { parseSetting, SETTINGS } from './schema.ts';

describe('settings schema', () => {
  it('parses valid values', () => {
    expect(parseSetting(SETTINGS.rank, '8')).toBe(8);
    expect(parseSetting(SETTINGS.alpha, '0.5')).toBe(0.5);
  });
  it.each([
    ['rank', '0', 'rank must be ≥ 1'],
    ['rank', '-3', 'rank must be ≥ 1'],
    ['rank', '2.5', 'rank must be a whole number'],
    ['rank', 'eight', "rank must be a number ≥ 1 and ≤ 1024, got 'eight'"],
    ['rank', '', 'rank must be a number'],
    ['alpha', '0', 'alpha must be > 0'],
    ['in', 'NaN', 'in must be a number'],
    ['in', 'Infinity', 'in must be a number'],
  ] as const)('%s=%s is refused with a message naming it', (name, raw, message) => {
    expect(() => parseSetting(SETTINGS[name], raw)).toThrow(message);
  });
});
