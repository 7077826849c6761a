import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { hubConnectSources } from './src/io/hub-endpoints.ts';

/**
 * A strict Content-Security-Policy in the built pages: scripts only from the page's own origin,
 * no eval, no requests to other origins but the Hub endpoints the build allows. (The dev server injects inline scripts for hot reload,
 * so it is served without one.) Styles allow inline attributes: React and the charts set them.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  // The page fetches models from the Hub endpoints the build names (VITE_HF_ENDPOINT, default
  // https://huggingface.co, and its download hosts) and from nowhere else: src/io/hub-endpoints.ts.
  ["connect-src 'self'", ...hubConnectSources(process.env.VITE_HF_ENDPOINT, process.env.VITE_HF_CDN)].join(' '),
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
  };
}

// Three pages: the playground, the kernel check (run by the e2e tests) and the benchmark.
export default defineConfig({
  // Relative URLs in the built pages, so dist/ works served from any path (https://host/ or
  // https://host/lora-playground/). The engine worker finds the bundled model from its own URL,
  // one folder above assetsDir (src/worker/engine-worker.ts); e2e/sub-path.spec.ts checks it.
  base: './',
  plugins: [react(), contentSecurityPolicy()],
  // The engine worker (src/worker/engine-worker.ts) is an ES module, code-split like the page.
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    assetsDir: 'assets',
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        kernelCheck: resolve(import.meta.dirname, 'kernel-check.html'),
        bench: resolve(import.meta.dirname, 'bench.html'),
      },
    },
  },
  server: { port: 5173 },
});
