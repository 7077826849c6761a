#!/usr/bin/env node
// Plain LoRA, DoRA, PiSSA, OLoRA and LoRA+ at the same rank, seed and learning rate, on the
// low-rank teacher and on the tiny Llama, through the CLI (one `train` process per run):
//   node scripts/compare-variants.mjs [--teacher-steps N] [--lm-steps N] [--out DIR] [--from-json FILE]
// writes DIR/compare-variants.json (every run's losses), DIR/compare-variants.md (the table: final
// loss and steps to the target loss) and DIR/compare-variants.svg (the loss curves in one chart).
// Final loss: the mean training loss of the last 10 steps, and the validation loss of the run's
// summary. Steps to target: the first step whose mean loss over the last 5 steps is ≤ the target.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dawnEnvironment } from './gpu-env.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({
  options: {
    'teacher-steps': { type: 'string', default: '200' },
    'lm-steps': { type: 'string', default: '60' },
    out: { type: 'string', default: join(ROOT, 'docs') },
    /** Redraw the table and chart from a compare-variants.json written earlier, without training. */
    'from-json': { type: 'string' },
  },
});

export const VARIANTS = [
  { name: 'LoRA', flags: [] },
  { name: 'DoRA', flags: ['--use-dora'] },
  { name: 'PiSSA', flags: ['--init-lora-weights', 'pissa'] },
  { name: 'OLoRA', flags: ['--init-lora-weights', 'olora'] },
  { name: 'LoRA+ (λ = 16)', flags: ['--loraplus'] },
];

// Rank 4 everywhere (α = 2r), seed 0, each task's default learning rate (AdamW: 0.01 teacher, 0.02
// tiny Llama). Targets: the teacher starts at 1.33 (its floor at r = 4 is 0); the tiny Llama's
// text has an entropy of 1.086 nats per byte, its base starts near 1.6.
export const TASKS = [
  { name: 'low-rank teacher (64×64, true rank 4)', key: 'teacher', target: 0.05, flags: ['--task', 'low-rank-teacher', '--dim', '64', '--true-rank', '4', '--tokens', '64', '--rank', '4', '--seed', '0', '--steps', flags['teacher-steps']] },
  { name: 'tiny Llama (byte-caps, lines corpus)', key: 'tiny-lm', target: 1.05, flags: ['--task', 'tiny-lm', '--rank', '4', '--seed', '0', '--steps', flags['lm-steps']] },
];

function train(args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/lora-playground.mjs'), 'train', ...args], { cwd: ROOT, env: { ...process.env, ...dawnEnvironment() } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`train ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`));
      const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      resolvePromise({ losses: lines.filter((l) => typeof l.step === 'number').map((l) => l.loss), summary: lines.find((l) => 'task' in l) ?? null });
    });
  });
}

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

export function stepsToTarget(losses, target, window = 5) {
  for (let i = window; i <= losses.length; i++) if (mean(losses.slice(i - window, i)) <= target) return i;
  return null;
}

function svgChart(results) {
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
  const [w, h, pad] = [440, 300, 48];
  const panels = TASKS.map((task, p) => {
    const runs = results.filter((r) => r.task === task.key);
    const all = runs.flatMap((r) => r.losses).filter((x) => x > 0);
    const [lo, hi] = [Math.log10(Math.min(...all, task.target)), Math.log10(Math.max(...all))];
    const steps = Math.max(...runs.map((r) => r.losses.length));
    const x = (i) => pad + ((w - pad - 10) * i) / Math.max(1, steps - 1);
    const y = (v) => 20 + ((h - 20 - pad) * (hi - Math.log10(Math.max(v, 1e-12)))) / Math.max(1e-9, hi - lo);
    const lines = runs.map((r, i) => `<polyline fill="none" stroke="${colors[i]}" stroke-width="1.5" points="${r.losses.map((v, s) => `${x(s).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"><title>${r.variant}</title></polyline>`);
    const ticks = [];
    // Ticks at each decade, and at 2 and 5 times it when the range spans less than two decades.
    const mantissas = hi - lo < 2 ? [1, 2, 5] : [1];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
      for (const m of mantissas) {
        const v = m * 10 ** e;
        if (Math.log10(v) < lo - 1e-9 || Math.log10(v) > hi + 1e-9) continue;
        const label = v >= 0.01 && v < 1000 ? String(Number(v.toPrecision(2))) : `${m === 1 ? '' : `${m}·`}1e${e}`;
        ticks.push(`<text x="${pad - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${label}</text><line x1="${pad}" x2="${w - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
      }
    }
    const targetLine = `<line x1="${pad}" x2="${w - 10}" y1="${y(task.target)}" y2="${y(task.target)}" stroke="#888" stroke-dasharray="4 3"/><text x="${w - 12}" y="${y(task.target) - 4}" text-anchor="end" font-size="11" fill="#555">target ${task.target}</text>`;
    return `<g transform="translate(${p * w},0)"><text x="${pad}" y="14" font-size="13">${task.name}</text>${ticks.join('')}${targetLine}${lines.join('')}
<line x1="${pad}" x2="${pad}" y1="20" y2="${h - pad}" stroke="#333"/><line x1="${pad}" x2="${w - 10}" y1="${h - pad}" y2="${h - pad}" stroke="#333"/>
<text x="${(w + pad) / 2}" y="${h - pad + 30}" text-anchor="middle" font-size="11">step (1 … ${steps}); training loss, log scale</text></g>`;
  });
  const legend = VARIANTS.map((v, i) => `<g transform="translate(${60 + i * 150},${h + 8})"><rect width="14" height="4" y="-4" fill="${colors[i]}"/><text x="20" y="0" font-size="12">${v.name}</text></g>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w * TASKS.length}" height="${h + 20}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${panels.join('')}${legend.join('')}</svg>\n`;
}

function table(results) {
  const rows = ['| task | variant | final loss (mean of last 10 steps) | validation loss | steps to target |', '| --- | --- | ---: | ---: | ---: |'];
  for (const r of results) {
    const task = TASKS.find((t) => t.key === r.task);
    const reached = r.stepsToTarget === null ? `not in ${r.losses.length}` : String(r.stepsToTarget);
    rows.push(`| ${task.name} (target ${task.target}) | ${r.variant} | ${r.finalLoss.toFixed(4)} | ${r.valLoss === null ? '—' : r.valLoss.toFixed(4)} | ${reached} |`);
  }
  return `${rows.join('\n')}\n`;
}

async function main() {
  if (flags['from-json']) {
    const saved = JSON.parse(readFileSync(flags['from-json'], 'utf8'));
    writeFileSync(join(flags.out, 'compare-variants.md'), table(saved));
    writeFileSync(join(flags.out, 'compare-variants.svg'), svgChart(saved));
    process.stdout.write(table(saved));
    return;
  }
  const results = [];
  const scratch = mkdtempSync(join(tmpdir(), 'compare-variants-')); // each run's exports, deleted at the end
  for (const task of TASKS) {
    for (const v of VARIANTS) {
      const started = Date.now();
      const { losses, summary } = await train([...task.flags, ...v.flags, '--out', join(scratch, `${task.key}-${VARIANTS.indexOf(v)}`)]);
      const r = {
        task: task.key, variant: v.name, flags: [...task.flags, ...v.flags], losses,
        finalLoss: mean(losses.slice(-10)), valLoss: summary?.val_loss ?? summary?.after?.val_loss ?? null, // the teacher's, the tiny Llama's
        stepsToTarget: stepsToTarget(losses, task.target), seconds: (Date.now() - started) / 1000,
      };
      results.push(r);
      console.error(`${task.key} ${v.name}: final ${r.finalLoss.toFixed(4)}, val ${r.valLoss?.toFixed(4) ?? '—'}, to target ${r.stepsToTarget ?? '—'} (${r.seconds.toFixed(0)} s)`);
    }
  }
  mkdirSync(flags.out, { recursive: true });
  writeFileSync(join(flags.out, 'compare-variants.json'), `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(join(flags.out, 'compare-variants.md'), table(results));
  writeFileSync(join(flags.out, 'compare-variants.svg'), svgChart(results));
  rmSync(scratch, { recursive: true, force: true });
  process.stdout.write(table(results));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
