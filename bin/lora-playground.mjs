#!/usr/bin/env node
// Entry point of `npx lora-playground`: sets up WebGPU's environment for Dawn when a command
// needs the GPU (re-running itself once with it), then runs src/cli/main.ts through tsx.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dawnEnvironment } from '../scripts/gpu-env.mjs';

const GPU_COMMANDS = new Set(['gpu', 'train', 'pretrain', 'eval', 'bench-promises']);
const needsGpu = GPU_COMMANDS.has(process.argv[2]);
const extraEnv = needsGpu && !process.env.LORA_PLAYGROUND_ENV_SET ? dawnEnvironment() : {};

if (Object.keys(extraEnv).length > 0) {
  const env = { ...process.env, ...extraEnv, LORA_PLAYGROUND_ENV_SET: '1' };
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env, stdio: 'inherit' });
  // Ctrl-C / kill reach the command itself, which finishes its step and saves a checkpoint.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
} else {
  await import('./register.mjs');
  const { main } = await import('../src/cli/main.ts');
  const code = await main(process.argv.slice(2));
  // Dawn may keep the event loop alive after the device is gone: exit explicitly.
  process.exit(code);
}
