// `--model hf:ORG/NAME[@REVISION]` or `--model https://huggingface.co/ORG/NAME`: the model is
// downloaded into the cache folder (src/cli/hub-folder.ts; resumed where an earlier run stopped)
// and read from there like any local folder. `--hub-endpoint URL` (or $HF_ENDPOINT) names the
// server, default https://huggingface.co. Progress goes to stderr, on one updating line on a
// terminal; Ctrl-C stops the download and leaves only .part files, which the next run resumes.
import { DEFAULT_HUB_ENDPOINT, describeProgress, downloadModel, HubError, looksLikeHubModel, parseHubModel, type HubProgress } from '../io/hub.ts';
import { formatBytes } from '../util/format-bytes.ts';
import type { ParsedArgs } from './args.ts';
import { stringFlag } from './flags.ts';
import { defaultHubCache, folderHubStorage } from './hub-folder.ts';

export interface ModelFlag {
  /** The folder to read. */
  dir: string;
  /** The name the model goes by (base_model_name_or_path): the Hub id, or the folder as given. */
  name: string;
}

/** --model as a folder to read; a Hub id or URL is downloaded first. Undefined when --model is absent. */
export async function resolveModelFlag(args: ParsedArgs, stderr: NodeJS.WriteStream = process.stderr): Promise<ModelFlag | undefined> {
  const value = stringFlag(args, 'model');
  const endpointFlag = stringFlag(args, 'hub-endpoint');
  if (value === undefined) {
    if (endpointFlag !== undefined) throw new HubError('--hub-endpoint needs --model hf:ORG/NAME (or a model URL)', 'input');
    return undefined;
  }
  if (!looksLikeHubModel(value)) {
    if (endpointFlag !== undefined) throw new HubError(`--hub-endpoint is for --model hf:ORG/NAME; ${value} is a folder`, 'input');
    return { dir: value, name: value };
  }
  const model = parseHubModel(value, { endpoint: endpointFlag ?? (process.env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT) });
  const storage = folderHubStorage(defaultHubCache());
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = !!stderr.isTTY;
  let line = false;
  const onProgress = (p: HubProgress) => {
    const text = `${model.repo}: ${p.file} ${describeProgress(p, formatBytes)}`;
    if (tty) {
      stderr.write(`\r\x1b[K${text}`);
      line = true;
    } else if (p.state !== 'downloading') {
      stderr.write(`${text}\n`);
    }
  };
  try {
    const downloaded = await downloadModel(storage, model, { signal: abort.signal, onProgress });
    return { dir: storage.dir(model), name: downloaded.name };
  } finally {
    if (line) stderr.write('\n');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
