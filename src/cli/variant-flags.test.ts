// The LoRA variant flags of `train` (src/cli/flags.ts): PEFT's names, LoRA+ only when asked, bad values named.
import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.ts';
import { loraplusFlag, loraVariantFlags } from './flags.ts';

const train = (...flags: string[]) => parseArgs(['train', '--task', 'low-rank-teacher', ...flags]);

describe('train: variant flags', () => {
  it('--use-dora and --init-lora-weights choose the variant; plain LoRA without them', () => {
    expect(loraVariantFlags(train())).toEqual({ useDora: false, init: 'default' });
    expect(loraVariantFlags(train('--use-dora', '--init-lora-weights', 'olora'))).toEqual({ useDora: true, init: 'olora' });
    expect(() => loraVariantFlags(train('--init-lora-weights', 'loftq'))).toThrow('--init-lora-weights must be default, pissa, olora, got loftq');
  });

  it('--loraplus turns LoRA+ on with λ = 16 unless --loraplus-lr-ratio says otherwise; a ratio alone is refused', () => {
    expect(loraplusFlag(train())).toBeNull();
    expect(loraplusFlag(train('--loraplus'))).toBe(16);
    expect(loraplusFlag(train('--loraplus', '--loraplus-lr-ratio', '4'))).toBe(4);
    expect(() => loraplusFlag(train('--loraplus-lr-ratio', '4'))).toThrow('--loraplus-lr-ratio needs --loraplus');
    expect(() => loraplusFlag(train('--loraplus', '--loraplus-lr-ratio', '0.5'))).toThrow('loraplus-lr-ratio must be ≥ 1 and ≤ 1024, got 0.5');
  });
});
