// `npm run bench:readme`: writes the figures of bench/results.json and bench/promises.json into
// README.md between the bench markers, each with its goal, so the README shows what was measured.
import { readFileSync, writeFileSync } from 'node:fs';

const results = JSON.parse(readFileSync('bench/results.json', 'utf8'));
const promises = JSON.parse(readFileSync('bench/promises.json', 'utf8'));
const x = (v) => `${v.toFixed(2)}×`;
const goalFor = (row) => {
  if (row.case.startsWith('matmul')) {
    const size = Number(/(\d+)³/.exec(row.case)[1]);
    return size >= 512 ? { text: '≥ 4×', ok: row.ratio >= 4 } : { text: '≥ 1×', ok: row.ratio >= 1 };
  }
  if (row.case.startsWith('LoRA training step')) return { text: '≥ 3×', ok: row.ratio >= 3 };
  return { text: '≥ 1×', ok: row.ratio >= 1 };
};
const lines = [];
lines.push(`Kernels — \`npm run bench\` on ${results.date.slice(0, 10)}, ${results.machine.cpus} CPU cores (${results.machine.cpu}), no GPU: ${results.browser.match(/Chrome\/[\d.]+/)?.[0] ?? 'Chromium'} on \`${results.adapter.vendor} / ${results.adapter.architecture}\` (SwiftShader). Peer: ${results.peer}.`);
lines.push('');
lines.push('| case | shape | ours GFLOP/s | tfjs GFLOP/s | ours ÷ tfjs | goal | max \\|ours − tfjs\\| |');
lines.push('| --- | --- | ---: | ---: | ---: | --- | ---: |');
for (const r of results.cases) {
  const g = goalFor(r);
  lines.push(`| ${r.case} | ${r.shape} | ${r.ours_gflops.toFixed(3)} | ${r.tfjs_gflops.toFixed(3)} | ${x(r.ratio)} | ${g.text} ${g.ok ? '✓' : '✗'} | ${r.max_abs_diff === null ? '' : r.max_abs_diff.toExponential(1)} |`);
}
lines.push('');
const b = promises.base_model;
lines.push(`LoRA's promises — \`lora-playground bench-promises\` (part of \`npm run bench\`) on ${promises.date.slice(0, 10)}, Node + Dawn on \`${promises.adapter.vendor} / ${promises.adapter.architecture}\`: the bundled base model (batch ${b.batch} × seq ${b.seq}; LoRA r = 8 on all linear layers) and the teacher layer (d = ${promises.teacher.d}, ${promises.teacher.tokens} rows).`);
lines.push('');
lines.push('| ratio | measured | goal | arithmetic | what it means |');
lines.push('| --- | ---: | --- | ---: | --- |');
const bytes = (n) => `${n.toLocaleString('en-US')} B`;
const withoutCopies = promises.without_rollback_copies;
const copies = (run) => `${bytes(run.rollbackBytes)} of it the trainer's two rollback copies`;
const meaning = {
  step_time_lora_over_full: 'a LoRA training step of the whole model against full fine-tuning',
  gpu_bytes_lora_over_full: `GPU bytes for training: LoRA ${bytes(b.lora_r8_all_linear.bytes)}, full ${bytes(b.full.bytes)} (${copies(b.full)}); without the copies (what PyTorch + AdamW holds) ${withoutCopies.gpu_bytes_lora_over_full.toFixed(3)}. Activations dominate this tiny model`,
  forward_merged_over_base: 'inference after merging costs what the base costs',
  forward_unmerged_over_base: 'inference with the adapter unmerged, as the engine runs it: for 512 tokens it adds s·B·A to a scratch copy of each W before the matmul (foldsAdapter), cheaper than the low-rank path',
  forward_unmerged_low_rank_over_base: 'inference unmerged on the low-rank path, X·Wᵀ + s·(X·Aᵀ)·Bᵀ, as PEFT computes it (the engine takes it for short inputs, e.g. generation at small batch)',
  teacher_step_time_lora_over_full: 'one d×d layer: LoRA step against full step',
  teacher_gpu_bytes_lora_over_full: `one d×d layer, trained by the same Trainer: LoRA ${bytes(promises.teacher.lora.bytes)}, full ${bytes(promises.teacher.full.bytes)} (${copies(promises.teacher.full)}); without the copies ${withoutCopies.teacher_gpu_bytes_lora_over_full.toFixed(3)}`,
};
for (const [name, r] of Object.entries(promises.ratios)) {
  const limit = Number(r.goal.replace(/[^\d.]/g, ''));
  // A forward ratio closer to its goal than two identical models differed is not decided by one run.
  const noise = promises.noise ? Math.abs(promises.noise.forward_base_again_over_base - 1) : 0;
  const undecided = name.startsWith('forward_') && Math.abs(r.value - limit) <= noise ? ' (within noise)' : '';
  lines.push(`| ${name} | ${r.value.toFixed(3)} | ${r.goal} ${r.value <= limit ? '✓' : '✗'}${undecided} | ${promises.arithmetic[name].toFixed(3)} | ${meaning[name] ?? ''} |`);
}
lines.push('');
lines.push('"arithmetic" is what the work alone gives: for a time, LoRA\'s estimated FLOPs ÷ the other side\'s (matmuls 2·M·N·K, attention exact, elementwise kernels estimated); for bytes, the ratio of everything but activations (the batch, and what the forward keeps for the backward). A time ratio can only beat its FLOP ratio where LoRA\'s kernels do more FLOPs per millisecond than the ones they replace; a byte ratio only reaches its arithmetic figure at no activations.');
if (promises.noise) {
  const n = promises.noise.forward_base_again_over_base;
  lines.push('');
  lines.push(`Noise: the base model is built twice and both are timed in the same rotation as the others (the forward ratios use their samples together); the second ran at ${n.toFixed(3)}× the first, so a forward ratio within ${Math.abs(n - 1).toFixed(3)} of its goal is not decided by one run.`);
}
const c = b.lora_r8_all_linear.calls;
lines.push('');
const perWindow = c.maps <= 10;
const enc = results.step_encoding;
const sub = b.lora_r8_all_linear.forwardBackwardSubmissions;
lines.push(`Step loop (LoRA, 100 steps of the bundled model): ${c.pipelines} pipelines and ${c.bindGroups} bind groups created (all are built once, before the first step); ${c.maps} readbacks in 100 steps: steps are queued in windows of 10 and the window's losses, gradient norms and non-finite verdict come back in one readback (goal: no per-step readback unless a metric is due ${perWindow ? '✓' : '✗'}); encoding one step (${enc.dispatches} dispatches) takes ${enc.median_ms.toFixed(2)} ms of main-thread time in Chromium, median of 15 (fastest ${enc.fastest_ms.toFixed(2)} ms; goal ≤ 5 ms ${enc.median_ms <= 5 ? '✓' : '✗'}), and ${b.lora_r8_all_linear.encodeMs.toFixed(2)} ms in Node/Dawn (fastest ${b.lora_r8_all_linear.encodeFastestMs.toFixed(2)} ms; the slow ones there are pauses inside Dawn with SwiftShader on the same two cores); ${b.lora_r8_all_linear.stepMs.toFixed(0)} ms per step on SwiftShader. Submissions are split by estimated work (a budget of ${sub.budgetGflop.toFixed(3)} GFLOP, from timing a matmul on the device when it is acquired, estimated at ${sub.targetMs ?? 30} ms each): one forward + backward of the bundled model is ${sub.count} submissions, the longest ${sub.longestMs.toFixed(0)} ms when each is timed alone (goal: none over ~100 ms ${sub.longestMs <= 100 ? '✓' : '✗'}).`);
const table = lines.join('\n');
const readme = readFileSync('README.md', 'utf8');
const start = '<!-- bench:start -->';
const end = '<!-- bench:end -->';
if (!readme.includes(start) || !readme.includes(end)) throw new Error('README.md has no bench markers');
writeFileSync('README.md', readme.replace(new RegExp(`${start}[\\s\\S]*${end}`), `${start}\n${table}\n${end}`));
console.log(table);
