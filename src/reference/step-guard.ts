// CPU reference for shaders/step_guard.wgsl's decision (float64): whether a step's update may
// happen, and its clipping scale.

export interface GuardState {
  badStep: number;
  gradScale: number;
}

export function stepGuardReference(state: GuardState, step: number, rawLoss: number, squares: ArrayLike<number>, maxGradNorm: number | null): GuardState {
  let finite = Number.isFinite(rawLoss);
  let total = 0;
  for (let i = 0; i < squares.length; i++) {
    finite &&= Number.isFinite(squares[i]);
    total += squares[i];
  }
  const badStep = state.badStep === 0 && !finite ? step : state.badStep;
  const norm = Math.sqrt(total);
  const gradScale = badStep !== 0 ? 0 : maxGradNorm !== null && maxGradNorm > 0 && norm > maxGradNorm ? maxGradNorm / norm : 1;
  return { badStep, gradScale };
}
