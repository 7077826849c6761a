// The step guard (shaders/step_guard.wgsl): per-step metrics into a ring read back once per
// window, and the GPU-side decision to clip or skip the optimizer update.
import { createTensor, createUniformBuffer, readTensor, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { stridedWorkgroups } from './elementwise.ts';

/** Words before the ring: badStep, gradScale and two unused. */
export const GUARD_HEADER_WORDS = 4;

export const metricsWords = (window: number, nParams: number) => GUARD_HEADER_WORDS + window + window * nParams;

export interface GuardReading {
  /** The first non-finite step (1-based), or 0. */
  badStep: number;
  gradScale: number;
  /** Raw loss of each slot (the target's loss sum, before its scale). */
  losses: Float32Array;
  /** ‖grad‖² per parameter, per slot. */
  squares: Float32Array[];
}

export interface StepGuard {
  /** (4 + window + window·nParams) words; its header is what the optimizers read. */
  metrics: GpuTensor;
  window: number;
  dispatch: Dispatch;
  /** Step number (1-based), ring slot and clipping for the next dispatch; null: no clipping. */
  prepare(step: number, slot: number, maxGradNorm: number | null): void;
  /** Forgets a recorded non-finite step (after the host rolled its count back). */
  clearBadStep(): void;
  /** One readback of the header and the first `slots` slots. */
  read(slots: number): Promise<GuardReading>;
  destroy(): void;
}

export async function createStepGuard(
  gpu: Gpu,
  spec: { squares: GpuTensor; loss: GpuTensor; nParams: number; window: number },
): Promise<StepGuard> {
  const { nParams, window } = spec;
  const metrics = await createTensor(gpu, 'trainer.metrics', [metricsWords(window, nParams)]);
  const uniforms = createUniformBuffer(gpu, 'trainer.guard.params', 32);
  const dispatch = await createDispatch(gpu, {
    family: 'stepGuard',
    entryPoint: 'main',
    label: 'trainer.guard',
    bindings: [uniforms, spec.squares.buffer, spec.loss.buffer, metrics.buffer],
    workgroups: [1],
  });
  return {
    metrics,
    window,
    dispatch,
    prepare(step, slot, maxGradNorm) {
      const data = new ArrayBuffer(32);
      new Uint32Array(data, 0, 4).set([nParams, step, slot, window]);
      new Float32Array(data, 16, 1)[0] = maxGradNorm ?? 0;
      gpu.device.queue.writeBuffer(uniforms, 0, data);
    },
    clearBadStep() {
      gpu.device.queue.writeBuffer(metrics.buffer, 0, new Uint32Array([0]));
    },
    async read(slots) {
      const words = await readTensor(gpu, metrics);
      const ring = words.subarray(GUARD_HEADER_WORDS);
      return {
        badStep: new Uint32Array(words.buffer, words.byteOffset, 1)[0],
        gradScale: words[1],
        losses: ring.slice(0, slots),
        squares: Array.from({ length: slots }, (_, s) => ring.slice(window + s * nParams, window + (s + 1) * nParams)),
      };
    },
    destroy() {
      metrics.buffer.destroy();
      uniforms.destroy();
    },
  };
}

/** A guard header that never skips and scales by `gradScale`: for optimizers used without a Trainer. */
export async function createFixedGuard(gpu: Gpu, gradScale = 1): Promise<GPUBuffer> {
  return (await createTensor(gpu, 'guard.fixed', [2], new Float32Array([0, gradScale]))).buffer; // word 0: badStep = 0 (the bits of 0.0)
}

/** lastFinite ← param, unless the guard holds a non-finite step (shaders/keep_finite.wgsl). */
export async function createKeepFinite(gpu: Gpu, spec: { guard: GPUBuffer; param: GpuTensor; lastFinite: GpuTensor }): Promise<{ dispatch: Dispatch; destroy(): void }> {
  const uniforms = createUniformBuffer(gpu, `${spec.param.label}.keepFinite.params`, 16);
  gpu.device.queue.writeBuffer(uniforms, 0, new Uint32Array([spec.param.numel]));
  const dispatch = await createDispatch(gpu, {
    family: 'keepFinite',
    entryPoint: 'main',
    label: `${spec.param.label}.keepFinite`,
    bindings: [uniforms, spec.guard, spec.param.buffer, spec.lastFinite.buffer],
    workgroups: [stridedWorkgroups(spec.param.numel)],
  });
  return { dispatch, destroy: () => uniforms.destroy() };
}
