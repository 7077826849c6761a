// Trainable-parameter arithmetic for a whole Llama with LoRA on some linear layers, and PEFT's
// print_trainable_parameters line.
import { headDimOf, LINEAR_MODULES, llamaParameterShapes, type LinearModule, type LlamaConfig } from '../model/config.ts';
import { resolveLoraTargets, type LoraInjectionConfig } from './injection.ts';
import { loraParameterCount } from './lora-math.ts';

export function linearShape(c: LlamaConfig, module: LinearModule): { inDim: number; outDim: number } {
  const hd = headDimOf(c);
  const q = c.num_attention_heads * hd;
  const kv = c.num_key_value_heads * hd;
  const shapes: Record<LinearModule, [number, number]> = {
    q_proj: [c.hidden_size, q], k_proj: [c.hidden_size, kv], v_proj: [c.hidden_size, kv], o_proj: [q, c.hidden_size],
    gate_proj: [c.hidden_size, c.intermediate_size], up_proj: [c.hidden_size, c.intermediate_size], down_proj: [c.intermediate_size, c.hidden_size],
  };
  const [inDim, outDim] = shapes[module];
  return { inDim, outDim };
}

export interface ModelParameterSummary {
  base: number; // every parameter of the base model
  trainable: number; // LoRA parameters (and DoRA's magnitude vectors)
  all: number; // base + LoRA, as PEFT counts "all params"
  percent: number; // trainable / all · 100
  perModule: Record<LinearModule, number>; // LoRA parameters by module name, over all layers
}

export function modelParameterSummary(c: LlamaConfig, lora: LoraInjectionConfig): ModelParameterSummary {
  let base = 0;
  for (const shape of llamaParameterShapes(c).values()) base += shape.reduce((a, b) => a * b, 1);
  const perModule = Object.fromEntries(LINEAR_MODULES.map((m) => [m, 0])) as Record<LinearModule, number>;
  let trainable = 0;
  for (const [path, settings] of resolveLoraTargets(c, lora)) {
    const module = path.split('.').pop() as LinearModule;
    const { inDim, outDim } = linearShape(c, module);
    // DoRA adds lora_magnitude_vector (out values), which PEFT counts as trainable too.
    const count = loraParameterCount(inDim, outDim, settings.rank) + (settings.useDora ? outDim : 0);
    perModule[module] += count;
    trainable += count;
  }
  const all = base + trainable;
  return { base, trainable, all, percent: (100 * trainable) / all, perModule };
}

/** Exactly PEFT's format: `trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622`. */
export function peftTrainableLine(s: { trainable: number; all: number }): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `trainable params: ${n(s.trainable)} || all params: ${n(s.all)} || trainable%: ${((100 * s.trainable) / s.all).toFixed(4)}`;
}
