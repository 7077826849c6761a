// CPU reference for shaders/sgd.wgsl: torch.optim.SGD with momentum 0, in float64.
import type { SgdHyper } from '../util/optimizer-hyper.ts';

/** Applies one step to `param` in place. */
export function sgdReference(param: Float64Array, grad: ArrayLike<number>, h: SgdHyper, gradScale = 1): void {
  for (let i = 0; i < param.length; i++) {
    const g = gradScale * grad[i] + h.weightDecay * param[i];
    param[i] -= h.lr * g;
  }
}
