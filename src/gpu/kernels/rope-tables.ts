// The cos/sin tables read by shaders/rope.wgsl: row `pos`, column i (< D/2) holds the rotation
// angle pos·θ^(−2i/D) of the pair (x[i], x[i + D/2]). Computed in float64, rounded once to f32.

export function ropeTablesF32(seq: number, headDim: number, theta: number): { cos: Float32Array<ArrayBuffer>; sin: Float32Array<ArrayBuffer> } {
  const half = headDim / 2;
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = Math.pow(theta, (-2 * i) / headDim);
  const cos = new Float32Array(seq * half);
  const sin = new Float32Array(seq * half);
  for (let pos = 0; pos < seq; pos++) {
    const row = pos * half;
    for (let i = 0; i < half; i++) {
      const angle = pos * invFreq[i];
      cos[row + i] = Math.cos(angle);
      sin[row + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
