import { defineConfig } from '@playwright/test';
// @ts-expect-error plain JS helper shared with the scripts
import { chromiumPath } from './scripts/gpu-env.mjs';
// @ts-expect-error plain JS helper shared with the scripts
import { CHROMIUM_ARGS } from './scripts/headless.mjs';

const PORT = 5199;
/** The local stand-in for the Hugging Face Hub (scripts/fake-hub.mjs, started by e2e/hub.spec.ts). */
export const FAKE_HUB_PORT = 5198;

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
    // Built for the local Hub only: its CSP's connect-src allows 'self' and http://localhost:5198.
    command: `VITE_HF_ENDPOINT=http://localhost:${FAKE_HUB_PORT} VITE_HF_CDN=none npx vite build --logLevel warn && npx vite preview --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
});
