// CPU reference (float64) of a DoRA linear layer (PEFT's use_dora, tuners/lora/dora.py): the
// specification of shaders/dora.wgsl and of LoRALinear with useDora.
//   n  = ‖W + s·B·A‖ per output row (out), a constant in the backward (PEFT detaches it)
//   g  = m / n ;  Z = X·Wᵀ + s·H·Bᵀ (the LoRA output, H = X·Aᵀ) ;  Y = Z ⊙ g per column
//   dZ = dY ⊙ g ;  dm = Σ_rows dY ⊙ Z / n ;  dB, dA, dX as LoRA's with dZ in place of dY
//   merge  W' = g ⊙ (W + s·B·A) per row
import { loraBackwardReference, loraForwardReference, type LoRAReferenceLayer } from './lora-linear.ts';
import { mergeReference } from './merge.ts';

export interface DoraReferenceLayer extends Omit<LoRAReferenceLayer, 'dropout'> {
  magnitude: ArrayLike<number>; // m (out)
}

/** ‖W_o + s·B_o·A‖ for every output row o. */
export function doraNormReference(layer: DoraReferenceLayer): Float64Array {
  const { outDim, inDim } = layer;
  const w = mergeReference(layer.weight, layer.loraB, layer.loraA, outDim, inDim, layer.rank, layer.scaling);
  return Float64Array.from({ length: outDim }, (_, o) => {
    let sum = 0;
    for (let i = 0; i < inDim; i++) sum += w[o * inDim + i] ** 2;
    return Math.sqrt(sum);
  });
}

export interface DoraForwardReference {
  y: Float64Array; // (N, out)
  z: Float64Array; // (N, out), the LoRA output before the column scaling
  h: Float64Array; // (N, r)
  norm: Float64Array; // (out)
}

/** `norm`: the row norms to divide by (the layer's own when absent); a finite-difference test holds them fixed. */
export function doraForwardReference(layer: DoraReferenceLayer, x: ArrayLike<number>, tokens: number, norm = doraNormReference(layer)): DoraForwardReference {
  const { y: z, h } = loraForwardReference(layer, x, tokens);
  const out = layer.outDim;
  const y = z.map((v, k) => (v * layer.magnitude[k % out]) / norm[k % out]);
  return { y, z, h, norm };
}

export interface DoraBackwardReference {
  dx: Float64Array; // (N, in)
  dA: Float64Array; // (r, in)
  dB: Float64Array; // (out, r)
  dMagnitude: Float64Array; // (out)
}

export function doraBackwardReference(layer: DoraReferenceLayer, x: ArrayLike<number>, dy: ArrayLike<number>, tokens: number): DoraBackwardReference {
  const { z, norm } = doraForwardReference(layer, x, tokens);
  const out = layer.outDim;
  const dMagnitude = new Float64Array(out);
  const dz = new Float64Array(tokens * out);
  for (let k = 0; k < tokens * out; k++) {
    const o = k % out;
    dMagnitude[o] += (dy[k] * z[k]) / norm[o];
    dz[k] = (dy[k] * layer.magnitude[o]) / norm[o];
  }
  const { dx, dA, dB } = loraBackwardReference(layer, x, dz, tokens);
  return { dx, dA, dB, dMagnitude };
}

/** W' = (m / n) ⊙ (W + s·B·A) per row: what a merged DoRA layer holds. */
export function doraMergeReference(layer: DoraReferenceLayer): Float64Array {
  const { outDim, inDim } = layer;
  const norm = doraNormReference(layer);
  const w = mergeReference(layer.weight, layer.loraB, layer.loraA, outDim, inDim, layer.rank, layer.scaling);
  return w.map((v, k) => (v * layer.magnitude[Math.floor(k / inDim)]) / norm[Math.floor(k / inDim)]);
}
