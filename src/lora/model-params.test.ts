import { describe, expect, it } from 'vitest';
import { PRESETS } from '../model/presets.ts';
import { modelParameterSummary, peftTrainableLine } from './model-params.ts';

describe('whole-model LoRA parameter counts', () => {
  it("matches PEFT's line for Llama-2-7B, r=8 on q_proj,v_proj", () => {
    const s = modelParameterSummary(PRESETS['llama-2-7b'], { targetModules: ['q_proj', 'v_proj'], r: 8, loraAlpha: 16 });
    expect(s.base).toBe(6_738_415_616); // the published parameter count
    expect(peftTrainableLine(s)).toBe('trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622');
  });

  it("counts DoRA's magnitude vectors as trainable, as PEFT does (out values per adapted layer)", () => {
    const s = modelParameterSummary(PRESETS['llama-2-7b'], { targetModules: ['q_proj', 'v_proj'], r: 8, loraAlpha: 16, useDora: true });
    expect(s.trainable).toBe(4_194_304 + 32 * (4096 + 4096));
    expect(peftTrainableLine(s)).toBe('trainable params: 4,456,448 || all params: 6,742,872,064 || trainable%: 0.0661');
  });

  it('counts grouped key/value heads and all-linear', () => {
    const s = modelParameterSummary(PRESETS['llama-3-8b'], { targetModules: 'all-linear', r: 16, loraAlpha: 32 });
    // per layer: q 16·(4096+4096), k and v 16·(4096+1024) each, o 16·(4096+4096), gate/up/down 16·(4096+14336) each
    const perLayer = 16 * (8192 + 2 * 5120 + 8192 + 3 * 18432);
    expect(s.trainable).toBe(32 * perLayer);
    expect(s.perModule.k_proj).toBe(32 * 16 * 5120);
  });

  it('honours layers_to_transform and rank_pattern', () => {
    const s = modelParameterSummary(PRESETS['tinyllama-1.1b'], { targetModules: ['q_proj'], r: 8, loraAlpha: 16, layersToTransform: [0, 1], rankPattern: { 'model.layers.1.self_attn.q_proj': 2 } });
    expect(s.trainable).toBe(8 * 4096 + 2 * 4096);
  });
});
