// CPU reference for shaders/reduce.wgsl.

export function sumSquaresReference(x: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
  return sum;
}
