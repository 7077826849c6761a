// `npm test`: every test. Checks what the GPU tests need first (naming the package to install
// when something is missing), then runs vitest (unit + WebGPU in Node through Dawn) and
// Playwright (the pages and the kernels in headless Chromium).
//   node scripts/test.mjs [unit|e2e]
import { spawnSync } from 'node:child_process';
import { dawnEnvironment, missingForTests } from './gpu-env.mjs';

const which = process.argv[2] ?? 'all';
const missing = missingForTests();
if (missing) {
  console.error(`npm test: ${missing}`);
  process.exit(1);
}

const env = { ...process.env, ...dawnEnvironment() };
const run = (args) => {
  console.log(`\n$ npx ${args.join(' ')}`);
  const result = spawnSync('npx', args, { stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

if (which === 'all' || which === 'unit') run(['vitest', 'run']);
if (which === 'all' || which === 'e2e') run(['playwright', 'test']);
