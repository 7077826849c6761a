// CPU reference for shaders/adamw.wgsl: torch.optim.AdamW's update, in float64.
import type { AdamWHyper } from '../util/optimizer-hyper.ts';

export interface AdamWState {
  param: Float64Array;
  moment1: Float64Array;
  moment2: Float64Array;
}

/** Applies step t (1-based) in place. */
export function adamwReference(state: AdamWState, grad: ArrayLike<number>, t: number, h: AdamWHyper, gradScale = 1): void {
  const c1 = 1 - h.beta1 ** t;
  const c2 = 1 - h.beta2 ** t;
  for (let i = 0; i < state.param.length; i++) {
    const g = gradScale * grad[i];
    let p = state.param[i] * (1 - h.lr * h.weightDecay);
    const m = h.beta1 * state.moment1[i] + (1 - h.beta1) * g;
    const v = h.beta2 * state.moment2[i] + (1 - h.beta2) * g * g;
    p -= (h.lr * (m / c1)) / (Math.sqrt(v / c2) + h.eps);
    state.moment1[i] = m;
    state.moment2[i] = v;
    state.param[i] = p;
  }
}
