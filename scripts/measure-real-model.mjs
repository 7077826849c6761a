#!/usr/bin/env node
// Measures a model folder at its real size in Node + Dawn (src/bench/real-model.ts) and prints
// JSON: load time, GPU bytes (against the estimate and f32 storage), peak JS memory while
// loading, LoRA step time, merge time and the merged export's size.
//
//   node scripts/measure-real-model.mjs --model DIR [--rank 8] [--targets q_proj,v_proj]
//        [--batch 1] [--seq-len 64] [--steps 2] [--base-storage checkpoint|f32] [--no-export]
//
// Make a SmolLM2-135M-shaped folder first: node scripts/make-model.mjs --preset smollm2-135m --out DIR
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dawnEnvironment } from './gpu-env.mjs';

if (!process.env.LORA_PLAYGROUND_ENV_SET) {
  const env = { ...process.env, ...dawnEnvironment(), LORA_PLAYGROUND_ENV_SET: '1' };
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.argv.slice(1)], { env, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const { values } = parseArgs({
  options: {
    model: { type: 'string' }, rank: { type: 'string', default: '8' }, targets: { type: 'string', default: 'q_proj,v_proj' },
    batch: { type: 'string', default: '1' }, 'seq-len': { type: 'string', default: '64' }, steps: { type: 'string', default: '2' },
    'base-storage': { type: 'string', default: 'checkpoint' }, 'no-export': { type: 'boolean', default: false },
  },
});
if (!values.model) {
  console.error('measure-real-model: --model DIR is required');
  process.exit(2);
}
await import('../bin/register.mjs');
const { measureRealModel } = await import('../src/bench/real-model.ts');
const { folderReader } = await import('../src/cli/folder-reader.ts');
const { acquireNodeGpu, releaseGpu } = await import('../src/gpu/node-gpu.ts');
const gpu = await acquireNodeGpu();
globalThis.gc?.();
const memory = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const text = readFileSync(new URL('../README.md', import.meta.url), 'utf8').repeat(4);
const result = await measureRealModel(gpu, await folderReader(values.model), {
  rank: Number(values.rank), targets: values.targets === 'all-linear' ? 'all-linear' : values.targets.split(','), batch: Number(values.batch), seq: Number(values['seq-len']),
  steps: Number(values.steps), text, baseStorage: values['base-storage'], jsMemory: memory, exportBytes: !values['no-export'],
});
console.log(JSON.stringify({ runtime: 'Node + Dawn', adapter: gpu.adapter, ...result }, null, 2));
releaseGpu(gpu);
process.exit(0);
