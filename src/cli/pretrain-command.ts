// `lora-playground pretrain`: trains the bundled base from scratch (full fine-tuning mode) on
// corpus A with a fixed seed, and writes it with a record of how it was made.
import { readFileSync } from 'node:fs';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { readTensor } from '../gpu/buffers.ts';
import { llamaCheckpointFiles } from '../io/hf-checkpoint.ts';
import { initLlamaWeights } from '../model/config.ts';
import { PRETRAIN_DEFAULTS, TINY_BASE_CONFIG, TINY_BASE_DIR } from '../tasks/tiny-base.ts';
import { createTinyLmTask } from '../tasks/tiny-lm.ts';
import { Trainer } from '../train/trainer.ts';
import { seededRandom } from '../util/random.ts';
import { UsageError, type ParsedArgs } from './args.ts';
import { numberFlag, stringFlag } from './flags.ts';
import { stepJson } from './train-command.ts';
import { writeFilesAtomically } from './output-dir.ts';
import { BYTE_LEVEL_TOKENIZER_CONFIG, byteLevelTokenizerJson } from '../data/tokenizer.ts';

function readRecord(dir: string): { steps: number; seed: number; lr: number; final_train_loss: number } {
  try {
    return JSON.parse(readFileSync(`${dir}/pretrain.json`, 'utf8'));
  } catch (err) {
    throw new UsageError(`--check needs ${dir}/pretrain.json: ${(err as Error).message}`);
  }
}

export async function pretrainCommand(args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const d = PRETRAIN_DEFAULTS;
  const dir = stringFlag(args, 'out') ?? TINY_BASE_DIR;
  // --check retrains with the settings recorded beside the checkpoint and compares, writing nothing.
  const shipped = args.flags.has('check') ? readRecord(dir) : null;
  const steps = numberFlag(args, 'steps', shipped?.steps ?? d.steps);
  const seed = numberFlag(args, 'seed', shipped?.seed ?? d.seed);
  const lr = numberFlag(args, 'lr', shipped?.lr ?? d.lr);
  const gpu = await acquireNodeGpu();
  try {
    const weights = initLlamaWeights(TINY_BASE_CONFIG, seededRandom(seed));
    const task = await createTinyLmTask(gpu, TINY_BASE_CONFIG, weights, { corpus: 'caps', batch: d.batch, seq: d.seq, seed, mode: { kind: 'full' } });
    const trainer = await Trainer.create(gpu, task, {
      steps, lr, weightDecay: 0.01, maxGradNorm: 1, schedule: { kind: 'cosine', warmupSteps: d.warmup }, evalEvery: 100,
    });
    const started = Date.now();
    let lastLoss = NaN;
    await trainer.run((m) => {
      lastLoss = m.loss;
      if (!args.flags.has('quiet') || m.step % 50 === 0) out(stepJson({ ...m, gradNorms: {} }));
    });
    const record = {
      model: dir.split('/').pop(),
      made_by: 'npm run pretrain (lora-playground pretrain): full fine-tuning from a seeded N(0, 0.02) init on corpus A (caps), AdamW, weight decay 0.01, clip 1',
      seed, steps, batch: d.batch, seq_len: d.seq, lr, schedule: `cosine, ${d.warmup} warmup steps`,
      final_train_loss: lastLoss,
      val_loss_caps: await task.validationLoss!(),
      accuracy_caps: await task.accuracy('caps'),
      accuracy_lines: await task.accuracy('lines'),
      seconds: Math.round((Date.now() - started) / 1000),
    };
    out(JSON.stringify(record));
    if (shipped) {
      const same = shipped.final_train_loss === record.final_train_loss;
      out(JSON.stringify({ reproduced: same, shipped_final_loss: shipped.final_train_loss, this_run: record.final_train_loss }));
      return same ? 0 : 1;
    }
    const trained = new Map<string, Float32Array>();
    for (const [name, tensor] of task.model.weights) trained.set(name, await readTensor(gpu, tensor));
    const files = llamaCheckpointFiles(TINY_BASE_CONFIG, trained);
    writeFilesAtomically(dir, { ...files, 'tokenizer.json': byteLevelTokenizerJson(), 'tokenizer_config.json': BYTE_LEVEL_TOKENIZER_CONFIG, 'pretrain.json': `${JSON.stringify(record, null, 2)}\n` });
    out(JSON.stringify({ wrote: dir }));
    return 0;
  } finally {
    releaseGpu(gpu);
  }
}
