// The rank sweep of the README: the low-rank teacher (d = 256, true rank k = 4) learned by
// LoRA ranks 1, 2, 4, 8, 16. Prints a markdown table and writes bench/rank-sweep.json.
//   node scripts/rank-sweep.mjs [--steps 300] [--dim 256]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const steps = arg('steps', '300');
const dim = arg('dim', '256');
const rows = [];
for (const rank of [1, 2, 4, 8, 16]) {
  const r = spawnSync(process.execPath, ['bin/lora-playground.mjs', 'train', '--task', 'low-rank-teacher', '--dim', dim, '--true-rank', '4',
    '--rank', String(rank), '--alpha', String(2 * rank), '--steps', steps, '--lr', '0.01', '--seed', '0', '--quiet'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rank ${rank} failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const summary = lines.find((l) => l.task);
  rows.push({ rank, initial_loss: summary.initial_loss, floor: summary.floor, final_val_loss: summary.val_loss, final_train_loss: lines.find((l) => 'step' in l).loss });
  console.error(`rank ${rank}: val ${summary.val_loss}`);
}
mkdirSync('bench', { recursive: true });
writeFileSync('bench/rank-sweep.json', `${JSON.stringify({ dim: Number(dim), true_rank: 4, steps: Number(steps), lr: 0.01, seed: 0, rows }, null, 2)}\n`);
console.log('| LoRA rank r | loss at start | floor (k − r)/k · start | validation loss after ' + steps + ' steps |');
console.log('| ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.rank} | ${r.initial_loss.toFixed(3)} | ${r.floor.toFixed(3)} | ${r.final_val_loss.toExponential(2)} |`);
