// CPU reference for shaders/elementwise.wgsl.

/** a·x + b·y (y is not read when b = 0). */
export function axpbyReference(x: ArrayLike<number>, y: ArrayLike<number>, a: number, b: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = a * x[i] + (b !== 0 ? b * y[i] : 0);
  return out;
}
