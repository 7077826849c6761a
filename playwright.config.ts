import { defineConfig } from '@playwright/test';
// @ts-expect-error plain JS helper shared with the scripts
import { chromiumPath } from './scripts/gpu-env.mjs';
// @ts-expect-error plain JS helper shared with the scripts
import { CHROMIUM_ARGS } from './scripts/headless.mjs';

const PORT = 5199;

// Headless Chromium from the system (Debian's `chromium`; CHROMIUM_PATH elsewhere) with WebGPU
// on SwiftShader when there is no GPU. Playwright's own browser download is never used.

export default defineConfig({
  testDir: 'e2e',
  timeout: 300_000,
  expect: { timeout: 30_000 },
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${PORT}`,
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumPath() ?? undefined, args: CHROMIUM_ARGS },
  },
  webServer: {
    // The production build, as users get it (no dev-mode React, no hot reload mid-test).
    command: `npx vite build --logLevel warn && npx vite preview --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
});
