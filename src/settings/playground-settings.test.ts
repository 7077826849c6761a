import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, settingsErrors, settingsFromQuery, settingsToQuery, trainerSettings } from './playground-settings.ts';

const ctx = { maxRank: 64, layers: 2, context: 64 };

describe('page settings', () => {
  it('round trip through the URL', () => {
    const s = { ...DEFAULT_SETTINGS, task: 'tiny-lm' as const, rank: 16, alpha: 32, targets: ['q_proj' as const, 'v_proj' as const], rslora: true, lr: 0.005, optimizer: 'sgd' as const, maxGradNorm: 0, recompute: true };
    expect(settingsFromQuery(settingsToQuery(s))).toEqual({ settings: s, problems: [] });
  });

  it('the LoRA variant round trips through the URL; a bad init or λ is named; LoRA+ reaches the trainer only when on', () => {
    const s = { ...DEFAULT_SETTINGS, dora: true, init: 'olora' as const, loraplus: true, loraplusRatio: 8 };
    expect(settingsFromQuery(settingsToQuery(s))).toEqual({ settings: s, problems: [] });
    const { settings, problems } = settingsFromQuery('init=loftq&loraplusRatio=0.5');
    expect(settings.init).toBe('default');
    expect(problems).toEqual([
      'link parameter loraplusRatio: loraplus-lr-ratio must be ≥ 1 and ≤ 1024, got 0.5; using the default, 16',
      "link parameter init: 'loftq' is not one of default, pissa, olora; using the default, default",
    ]);
    expect(trainerSettings(s).loraplusLrRatio).toBe(8);
    expect(trainerSettings({ ...s, loraplus: false }).loraplusLrRatio).toBeNull();
    expect(settingsErrors({ ...s, task: 'tiny-lm', dropout: 0.1 }, ctx).dropout).toMatch(/DoRA runs here without lora_dropout/);
  });

  it('a bad value in a link is reported by the schema and left at its default', () => {
    const { settings, problems } = settingsFromQuery('rank=0&alpha=abc&targets=qkv&task=mnist&steps=12');
    expect(settings.rank).toBe(DEFAULT_SETTINGS.rank);
    expect(settings.steps).toBe(12);
    expect(problems).toEqual([
      "link parameter task: 'mnist' is not one of teacher, tiny-lm; using the default, teacher",
      'link parameter rank: rank must be ≥ 1 and ≤ 64, got 0; using the default, 4',
      "link parameter alpha: alpha must be a number ≥ 1 and ≤ 128, got 'abc'; using the default, 8",
      "link parameter targets: 'qkv' must be all-linear or names from q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; using the default, all-linear",
    ]);
  });

  it('a bad optimizer or clipping value in a link is named and left at its default; clipping 0 means none', () => {
    const { settings, problems } = settingsFromQuery('optimizer=adam&maxGradNorm=-1&lr=10');
    expect(settings.optimizer).toBe('adamw');
    expect(settings.maxGradNorm).toBe(DEFAULT_SETTINGS.maxGradNorm);
    expect(settings.lr).toBe(10);
    expect(problems).toEqual(["link parameter optimizer: 'adam' is not one of adamw, sgd; using the default, adamw", 'link parameter maxGradNorm: max-grad-norm must be ≥ 0 and ≤ 1000, got -1; using the default, 1']);
    expect(trainerSettings({ ...settings, maxGradNorm: 0 }).maxGradNorm).toBeNull();
    expect(settingsErrors({ ...DEFAULT_SETTINGS, maxGradNorm: -2 }, ctx).maxGradNorm).toBe('max-grad-norm must be ≥ 0 and ≤ 1000, got -2');
  });

  it('names every invalid field with its reason', () => {
    expect(settingsErrors(DEFAULT_SETTINGS, ctx)).toEqual({});
    const errors = settingsErrors({ ...DEFAULT_SETTINGS, rank: 40, layerFrom: 1, layerTo: 0, seq: 100, targets: [] }, { ...ctx, maxRank: 32 });
    expect(errors).toEqual({
      rank: 'rank 40 is larger than min(in, out) = 32 of the targeted layers',
      layerFrom: 'the first layer must not come after the last',
      seq: "sequence length must be ≤ the model's context of 64",
      targets: 'choose at least one target module',
    });
  });

  it('carries the schedule, warmup, weight decay and full fine-tuning through a link to the trainer', () => {
    const { settings, problems } = settingsFromQuery('?schedule=cosine&warmup=5&weightDecay=0.1&full=1');
    expect(problems).toEqual([]);
    expect(settings).toMatchObject({ schedule: 'cosine', warmup: 5, weightDecay: 0.1, full: true });
    expect(settingsFromQuery(settingsToQuery(settings)).settings).toEqual(settings);
    expect(trainerSettings(settings)).toMatchObject({ schedule: { kind: 'cosine', warmupSteps: 5 }, weightDecay: 0.1 });
    expect(trainerSettings(DEFAULT_SETTINGS).schedule).toEqual({ kind: 'constant' });
    expect(settingsFromQuery('?schedule=linear').problems).toEqual(["link parameter schedule: 'linear' is not one of constant, cosine; using the default, constant"]);
  });

  it('a bad value falls back to the default, not to the fallback that absent values keep (what this browser saved)', () => {
    const saved = { ...DEFAULT_SETTINGS, task: 'tiny-lm' as const, steps: 500, rank: 16, alpha: 32, optimizer: 'sgd' as const, targets: ['q_proj' as const] };
    const { settings, problems } = settingsFromQuery('steps=abc&rank=0&optimizer=adam&targets=x&lr=0.02', saved);
    expect(settings).toEqual({ ...saved, steps: DEFAULT_SETTINGS.steps, rank: DEFAULT_SETTINGS.rank, optimizer: DEFAULT_SETTINGS.optimizer, targets: DEFAULT_SETTINGS.targets, lr: 0.02, alpha: 2 * DEFAULT_SETTINGS.rank }); // α follows the lock
    expect(problems).toEqual([
      "link parameter optimizer: 'adam' is not one of adamw, sgd; using the default, adamw",
      'link parameter rank: rank must be ≥ 1 and ≤ 64, got 0; using the default, 4',
      "link parameter steps: steps must be a number ≥ 1 and ≤ 100000, got 'abc'; using the default, 60",
      "link parameter targets: 'x' must be all-linear or names from q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; using the default, all-linear",
    ]);
  });
});

describe('the α = 2r lock in a link', () => {
  it('holds from the start: a disagreeing α is named and replaced by 2r; without the lock it is kept', () => {
    const locked = settingsFromQuery('rank=3&alpha=4');
    expect(locked.settings).toMatchObject({ rank: 3, alpha: 6, alphaLock: true });
    expect(locked.problems).toEqual(['link parameter alpha: 4 is not 2r = 6 while α = 2r is locked; using 6 (add alphaLock=0 to keep 4)']);
    expect(settingsFromQuery('rank=3').settings.alpha).toBe(6); // the default α follows the link's rank
    expect(settingsFromQuery('rank=3&alpha=4&alphaLock=0')).toMatchObject({ settings: { rank: 3, alpha: 4, alphaLock: false }, problems: [] });
  });
});
