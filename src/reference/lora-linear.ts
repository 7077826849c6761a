// CPU reference (float64) of a LoRA linear layer, forward and backward; the math is in README.md ("The math").
//   H = X̃·Aᵀ ; Y = X·Wᵀ + s·H·Bᵀ
//   dB = s·dYᵀ·H ; dH = s·dY·B ; dA = dHᵀ·X̃ ; dX = dY·W + dropout(dH·A) ; dW: none (frozen)
// where X̃ = dropout(X) with lora_dropout (the same mask in both passes), else X̃ = X.
import { dropoutReference } from './elementwise.ts';
import { matmulReference } from './matmul.ts';

export interface LoRAReferenceLayer {
  weight: ArrayLike<number>; // (out, in)
  loraA: ArrayLike<number>; // (r, in)
  loraB: ArrayLike<number>; // (out, r)
  inDim: number;
  outDim: number;
  rank: number;
  scaling: number;
  /** lora_dropout in training mode: probability and mask seed (as the GPU kernel). */
  dropout?: { p: number; seed: number };
}

export interface LoRAForwardReference {
  y: Float64Array; // (N, out)
  h: Float64Array; // (N, r)
}

export function loraForwardReference(layer: LoRAReferenceLayer, x: ArrayLike<number>, tokens: number): LoRAForwardReference {
  const { weight, loraA, loraB, inDim, outDim, rank, scaling } = layer;
  const xA = layer.dropout ? dropoutReference(x, null, layer.dropout.p, layer.dropout.seed) : x;
  const h = matmulReference({ a: xA, b: loraA, m: tokens, n: rank, k: inDim, transB: true });
  const base = matmulReference({ a: x, b: weight, m: tokens, n: outDim, k: inDim, transB: true });
  const y = matmulReference({ a: h, b: loraB, c: base, m: tokens, n: outDim, k: rank, transB: true, alpha: scaling, beta: 1 });
  return { y, h };
}

export interface LoRABackwardReference {
  dx: Float64Array; // (N, in)
  dA: Float64Array; // (r, in)
  dB: Float64Array; // (out, r)
  dW: null; // the base weight is frozen: no gradient exists
}

export function loraBackwardReference(
  layer: LoRAReferenceLayer,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  tokens: number,
): LoRABackwardReference {
  const { weight, loraA, loraB, inDim, outDim, rank, scaling } = layer;
  const { h } = loraForwardReference(layer, x, tokens);
  const dB = matmulReference({ a: dy, b: h, m: outDim, n: rank, k: tokens, transA: true, alpha: scaling });
  const dH = matmulReference({ a: dy, b: loraB, m: tokens, n: rank, k: outDim, alpha: scaling });
  const xA = layer.dropout ? dropoutReference(x, null, layer.dropout.p, layer.dropout.seed) : x;
  const dA = matmulReference({ a: dH, b: xA, m: rank, n: inDim, k: tokens, transA: true });
  const dxBase = matmulReference({ a: dy, b: weight, m: tokens, n: inDim, k: outDim });
  const dxLoRA = matmulReference({ a: dH, b: loraA, m: tokens, n: inDim, k: rank });
  const dx = layer.dropout ? dropoutReference(dxLoRA, dxBase, layer.dropout.p, layer.dropout.seed) : dxBase.map((v, i) => v + dxLoRA[i]);
  return { dx, dA, dB, dW: null };
}
