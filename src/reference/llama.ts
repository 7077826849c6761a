// CPU reference (float64) of LlamaForCausalLM's forward pass, with optional LoRA adapters: the
// specification the GPU model is checked against, and the loss finite differences run on.
import { attentionWindow, headDimOf, LINEAR_MODULES, linearHasBias, linearPath, type LlamaConfig } from '../model/config.ts';
import { biasAddReference } from './bias.ts';
import { matmulReference } from './matmul.ts';
import { attentionForwardReference, crossEntropyReference, embeddingForwardReference, rmsnormForwardReference, ropeReference, swigluForwardReference } from './transformer-ops.ts';

type Vec = ArrayLike<number>;

export interface ReferenceAdapter {
  loraA: Vec; // (r, in)
  loraB: Vec; // (out, r)
  rank: number;
  scaling: number;
}

export interface LlamaReferenceInput {
  config: LlamaConfig;
  weights: Map<string, Vec>;
  ids: ArrayLike<number>; // (batch·seq)
  batch: number;
  seq: number;
  /** LoRA adapters by module path (model.layers.0.self_attn.q_proj). */
  adapters?: Map<string, ReferenceAdapter>;
}

function linear(x: Vec, tokens: number, weight: Vec, outDim: number, inDim: number, adapter?: ReferenceAdapter): Float64Array {
  const y = matmulReference({ a: x, b: weight, m: tokens, n: outDim, k: inDim, transB: true });
  if (!adapter) return y;
  const h = matmulReference({ a: x, b: adapter.loraA, m: tokens, n: adapter.rank, k: inDim, transB: true });
  return matmulReference({ a: h, b: adapter.loraB, c: y, m: tokens, n: outDim, k: adapter.rank, transB: true, alpha: adapter.scaling, beta: 1 });
}

const add = (a: Vec, b: Vec) => Float64Array.from({ length: a.length }, (_, i) => a[i] + b[i]);

/** Logits (batch·seq, vocab). */
export function llamaForwardReference(input: LlamaReferenceInput): Float64Array {
  const { config: c, weights, ids, batch, seq, adapters } = input;
  const w = (name: string) => {
    const v = weights.get(name);
    if (!v) throw new Error(`missing weight ${name}`);
    return v;
  };
  const tokens = batch * seq;
  const d = c.hidden_size;
  const hd = headDimOf(c);
  const [heads, kvHeads, inter] = [c.num_attention_heads, c.num_key_value_heads, c.intermediate_size];
  const dims: Record<(typeof LINEAR_MODULES)[number], [number, number]> = {
    q_proj: [heads * hd, d], k_proj: [kvHeads * hd, d], v_proj: [kvHeads * hd, d], o_proj: [d, heads * hd],
    gate_proj: [inter, d], up_proj: [inter, d], down_proj: [d, inter],
  };
  const proj = (layer: number, module: (typeof LINEAR_MODULES)[number], x: Vec) => {
    const path = linearPath(layer, module);
    const [outDim, inDim] = dims[module];
    const y = linear(x, tokens, w(`${path}.weight`), outDim, inDim, adapters?.get(path));
    return linearHasBias(c, module) ? biasAddReference(y, w(`${path}.bias`), tokens, outDim) : y; // Qwen2's q/k/v: base + LoRA + bias
  };

  let hidden: Float64Array = embeddingForwardReference(ids, w('model.embed_tokens.weight'), d);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const x1 = rmsnormForwardReference(hidden, w(`${p}.input_layernorm.weight`), tokens, d, c.rms_norm_eps).y;
    const q = ropeReference(proj(l, 'q_proj', x1), tokens, heads, hd, seq, c.rope_theta);
    const k = ropeReference(proj(l, 'k_proj', x1), tokens, kvHeads, hd, seq, c.rope_theta);
    const v = proj(l, 'v_proj', x1);
    const attn = attentionForwardReference(q, k, v, { batch, seq, heads, kvHeads, headDim: hd, window: attentionWindow(c) ?? undefined }).out;
    hidden = add(hidden, proj(l, 'o_proj', attn));
    const x2 = rmsnormForwardReference(hidden, w(`${p}.post_attention_layernorm.weight`), tokens, d, c.rms_norm_eps).y;
    const act = swigluForwardReference(proj(l, 'gate_proj', x2), proj(l, 'up_proj', x2));
    hidden = add(hidden, proj(l, 'down_proj', act));
  }
  const normed = rmsnormForwardReference(hidden, w('model.norm.weight'), tokens, d, c.rms_norm_eps).y;
  const head = c.tie_word_embeddings ? w('model.embed_tokens.weight') : w('lm_head.weight');
  return matmulReference({ a: normed, b: head, m: tokens, n: c.vocab_size, k: d, transB: true });
}

/** Mean next-token cross-entropy against `targets` (IGNORE_INDEX rows skipped). */
export function llamaLossReference(input: LlamaReferenceInput, targets: ArrayLike<number>): number {
  const logits = llamaForwardReference(input);
  return crossEntropyReference(logits, targets, input.batch * input.seq, input.config.vocab_size).loss;
}
