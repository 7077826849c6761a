// Runs every kernel check on WebGPU in Node (Dawn; SwiftShader on machines without a GPU).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { allKernelChecks } from './all-checks.ts';

let gpu: Gpu;

beforeAll(async () => {
  gpu = await acquireNodeGpu();
});

afterAll(() => {
  if (gpu) releaseGpu(gpu);
});

describe('WGSL kernels match their CPU references (Node, Dawn)', () => {
  it('runs on a real WebGPU adapter', () => {
    expect(gpu.adapter.vendor.length + gpu.adapter.description.length).toBeGreaterThan(0);
  });

  for (const check of allKernelChecks()) {
    it(check.name, async () => {
      const result = await check.run(gpu);
      expect(result.ok, result.detail).toBe(true);
    });
  }
});
