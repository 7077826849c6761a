// CPU reference for shaders/merge.wgsl: W + scale · B · A, in float64.

/** Returns W + scale·B·A for W (out, in), B (out, r), A (r, in). */
export function mergeReference(
  weight: ArrayLike<number>,
  loraB: ArrayLike<number>,
  loraA: ArrayLike<number>,
  outDim: number,
  inDim: number,
  rank: number,
  scale: number,
): Float64Array {
  const out = Float64Array.from(weight as ArrayLike<number>);
  for (let o = 0; o < outDim; o++) {
    for (let i = 0; i < inDim; i++) {
      let delta = 0;
      for (let p = 0; p < rank; p++) delta += loraB[o * rank + p] * loraA[p * inDim + i];
      out[o * inDim + i] += scale * delta;
    }
  }
  return out;
}
