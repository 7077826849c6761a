// Central finite differences in float64, for checking hand-written backward passes.

/** d(evaluate)/d(target[i]) for every i, perturbing `target` in place (and restoring it). */
export function numericGradient(target: Float64Array, evaluate: () => number, eps = 1e-6): Float64Array {
  const grad = new Float64Array(target.length);
  for (let i = 0; i < target.length; i++) {
    const saved = target[i];
    target[i] = saved + eps;
    const plus = evaluate();
    target[i] = saved - eps;
    const minus = evaluate();
    target[i] = saved;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return grad;
}

/** Σ y ⊙ g: the scalar loss whose gradient with respect to y is g. */
export function dotLoss(y: ArrayLike<number>, g: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i] * g[i];
  return sum;
}

/** Throws naming the first element where analytic and numeric gradients disagree. */
export function expectGradientsClose(analytic: ArrayLike<number>, numeric: ArrayLike<number>, what: string, tol = 1e-6): void {
  if (analytic.length !== numeric.length) throw new Error(`${what}: ${analytic.length} vs ${numeric.length} values`);
  for (let i = 0; i < numeric.length; i++) {
    if (Math.abs(analytic[i] - numeric[i]) > tol + tol * Math.abs(numeric[i])) {
      throw new Error(`${what}[${i}]: analytic ${analytic[i]} vs numeric ${numeric[i]}`);
    }
  }
}
