// `lora-playground train --task low-rank-teacher|tiny-lm ...`: trains on the GPU through Dawn,
// prints one JSON object per step, then writes the PEFT adapter and the merged weights.
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { SettingError } from '../settings/schema.ts';
import { NonFiniteError, Trainer, type StepMetrics, type TrainerOptions } from '../train/trainer.ts';
import type { TaskRun } from '../tasks/task-run.ts';
import { createTeacherRun } from '../tasks/teacher-run.ts';
import { createTinyLmRun } from '../tasks/tiny-lm-run.ts';
import { createTextRun } from '../tasks/text-run.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkAdapterName, DEFAULT_LIBRARY, saveToLibrary } from './adapter-library.ts';
import { rejectUnknownFlags, UsageError, type ParsedArgs } from './args.ts';
import { numberFlag, optimizerFlag, stringFlag } from './flags.ts';
import { writeCheckpoint, writeFilesAtomically } from './output-dir.ts';

const FLAGS = [
  'task', 'rank', 'alpha', 'rslora', 'targets', 'layers', 'steps', 'lr', 'seed', 'out', 'dim', 'true-rank', 'tokens', 'batch',
  'seq-len', 'weight-decay', 'max-grad-norm', 'schedule', 'warmup', 'eval-every', 'full', 'model', 'quiet', 'rank-pattern', 'alpha-pattern', 'dropout', 'merged-dtype',
  'text', 'save', 'library', 'gpu-memory', 'checkpoint-every', 'optimizer',
];
const TASKS = ['low-rank-teacher', 'tiny-lm', 'text'];
export const TRAIN_BOOLEAN_FLAGS = ['rslora', 'full', 'quiet'];

export function stepJson(m: StepMetrics): string {
  const round = (x: number) => Number(x.toPrecision(6));
  return JSON.stringify({
    step: m.step,
    loss: round(m.loss),
    ...(m.valLoss !== undefined ? { val_loss: round(m.valLoss) } : {}),
    lr: round(m.lr),
    grad_norm: round(m.gradNorm),
    grad_norms: Object.fromEntries(Object.entries(m.gradNorms).map(([k, v]) => [k, round(v)])),
    base_grad: m.baseGradients,
    tokens_per_s: Math.round(m.tokensPerSecond),
  });
}

export async function trainCommand(args: ParsedArgs, out: (line: string) => void): Promise<number> {
  rejectUnknownFlags(args, FLAGS);
  const task = stringFlag(args, 'task');
  if (!task || !TASKS.includes(task)) throw new UsageError(`--task must be ${TASKS.join(', ')}; got ${task ?? 'nothing'}`);
  const saveAs = args.flags.has('save') ? checkAdapterName(stringFlag(args, 'save')) : null;
  const library = stringFlag(args, 'library') ?? DEFAULT_LIBRARY;
  if (saveAs && existsSync(join(library, saveAs))) throw new SettingError(`the library already has an adapter named ${saveAs} (${join(library, saveAs)}); choose another name or delete it first`);
  const mergedDtype = (stringFlag(args, 'merged-dtype') ?? 'f32').toLowerCase();
  if (mergedDtype !== 'f32' && mergedDtype !== 'f16') throw new SettingError(`--merged-dtype must be f32 or f16, got ${mergedDtype}`);
  const schedule = stringFlag(args, 'schedule') ?? 'constant';
  if (schedule !== 'constant' && schedule !== 'cosine') throw new SettingError(`--schedule must be constant or cosine, got ${schedule}`);
  const maxGradNorm = numberFlag(args, 'max-grad-norm');
  const options: Partial<TrainerOptions> = {
    steps: numberFlag(args, 'steps'),
    optimizer: optimizerFlag(args),
    lr: numberFlag(args, 'lr', task === 'tiny-lm' ? 2e-2 : 1e-2),
    weightDecay: numberFlag(args, 'weight-decay'),
    maxGradNorm: maxGradNorm > 0 ? maxGradNorm : null,
    schedule: schedule === 'cosine' ? { kind: 'cosine', warmupSteps: numberFlag(args, 'warmup') } : { kind: 'constant' },
    evalEvery: numberFlag(args, 'eval-every'),
  };
  const gpu = await acquireNodeGpu();
  try {
    const create = { 'low-rank-teacher': createTeacherRun, 'tiny-lm': createTinyLmRun, text: createTextRun }[task as 'text'];
    const run: TaskRun = await create(gpu, args);
    const trainer = await Trainer.create(gpu, run.target, options);
    const quiet = args.flags.has('quiet');
    const checkpointEvery = numberFlag(args, 'checkpoint-every');
    const outDir = stringFlag(args, 'out');
    const checkpoint = async (m: StepMetrics) => {
      if (!outDir) return;
      const dir = writeCheckpoint(outDir, m.step, { ...(await run.adapterFiles()), 'checkpoint.json': `${JSON.stringify({ step: m.step, loss: m.loss }, null, 2)}\n` });
      out(JSON.stringify({ checkpoint: dir, step: m.step }));
    };
    // Ctrl-C: finish the step in flight, write a checkpoint, exit 130. A second Ctrl-C soon
    // after the first (the terminal signals the whole process group) is the same request.
    let interruptedAt = 0;
    const onInterrupt = () => {
      if (interruptedAt && Date.now() - interruptedAt > 1000) process.exit(130);
      interruptedAt ||= Date.now();
    };
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onInterrupt);
    let last: StepMetrics | null = null;
    try {
      while (trainer.step < trainer.options.steps && !interruptedAt) {
        // A window of steps (up to the next checkpoint) runs without waiting; its metrics come back at once.
        const untilCheckpoint = checkpointEvery > 0 ? checkpointEvery - (trainer.step % checkpointEvery) : Infinity;
        for (const m of await trainer.trainSteps(untilCheckpoint)) {
          last = m;
          if (!quiet) out(stepJson(m));
          if (checkpointEvery > 0 && m.step % checkpointEvery === 0) await checkpoint(m);
        }
      }
    } catch (err) {
      if (!(err instanceof NonFiniteError)) throw err;
      await writeOutputs(args, run, out, mergedDtype === 'f16' ? 'F16' : 'F32');
      throw err;
    } finally {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
    }
    if (interruptedAt) {
      const finished = last as StepMetrics | null;
      if (finished) await checkpoint(finished);
      out(JSON.stringify({ interrupted_at_step: finished?.step ?? 0 }));
      return 130;
    }
    if (quiet && last) out(stepJson(last));
    if (run.summary) out(JSON.stringify(await run.summary()));
    await writeOutputs(args, run, out, mergedDtype === 'f16' ? 'F16' : 'F32');
    if (saveAs) {
      const files = await run.adapterFiles();
      if (!files['adapter_config.json']) throw new SettingError('--save keeps a LoRA adapter; full fine-tuning (--full) has none (use --out for the merged weights)');
      const finished = last as StepMetrics | null;
      const dir = saveToLibrary(library, saveAs, files, {
        task, base: stringFlag(args, 'model') ?? null, steps: finished?.step, final_loss: finished?.loss, val_loss: finished?.valLoss, created: new Date().toISOString(),
      });
      out(JSON.stringify({ saved: dir }));
    }
    return 0;
  } finally {
    releaseGpu(gpu);
  }
}

async function writeOutputs(args: ParsedArgs, run: TaskRun, out: (line: string) => void, dtype: 'F32' | 'F16'): Promise<void> {
  const dir = stringFlag(args, 'out');
  if (!dir) return;
  const adapter = writeFilesAtomically(`${dir}/adapter`, await run.adapterFiles());
  const merged = writeFilesAtomically(`${dir}/merged`, await run.mergedFiles(dtype));
  out(JSON.stringify({ wrote: [...adapter, ...merged] }));
}
