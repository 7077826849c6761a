// The live memory panel sorts each buffer by its label into the kinds the memory estimate uses.
import { describe, expect, it } from 'vitest';
import { memoryKind } from './memory.ts';

describe('memoryKind', () => {
  it.each([
    ['model.layers.0.self_attn.q_proj.weight', 'base weights'],
    ['model.layers.0.self_attn.q_proj.lora_A', 'adapters'],
    ['model.layers.0.self_attn.q_proj.lora_B', 'adapters'],
    ['model.layers.0.self_attn.q_proj.lora_magnitude_vector', 'adapters'], // DoRA's m, as the estimate files it
    ['model.layers.0.self_attn.q_proj.lora_magnitude_vector.grad', 'gradients'],
    ['model.layers.0.self_attn.q_proj.lora_A.grad', 'gradients'],
    ['model.layers.0.self_attn.q_proj.lora_A.adam.m', 'optimizer'],
    ['model.layers.0.self_attn.q_proj.lora_B.windowStart', 'trainer copies'],
    ['model.layers.0.self_attn.q_proj.weight.saved', 'trainer copies'],
    ['model.layers.0.self_attn.q_proj.dora.Z', 'activations'],
    ['logits', 'activations'],
  ])('%s → %s', (label, kind) => expect(memoryKind(label)).toBe(kind));
});
