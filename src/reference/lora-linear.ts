// CPU reference (float64) of a LoRA linear layer, forward and backward; see DESIGN.md §3.
//   H = X·Aᵀ ; Y = X·Wᵀ + s·H·Bᵀ
//   dB = s·dYᵀ·H ; dH = s·dY·B ; dA = dHᵀ·X ; dX = dY·W + dH·A ; dW: none (frozen)
import { matmulReference } from './matmul.ts';

export interface LoRAReferenceLayer {
  weight: ArrayLike<number>; // (out, in)
  loraA: ArrayLike<number>; // (r, in)
  loraB: ArrayLike<number>; // (out, r)
  inDim: number;
  outDim: number;
  rank: number;
  scaling: number;
}

export interface LoRAForwardReference {
  y: Float64Array; // (N, out)
  h: Float64Array; // (N, r)
}

export function loraForwardReference(layer: LoRAReferenceLayer, x: ArrayLike<number>, tokens: number): LoRAForwardReference {
  const { weight, loraA, loraB, inDim, outDim, rank, scaling } = layer;
  const h = matmulReference({ a: x, b: loraA, m: tokens, n: rank, k: inDim, transB: true });
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
  const dA = matmulReference({ a: dH, b: x, m: rank, n: inDim, k: tokens, transA: true });
  const dxBase = matmulReference({ a: dy, b: weight, m: tokens, n: inDim, k: outDim });
  const dx = matmulReference({ a: dH, b: loraA, c: dxBase, m: tokens, n: inDim, k: rank, beta: 1 });
  return { dx, dA, dB, dW: null };
}
