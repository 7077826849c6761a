import { defineConfig } from 'vitest/config';
// @ts-expect-error plain JS helper shared with the scripts
import { dawnEnvironment } from './scripts/gpu-env.mjs';

// Forked workers inherit this process's environment: give Dawn its Vulkan driver.
Object.assign(process.env, dawnEnvironment());

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
