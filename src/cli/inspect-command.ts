// `lora-playground inspect FILE`: the tensors (name, dtype, shape, bytes) and metadata of a
// safetensors file, or one line saying why it is not a valid one.
import { readFileSync } from 'node:fs';
import { parseSafetensors, SafetensorsError } from '../io/safetensors.ts';
import { UsageError, type ParsedArgs } from './args.ts';

export function inspectCommand(args: ParsedArgs): string {
  const [path, extra] = args.positional;
  if (!path || extra !== undefined) throw new UsageError('inspect takes one file: lora-playground inspect FILE');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let file;
  try {
    file = parseSafetensors(bytes);
  } catch (err) {
    if (err instanceof SafetensorsError) throw new UsageError(`${path} is not a valid safetensors file: ${err.message}`);
    throw err;
  }
  if (args.flags.has('json')) {
    return JSON.stringify({ metadata: file.metadata, tensors: file.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.end - t.begin })) });
  }
  const rows = file.tensors.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`, (t.end - t.begin).toLocaleString('en-US')]);
  const header = ['name', 'dtype', 'shape', 'bytes'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const total = file.tensors.reduce((sum, t) => sum + (t.end - t.begin), 0);
  const metadata = Object.entries(file.metadata).map(([k, v]) => `  ${k}: ${v}`);
  return [
    line(header),
    ...rows.map(line),
    `${file.tensors.length} tensors, ${total.toLocaleString('en-US')} bytes of data`,
    ...(metadata.length ? ['metadata:', ...metadata] : ['metadata: none']),
  ].join('\n');
}
