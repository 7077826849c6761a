// Which of a decoder block's activations the backward reads, and so must be kept per layer; the
// rest are written into one buffer per role that every layer shares. LlamaModel allocates by this
// plan and the memory estimate counts by it (src/model/llama-model.ts, memory-estimate.ts).
//
// What the backward of each step reads:
//   rmsnorm        its input and rstd (not its output)      → h, the block input, rstd1/rstd2
//   attention      q, k, v (after RoPE) and probs (not out)  → q, k, v; probs are not kept: the
//                  backward runs the layer's attention forward again into one shared buffer (one
//                  more dispatch of about 1/60 of a step at 64 tokens; at 512 tokens the probs of
//                  a 30-layer SmolLM2 would hold 9.4 MB a layer), unless keepProbs
//   swiglu         gate and up (not act)                     → gate, up
//   a linear       frozen: dX = dY·W, no input needed; LoRA: dA = dHᵀ·X and full: dW = dYᵀ·X read X
//                  → x1 (q/k/v's input), attn (o_proj's), x2 (gate/up's), act (down_proj's)
// o_proj writes into h and down_proj into the block output directly (h = o_proj(attn) + input).
// x1, x2 and act are cheap to make again from what is kept: x1 = rmsnorm(input) from the block
// input, x2 = rmsnorm(h) from h, act = silu(gate)·up from gate and up (one row-wise dispatch
// each, T·d or T·I values). So they are not kept either, unless keepCheap: the backward runs that
// dispatch again into the shared buffer just before the linears that read it (recomputesInput);
// the last layer's are still in the shared buffers.
//
// With recompute (activation checkpointing) a layer keeps only its output, the residual stream
// between blocks; the backward runs the block's forward again into the shared buffers first.
import { linearPath, type LinearModule } from './config.ts';

export const BLOCK_ACTIVATIONS = ['x1', 'q', 'k', 'v', 'attn', 'probs', 'h', 'x2', 'gate', 'up', 'act', 'rstd1', 'rstd2'] as const;
export type BlockActivation = (typeof BLOCK_ACTIVATIONS)[number];

/** Inputs a linear's backward reads: only a trained weight (full) or an adapter (LoRA) reads X. */
const INPUT_OF: Partial<Record<BlockActivation, LinearModule[]>> = {
  x1: ['q_proj', 'k_proj', 'v_proj'],
  attn: ['o_proj'],
  x2: ['gate_proj', 'up_proj'],
  act: ['down_proj'],
};

export interface ActivationPlanOptions {
  /** Every weight trains (full fine-tuning): every linear reads its input. */
  full: boolean;
  /** Paths of the LoRA-adapted linears (model.layers.L.self_attn.q_proj, …). */
  adapted: ReadonlySet<string> | ReadonlyMap<string, unknown>;
  /** Activation checkpointing: keep nothing inside a block; the backward recomputes it. */
  recompute: boolean;
  /** Keep each layer's attention probabilities (batch·heads·seq² floats) instead of recomputing them. */
  keepProbs?: boolean;
  /** Keep x1, x2 and act per layer where a linear's backward reads them, instead of recomputing them. */
  keepCheap?: boolean;
}

/** Made again in the backward from kept activations by one cheap dispatch (see the top of this file). */
const CHEAP: readonly BlockActivation[] = ['x1', 'x2', 'act'];

/** True when a linear reading `role` at `layer` has a backward that reads it (a trained weight or an adapter). */
function inputRead(layer: number, role: BlockActivation, o: ActivationPlanOptions): boolean {
  const readers = INPUT_OF[role];
  return readers !== undefined && (o.full || readers.some((m) => o.adapted.has(linearPath(layer, m))));
}

/** True when layer `layer`'s backward reads `role` from its own forward (so it is kept per layer). */
export function keepsActivation(layer: number, role: BlockActivation, o: ActivationPlanOptions): boolean {
  if (o.recompute) return false;
  if (role === 'probs') return o.keepProbs ?? false;
  if (!INPUT_OF[role]) return true;
  if (CHEAP.includes(role) && !o.keepCheap) return false;
  return inputRead(layer, role, o);
}

/**
 * True when layer `layer`'s backward must make `role` again before its linears read it: they read
 * it, it is not kept, it is not the last layer (whose values the shared buffer still holds), and
 * the block's forward does not run again anyway (recompute).
 */
export function recomputesInput(layer: number, role: BlockActivation, o: ActivationPlanOptions & { layers: number }): boolean {
  return !o.recompute && layer < o.layers - 1 && inputRead(layer, role, o) && !keepsActivation(layer, role, o);
}
