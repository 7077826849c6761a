// `lora-playground eval --model DIR [--adapter DIR] --text FILE [--logits OUT.safetensors]`:
// mean next-token cross-entropy (nats per token) over the whole text, cut into sequences of the
// model's context length (or --seq-len), with or without an adapter — through the same Session
// as the page and `train` (src/engine/session.ts, evaluateText).
import { basename, dirname } from 'node:path';
import { Session } from '../engine/session.ts';
import { GpuError } from '../gpu/errors.ts';
import { acquireNodeGpu } from '../gpu/node-gpu.ts';
import { serializeSafetensors } from '../io/safetensors.ts';
import { SettingError } from '../settings/schema.ts';
import { TINY_BASE_DIR, TINY_BASE_NAME } from '../tasks/tiny-base.ts';
import { DEFAULT_LIBRARY, folderLibrary, readAdapterFolder } from './adapter-library.ts';
import type { ParsedArgs } from './args.ts';
import { numberFlag, stringFlag } from './flags.ts';
import { folderReader } from './folder-reader.ts';
import { resolveModelFlag } from './hub-model.ts';
import { writeFilesAtomically } from './output-dir.ts';
import { readTextDocuments } from './text-file.ts';

export async function evalCommand(args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const textPath = stringFlag(args, 'text');
  if (!args.flags.has('model') || !textPath) throw new SettingError('eval needs --model DIR (or hf:ORG/NAME) and --text FILE (.txt or .jsonl)');
  const logitsPath = stringFlag(args, 'logits');
  if (logitsPath !== undefined && !logitsPath.endsWith('.safetensors')) throw new SettingError(`--logits writes a .safetensors file, got ${logitsPath}`);
  const adapterDir = stringFlag(args, 'adapter');
  const adapter = adapterDir ? readAdapterFolder(adapterDir) : null;
  // A Hub id or URL is downloaded (or found in the cache) first, and named by its id.
  const { dir: modelDir, name: modelName } = (await resolveModelFlag(args))!;
  const session = new Session({ acquireGpu: acquireNodeGpu, builtinModel: { name: TINY_BASE_NAME, read: await folderReader(TINY_BASE_DIR) }, library: folderLibrary(DEFAULT_LIBRARY) });
  try {
    // The model and the text are read and checked before the GPU is touched.
    const base = await session.loadModel(modelName, await folderReader(modelDir));
    const config = base.config;
    const seq = args.flags.has('seq-len') ? numberFlag(args, 'seq-len') : config.max_position_embeddings;
    if (seq > config.max_position_embeddings) throw new SettingError(`--seq-len ${seq} is over the model's max_position_embeddings (${config.max_position_embeddings})`);
    const batch = numberFlag(args, 'batch', 1);
    const text = await session.loadDocuments(textPath, await readTextDocuments(textPath));
    if (text.tokens < 2) throw new SettingError(`${textPath} has ${text.tokens} token; eval needs at least 2`);
    const status = await session.start();
    if (status.state !== 'ready') throw new GpuError(status.state === 'unavailable' ? status.message : 'no WebGPU device');
    const result = await session.evaluateText({ adapter, batch, seq, budgetBytes: numberFlag(args, 'gpu-memory') * 1024 ** 3, firstLogits: logitsPath !== undefined });
    if (logitsPath && result.logits) {
      const file = serializeSafetensors([{ name: 'logits', shape: [seq, config.vocab_size], data: result.logits }], {
        format: 'pt', model: modelName, adapter: adapterDir ?? '', text: textPath, input_ids: JSON.stringify([...result.inputIds]),
      });
      writeFilesAtomically(dirname(logitsPath), { [basename(logitsPath)]: file });
    }
    out(JSON.stringify({
      model: modelName, adapter: adapterDir ?? null, text: textPath, tokens: text.tokens, predicted_tokens: result.predicted,
      sequences: Math.ceil((text.tokens - 1) / seq), seq_len: seq, loss: result.loss, perplexity: Math.exp(result.loss), ...(logitsPath ? { logits: logitsPath } : {}),
    }));
    return 0;
  } finally {
    session.close();
  }
}
