// The pages served by Vite and opened in the system's headless Chromium (WebGPU on SwiftShader
// without a GPU): shared by `npm run bench` and `npm run screenshots`; Playwright's test config
// uses the same browser flags.
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumPath, missingForTests } from './gpu-env.mjs';

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Starts Vite on `port` (or the next free one) and the browser; stops the process with one line when Chromium is missing. */
export async function openHeadless(command, port) {
  const missing = missingForTests();
  if (missing) {
    console.error(`${command}: ${missing}`);
    process.exit(1);
  }
  const server = await createServer({ server: { port, strictPort: false }, logLevel: 'warn' });
  await server.listen();
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  return {
    url: server.resolvedUrls.local[0],
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
