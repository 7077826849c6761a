// `lora-playground train --task low-rank-teacher|tiny-lm|text ...`: maps the flags to a task's
// plain options (src/tasks/run-options.ts) and trains it through the same Session as the page
// (src/engine/session.ts), on the GPU through Dawn; prints one JSON object per step, then writes
// the PEFT adapter and the merged weights.
import type { Dtype } from '../io/safetensors.ts';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Session } from '../engine/session.ts';
import type { CheckpointStore, Files } from '../engine/types.ts';
import { GpuError } from '../gpu/errors.ts';
import { acquireNodeGpu } from '../gpu/node-gpu.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { clusterFiles, type ClusterRun } from '../io/python-script.ts';
import { parseTargetModules } from '../lora/injection.ts';
import { SettingError } from '../settings/schema.ts';
import type { LmRunOptions, TeacherRunOptions } from '../tasks/run-options.ts';
import { createTeacherRun } from '../tasks/teacher-run.ts';
import { corpusText } from '../tasks/text-task.ts';
import { createTextRun } from '../tasks/text-run.ts';
import { TINY_BASE_DIR, TINY_BASE_NAME } from '../tasks/tiny-base.ts';
import { createTinyLmRun } from '../tasks/tiny-lm-run.ts';
import type { TaskRun } from '../tasks/task-run.ts';
import { NonFiniteError, type StepMetrics, type TrainerOptions } from '../train/trainer.ts';
import { checkAdapterName, DEFAULT_LIBRARY, folderLibrary } from './adapter-library.ts';
import { UsageError, type ParsedArgs } from './args.ts';
import { loraplusFlag, loraVariantFlags, numberFlag, optimizerFlag, stringFlag } from './flags.ts';
import { folderReader } from './folder-reader.ts';
import { resolveModelFlag } from './hub-model.ts';
import { writeCheckpoint, writeFilesAtomically } from './output-dir.ts';
import { readTextDocuments } from './text-file.ts';

const TASKS = ['low-rank-teacher', 'tiny-lm', 'text'];

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

/** `--layers 0,1` (null when absent). */
function parseLayers(text: string | undefined): number[] | null {
  if (text === undefined) return null;
  return text.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0) throw new SettingError(`--layers takes layer indices such as 0,1, got '${text}'`);
    return n;
  });
}

/** `q_proj=4,model.layers.1.mlp.down_proj=2` → {q_proj: 4, ...} (PEFT's rank_pattern / alpha_pattern). */
export function parsePattern(flag: string, text: string | undefined, integer: boolean): Record<string, number> {
  const pattern: Record<string, number> = {};
  if (text === undefined) return pattern;
  for (const item of text.split(',')) {
    const [key, value] = item.split('=');
    const number = Number(value);
    if (!key || value === undefined || !(number > 0) || (integer && !Number.isInteger(number))) {
      throw new SettingError(`--${flag} takes module=${integer ? 'rank' : 'alpha'} pairs such as q_proj=4, got '${item}'`);
    }
    pattern[key.trim()] = number;
  }
  return pattern;
}

function lmOptions(args: ParsedArgs, baseName: string): LmRunOptions {
  const rank = numberFlag(args, 'rank');
  return {
    lora: {
      rank, alpha: numberFlag(args, 'alpha', 2 * rank), rslora: args.flags.has('rslora'), targets: parseTargetModules(stringFlag(args, 'targets') ?? 'all-linear'),
      layers: parseLayers(stringFlag(args, 'layers')), rankPattern: parsePattern('rank-pattern', stringFlag(args, 'rank-pattern'), true),
      alphaPattern: parsePattern('alpha-pattern', stringFlag(args, 'alpha-pattern'), false), dropout: numberFlag(args, 'dropout'),
      ...loraVariantFlags(args),
    },
    full: args.flags.has('full'),
    batch: numberFlag(args, 'batch'),
    seq: numberFlag(args, 'seq-len'),
    seed: numberFlag(args, 'seed'),
    optimizer: optimizerFlag(args),
    gpuMemoryBytes: numberFlag(args, 'gpu-memory') * 1024 ** 3,
    baseName,
    recompute: args.flags.has('recompute'),
  };
}

function teacherOptions(args: ParsedArgs): TeacherRunOptions {
  const rank = numberFlag(args, 'rank');
  return { dim: numberFlag(args, 'dim'), trueRank: numberFlag(args, 'true-rank'), tokens: numberFlag(args, 'tokens'), rank, alpha: numberFlag(args, 'alpha', 2 * rank), rslora: args.flags.has('rslora'), seed: numberFlag(args, 'seed'), ...loraVariantFlags(args) };
}

/** What the cluster script beside a language model's adapter needs besides the adapter (src/io/python-script.ts). */
type ClusterSource = Pick<ClusterRun, 'baseModel' | 'text'>;

/** Every flag read and every file loaded before the GPU is touched: bad input costs nothing. */
async function taskFromFlags(task: string, args: ParsedArgs): Promise<{ build: (gpu: Parameters<typeof createTeacherRun>[0]) => Promise<TaskRun>; baseName: string | undefined; baseDtype: Dtype; cluster?: ClusterSource }> {
  if (task === 'low-rank-teacher') {
    if (args.flags.has('recompute')) throw new SettingError('--recompute (activation checkpointing) applies to the language models (--task tiny-lm or text); the teacher is one layer');
    const o = teacherOptions(args);
    return { build: (gpu) => createTeacherRun(gpu, o), baseName: undefined, baseDtype: 'F32' };
  }
  const textPath = stringFlag(args, 'text');
  if (task === 'text' && (!args.flags.has('model') || !textPath)) throw new SettingError('--task text needs --model DIR (an HF Llama folder with tokenizer.json, or hf:ORG/NAME) and --text FILE (.txt or .jsonl)');
  // A Hub id or URL is downloaded (or found in the cache) first; the run names the model by its id.
  const model = await resolveModelFlag(args);
  const modelDir = model?.dir ?? (task === 'tiny-lm' ? TINY_BASE_DIR : undefined);
  const o = lmOptions(args, model?.name ?? modelDir!);
  const folder = await loadModelFolder(await folderReader(modelDir!));
  const baseDtype: Dtype = folder.dtypes.length === 1 ? (folder.dtypes[0] as Dtype) : 'F32';
  // The script names a Hub model by its id, a folder by its absolute path (--base-model changes it on another machine).
  const baseModel = model && model.name !== model.dir ? model.name : resolve(modelDir!);
  if (task === 'tiny-lm') {
    // The task draws fresh lines of corpus B each step; the script gets a fixed sample of them (what the page trains on).
    return { build: (gpu) => createTinyLmRun(gpu, folder, o), baseName: model?.name, baseDtype, cluster: { baseModel, text: { name: 'corpus-b-lines.txt', contents: corpusText('lines', 600, 1) } } };
  }
  const text = { name: textPath!, documents: await readTextDocuments(textPath!) };
  const cluster = { baseModel, text: { name: basename(textPath!), contents: readFileSync(textPath!) } };
  return { build: (gpu) => createTextRun(gpu, folder, text, o), baseName: model?.name, baseDtype, cluster };
}

export async function trainCommand(args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const task = stringFlag(args, 'task');
  if (!task || !TASKS.includes(task)) throw new UsageError(`--task must be ${TASKS.join(', ')}; got ${task ?? 'nothing'}`);
  const saveAs = args.flags.has('save') ? checkAdapterName(stringFlag(args, 'save')) : null;
  if (saveAs && args.flags.has('full')) throw new SettingError('--save keeps a LoRA adapter; full fine-tuning (--full) has none (use --out for the merged weights)');
  const library = stringFlag(args, 'library') ?? DEFAULT_LIBRARY;
  if (saveAs && existsSync(join(library, saveAs))) throw new SettingError(`the library already has an adapter named ${saveAs} (${join(library, saveAs)}); choose another name or delete it first`);
  // The merged export keeps the checkpoint's dtype unless asked for another.
  const mergedDtype = (stringFlag(args, 'merged-dtype') ?? 'base').toLowerCase();
  const MERGED_DTYPES: Record<string, Dtype | null> = { base: null, f32: 'F32', f16: 'F16', bf16: 'BF16' };
  if (!(mergedDtype in MERGED_DTYPES)) throw new SettingError(`--merged-dtype must be base (the checkpoint's own), f32, f16 or bf16; got ${mergedDtype}`);
  const schedule = stringFlag(args, 'schedule') ?? 'constant';
  if (schedule !== 'constant' && schedule !== 'cosine') throw new SettingError(`--schedule must be constant or cosine, got ${schedule}`);
  const maxGradNorm = numberFlag(args, 'max-grad-norm');
  const trainer: Partial<TrainerOptions> & { steps: number } = {
    steps: numberFlag(args, 'steps'),
    optimizer: optimizerFlag(args),
    loraplusLrRatio: loraplusFlag(args),
    lr: numberFlag(args, 'lr', task === 'tiny-lm' ? 2e-2 : 1e-2),
    weightDecay: numberFlag(args, 'weight-decay'),
    maxGradNorm: maxGradNorm > 0 ? maxGradNorm : null,
    schedule: schedule === 'cosine' ? { kind: 'cosine', warmupSteps: numberFlag(args, 'warmup') } : { kind: 'constant' },
    evalEvery: numberFlag(args, 'eval-every'),
  };
  const { build, baseName, baseDtype, cluster: clusterSource } = await taskFromFlags(task, args);
  // Beside a language model's adapter: the script that resumes it with transformers + PEFT under accelerate.
  const cluster = clusterSource && !args.flags.has('full') ? (adapterConfigJson: string) => clusterFiles({
    ...clusterSource, adapterConfigJson,
    training: {
      steps: trainer.steps, lr: trainer.lr!, batch: numberFlag(args, 'batch'), seqLen: numberFlag(args, 'seq-len'), seed: numberFlag(args, 'seed'), optimizer: trainer.optimizer!,
      weightDecay: trainer.weightDecay!, maxGradNorm: trainer.maxGradNorm ?? null, schedule, warmup: schedule === 'cosine' ? numberFlag(args, 'warmup') : 0, evalEvery: trainer.evalEvery!,
    },
  }) : undefined;
  const exportDtype = MERGED_DTYPES[mergedDtype] ?? baseDtype;
  const quiet = args.flags.has('quiet');
  const checkpointEvery = numberFlag(args, 'checkpoint-every');
  const outDir = stringFlag(args, 'out');

  // Ctrl-C (or SIGTERM): the Session finishes the steps in flight and keeps a checkpoint, written
  // below; exit 130. A second Ctrl-C soon after the first (the terminal signals the whole process
  // group) is the same request; a later one exits at once.
  let interruptedAt = 0;
  let lastLoss = NaN;
  let session: Session | null = null;
  /** A checkpoint that could not be written stops the command (after the run), as any write error does. */
  let checkpointError: Error | null = null;
  // DIR/checkpoints/step-N: every --checkpoint-every steps, and the one the Session keeps when interrupted.
  const checkpoints: CheckpointStore = {
    async write(c) {
      if (!outDir || !session || !(interruptedAt || (checkpointEvery > 0 && c.step % checkpointEvery === 0))) return;
      try {
        const dir = writeCheckpoint(outDir, c.step, { ...(await session.checkpointAdapterFiles()), 'checkpoint.json': `${JSON.stringify({ step: c.step, loss: lastLoss }, null, 2)}\n` });
        out(JSON.stringify({ checkpoint: dir, step: c.step }));
      } catch (err) {
        checkpointError ??= new SettingError(`could not write a checkpoint in ${outDir}: ${(err as Error).message}`);
        session.pause();
        throw err;
      }
    },
    read: async () => undefined,
    clear: async () => {},
  };
  session = new Session({
    acquireGpu: acquireNodeGpu,
    builtinModel: { name: TINY_BASE_NAME, read: await folderReader(TINY_BASE_DIR) },
    library: folderLibrary(library),
    checkpoints,
    checkpointEvery,
  });
  const onInterrupt = () => {
    if (interruptedAt && Date.now() - interruptedAt > 1000) process.exit(130);
    interruptedAt ||= Date.now();
    session?.pause();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    const status = await session.start();
    if (status.state !== 'ready') throw new GpuError(status.state === 'unavailable' ? status.message : 'no WebGPU device');
    session.on((e) => {
      if (e.type !== 'steps') return;
      for (const m of e.metrics) {
        lastLoss = m.loss;
        if (!quiet) out(stepJson(m));
      }
    });
    if (interruptedAt) {
      out(JSON.stringify({ interrupted_at_step: 0 })); // interrupted before the first step: nothing to keep
      return 130;
    }
    const { last, error } = await session.runTask({ runId: 'cli', label: task, build, trainer });
    if (checkpointError) throw checkpointError;
    if (error instanceof NonFiniteError) {
      await writeOutputs(session, outDir, out, exportDtype, cluster); // the adapter rolled back to its last finite state
      throw error;
    }
    if (error) throw error;
    if (interruptedAt) {
      out(JSON.stringify({ interrupted_at_step: last?.step ?? 0 }));
      return 130;
    }
    if (quiet && last) out(stepJson(last));
    const summary = await session.summary();
    if (summary) out(JSON.stringify(summary));
    await writeOutputs(session, outDir, out, exportDtype, cluster);
    if (saveAs) {
      await session.saveAdapter(saveAs, { task, base: baseName ?? '' }, { throwErrors: true });
      out(JSON.stringify({ saved: join(library, saveAs) }));
    }
    return 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    session.close();
  }
}

async function writeOutputs(session: Session, dir: string | undefined, out: (line: string) => void, dtype: Dtype, cluster?: (adapterConfigJson: string) => Files): Promise<void> {
  if (!dir) return;
  let adapterFiles: Files = await session.exportAdapter();
  const config = adapterFiles['adapter_config.json'];
  if (cluster && typeof config === 'string') adapterFiles = { ...adapterFiles, ...cluster(config) };
  const adapter = writeFilesAtomically(`${dir}/adapter`, adapterFiles);
  const merged = writeFilesAtomically(`${dir}/merged`, await session.exportMerged(dtype));
  out(JSON.stringify({ wrote: [...adapter, ...merged] }));
}
