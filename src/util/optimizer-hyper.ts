// Optimizer names and hyper-parameters, shared by the GPU updates (src/gpu/kernels/{adamw,sgd}.ts),
// their float64 references (src/reference/{adamw,sgd}.ts), the trainer and the settings table (and
// so the page's thread, which must not load GPU code). This module imports nothing.

export const OPTIMIZERS = ['adamw', 'sgd'] as const;
export type OptimizerKind = (typeof OPTIMIZERS)[number];

/** torch.optim.AdamW's hyper-parameters (decoupled weight decay). */
export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** torch.optim.SGD's hyper-parameters, momentum 0. */
export interface SgdHyper {
  lr: number;
  /** L2 penalty added to the gradient (torch.optim.SGD's weight_decay), not decoupled. */
  weightDecay: number;
}
