// CPU reference for shaders/elementwise.wgsl.
import { mix32 } from './fingerprint.ts';

/** a·x + b·y (y is not read when b = 0). */
export function axpbyReference(x: ArrayLike<number>, y: ArrayLike<number>, a: number, b: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = a * x[i] + (b !== 0 ? b * y[i] : 0);
  return out;
}

/** The dropout threshold as the kernel holds it: p·2³² as an unsigned integer. */
export function dropoutThreshold(p: number): number {
  return Math.min(0xffffffff, Math.round(p * 2 ** 32));
}

/** Whether element i is kept by dropout with probability p and `seed` (as shaders/elementwise.wgsl). */
export function dropoutKeeps(i: number, seed: number, p: number): boolean {
  return mix32((i ^ mix32(seed)) >>> 0) >= dropoutThreshold(p);
}

/** [accumulate ? y : 0] + keep(i)·x/(1 − p). */
export function dropoutReference(x: ArrayLike<number>, y: ArrayLike<number> | null, p: number, seed: number): Float64Array {
  return Float64Array.from({ length: x.length }, (_, i) => (y ? y[i] : 0) + (dropoutKeeps(i, seed, p) ? x[i] / (1 - p) : 0));
}
