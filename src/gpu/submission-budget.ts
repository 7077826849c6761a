// How much work one queue submission may hold. Browsers reset a device whose work seems hung
// (a few seconds at most, less on some systems), and a long submission also delays everything
// else on the GPU, so submitDispatches splits work into submissions estimated at SUBMISSION_TARGET_MS.
// The budget comes from timing a matmul on this device, grown until the timing is long enough to
// trust (a fast GPU finishes 256³ in microseconds, under the latency of the measurement).
import { createTensor } from './buffers.ts';
import type { Gpu } from './device.ts';
import { createMatmul } from './kernels/matmul.ts';

/**
 * A fifth of the ~100 ms a submission should stay under: the estimate is rough. The calibration
 * matmul (X·Wᵀ) is a device's best case; norms, attention and small matmuls run at a fraction of
 * its rate (on SwiftShader attention does ~0.4 GFLOP/s against the quad matmul's 3–4), and at 30 ms
 * the longest submission of the bundled model measured 90 ms.
 */
export const SUBMISSION_TARGET_MS = 20;

/** Measures the device's matmul rate and sets gpu.submissionFlops; returns the measurement. */
export async function calibrateSubmissions(gpu: Gpu, targetMs = SUBMISSION_TARGET_MS): Promise<{ size: number; ms: number; flopsPerMs: number }> {
  let size = 128;
  let ms = 0;
  while (ms < 10 && size < 2048) {
    size *= 2;
    ms = await timeMatmul(gpu, size);
  }
  const flopsPerMs = (2 * size ** 3) / ms;
  gpu.submissionFlops = flopsPerMs * targetMs;
  return { size, ms, flopsPerMs };
}

/**
 * The fastest of four runs of a size³ matmul after a warm-up, from submission to completion. One
 * timed run was at the mercy of whatever else the machine did: on a shared 2-core machine it
 * halved the budget in some processes (18 submissions of the bundled model's step instead of 7),
 * and the step took 1.3× as long.
 */
async function timeMatmul(gpu: Gpu, size: number): Promise<number> {
  const tensors = [];
  for (const name of ['a', 'b', 'c']) tensors.push(await createTensor(gpu, `calibrate.${name}`, [size, size]));
  const [a, b, c] = tensors;
  const matmul = await createMatmul(gpu, { label: 'calibrate', a, b, c, m: size, n: size, k: size, transB: true });
  let ms = Infinity;
  for (let run = 0; run < 5; run++) {
    const encoder = gpu.device.createCommandEncoder({ label: 'calibrate' });
    const pass = encoder.beginComputePass();
    matmul.encode(pass);
    pass.end();
    const started = performance.now();
    gpu.device.queue.submit([encoder.finish()]);
    await gpu.device.queue.onSubmittedWorkDone();
    if (run > 0) ms = Math.min(ms, performance.now() - started);
  }
  for (const t of tensors) t.buffer.destroy();
  return Math.max(ms, 1e-3);
}
