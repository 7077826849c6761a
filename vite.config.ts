import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Three pages: the playground, the kernel check (run by the e2e tests) and the benchmark.
export default defineConfig({
  plugins: [react()],
  build: {
    target: 'es2022',
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
