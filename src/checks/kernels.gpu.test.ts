// Runs every kernel check on WebGPU in Node (Dawn; SwiftShader on machines without a GPU).
import { afterAll, describe, expect, it } from 'vitest';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { probeQuadLayout } from '../gpu/quad-probe.ts';
import { allKernelChecks } from './all-checks.ts';

// Acquired before the tests are listed: which checks exist depends on the device (the quad matmul).
const gpu = await acquireNodeGpu();

afterAll(() => releaseGpu(gpu));

describe('WGSL kernels match their CPU references (Node, Dawn)', () => {
  it('runs on a real WebGPU adapter', () => {
    expect(gpu.adapter.vendor.length + gpu.adapter.description.length).toBeGreaterThan(0);
  });

  it('the quad matmul runs where the device has subgroups (SwiftShader does), and not without them', async () => {
    expect(gpu.quadKernels).toBe(gpu.features.has('subgroups'));
    expect(await probeQuadLayout(gpu.device, false)).toBe(false);
  });

  for (const check of allKernelChecks(gpu)) {
    it(check.name, async () => {
      const result = await check.run(gpu);
      expect(result.ok, result.detail).toBe(true);
    });
  }
});
