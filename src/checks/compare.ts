// Compares GPU output with a CPU reference: |got − ref| ≤ atol + rtol·|ref| for every element
// (WGSL may leave fma unfused and flush subnormals, so exact equality is not the contract).

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface Comparison {
  ok: boolean;
  maxAbsError: number;
  /** The worst element relative to its allowance (> 1 means it failed). */
  worst: { index: number; got: number; ref: number; ratio: number } | null;
}

export function compareArrays(got: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): Comparison {
  if (got.length !== ref.length) {
    return { ok: false, maxAbsError: Infinity, worst: { index: -1, got: got.length, ref: ref.length, ratio: Infinity } };
  }
  let maxAbsError = 0;
  let worst: Comparison['worst'] = null;
  for (let i = 0; i < ref.length; i++) {
    const error = Math.abs(got[i] - ref[i]);
    const ratio = Number.isNaN(error) ? Infinity : error / (tol.atol + tol.rtol * Math.abs(ref[i]));
    if (error > maxAbsError || Number.isNaN(error)) maxAbsError = Number.isNaN(error) ? Infinity : error;
    if (!worst || ratio > worst.ratio) worst = { index: i, got: got[i], ref: ref[i], ratio };
  }
  return { ok: !worst || worst.ratio <= 1, maxAbsError, worst };
}

export function describeComparison(c: Comparison): string {
  if (!c.worst) return 'empty';
  const w = c.worst;
  return `max |err| ${c.maxAbsError.toExponential(2)}, worst at [${w.index}] got ${w.got} ref ${w.ref} (${(w.ratio * 100).toFixed(1)}% of tolerance)`;
}
