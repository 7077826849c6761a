// A kernel check: runs GPU work and compares it with the CPU reference. The same checks run in
// Node (vitest + Dawn) and in the browser (kernel-check.html under Playwright).
import type { Gpu } from '../gpu/device.ts';
import { compareArrays, describeComparison, type Tolerance } from './compare.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface KernelCheck {
  name: string;
  run(gpu: Gpu): Promise<CheckResult>;
}

/**
 * Tolerance for f32 kernels with reductions up to a few hundred terms. atol is per unit of the
 * output's scale: resultOf multiplies it by max(1, max|ref|), because the rounding error of an
 * f32 dot product grows with the size of its terms, not of its result (cancellation), and
 * chained products such as dA = (s·dY·B)ᵀ·X have terms far larger than 1.
 */
export const F32_TOLERANCE: Tolerance = { atol: 1e-5, rtol: 1e-4 };

function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  return max;
}

/** Builds a result from named comparisons; all must pass. */
export function resultOf(name: string, parts: Record<string, { got: ArrayLike<number>; ref: ArrayLike<number> }>, tol = F32_TOLERANCE): CheckResult {
  const failures: string[] = [];
  const notes: string[] = [];
  for (const [part, { got, ref }] of Object.entries(parts)) {
    const c = compareArrays(got, ref, { atol: tol.atol * Math.max(1, maxAbs(ref)), rtol: tol.rtol });
    (c.ok ? notes : failures).push(`${part}: ${describeComparison(c)}`);
  }
  return { name, ok: failures.length === 0, detail: (failures.length ? failures : notes).join('; ') };
}

/** A check of a plain condition, with what was seen. */
export function assertion(name: string, ok: boolean, detail: string): CheckResult {
  return { name, ok, detail };
}
