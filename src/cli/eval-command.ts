// `lora-playground eval --model DIR [--adapter DIR] --text FILE [--logits OUT.safetensors]`:
// mean next-token cross-entropy (nats per token) over the whole text, cut into sequences of the
// model's context length (or --seq-len), with or without an adapter.
import { basename, dirname } from 'node:path';
import { adapterMode, writeAdapter } from '../adapters/model-adapter.ts';
import { consecutiveBatches, tokenizeDocuments } from '../data/text-dataset.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { serializeSafetensors } from '../io/safetensors.ts';
import { IGNORE_TARGET, LlamaModel, type TrainingMode } from '../model/llama-model.ts';
import { SettingError } from '../settings/schema.ts';
import { checkRunFits } from '../tasks/lm-run.ts';
import { meanLoss } from '../tasks/text-task.ts';
import { readAdapterFolder } from './adapter-library.ts';
import type { ParsedArgs } from './args.ts';
import { numberFlag, stringFlag } from './flags.ts';
import { folderReader } from './folder-reader.ts';
import { writeFilesAtomically } from './output-dir.ts';
import { readTextDocuments } from './text-file.ts';

export async function evalCommand(args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const modelDir = stringFlag(args, 'model');
  const textPath = stringFlag(args, 'text');
  if (!modelDir || !textPath) throw new SettingError('eval needs --model DIR and --text FILE (.txt or .jsonl)');
  const logitsPath = stringFlag(args, 'logits');
  if (logitsPath !== undefined && !logitsPath.endsWith('.safetensors')) throw new SettingError(`--logits writes a .safetensors file, got ${logitsPath}`);
  const adapterDir = stringFlag(args, 'adapter');
  const adapter = adapterDir ? readAdapterFolder(adapterDir) : null;
  const folder = await loadModelFolder(await folderReader(modelDir));
  if (!folder.tokenizer) throw new SettingError(`${modelDir} has no tokenizer.json; the text cannot be tokenized without the model's own tokenizer`);
  const { config } = folder;
  const seq = args.flags.has('seq-len') ? numberFlag(args, 'seq-len') : config.max_position_embeddings;
  if (seq > config.max_position_embeddings) throw new SettingError(`--seq-len ${seq} is over the model's max_position_embeddings (${config.max_position_embeddings})`);
  const batch = numberFlag(args, 'batch', 1);
  const tokens = tokenizeDocuments(folder.tokenizer, await readTextDocuments(textPath), config.vocab_size);
  if (tokens.length < 2) throw new SettingError(`${textPath} has ${tokens.length} token; eval needs at least 2`);
  const mode: TrainingMode = adapter ? adapterMode(adapter) : { kind: 'frozen' };

  const gpu = await acquireNodeGpu();
  try {
    checkRunFits(gpu, config, { batch, seq, mode, training: false }, 'adamw', numberFlag(args, 'gpu-memory') * 1024 ** 3);
    const model = await LlamaModel.create(gpu, config, folder.weights, { batch, seq, mode });
    if (adapter) writeAdapter(gpu, model, adapter);
    model.setTraining(false);
    const batches = consecutiveBatches(tokens, batch, seq);
    const loss = await meanLoss(model, batches);
    const count = batches.reduce((n, b) => n + b.targets.filter((t) => t !== IGNORE_TARGET).length, 0);
    if (logitsPath) {
      const first = batches[0];
      model.setBatch(first.ids, first.targets);
      model.forward();
      const logits = (await model.logits()).slice(0, seq * config.vocab_size); // first sequence: (seq, vocab)
      const file = serializeSafetensors([{ name: 'logits', shape: [seq, config.vocab_size], data: logits }], {
        format: 'pt', model: modelDir, adapter: adapterDir ?? '', text: textPath, input_ids: JSON.stringify([...first.ids.slice(0, seq)]),
      });
      writeFilesAtomically(dirname(logitsPath), { [basename(logitsPath)]: file });
    }
    out(JSON.stringify({
      model: modelDir, adapter: adapterDir ?? null, text: textPath, tokens: tokens.length, predicted_tokens: count,
      sequences: Math.ceil((tokens.length - 1) / seq), seq_len: seq, loss, perplexity: Math.exp(loss), ...(logitsPath ? { logits: logitsPath } : {}),
    }));
    return 0;
  } finally {
    releaseGpu(gpu);
  }
}
