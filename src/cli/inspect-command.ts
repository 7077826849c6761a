// `lora-playground inspect FILE`: the tensors (name, dtype, shape, bytes) and metadata of a
// safetensors file, or one line saying why it is not a valid one; for a ZIP archive (known by its
// first bytes), the files inside it and the tensors of each safetensors file among them
// (src/io/inspect-file.ts). Only headers are read, from the file on disk.
import { inspectFile, type SafetensorsSummary } from '../io/inspect-file.ts';
import type { RandomAccessFile } from '../io/random-access.ts';
import { SafetensorsError } from '../io/safetensors.ts';
import { ZipError } from '../io/zip.ts';
import { UsageError, type ParsedArgs } from './args.ts';
import { fileAt } from './folder-opener.ts';

const count = (n: number) => n.toLocaleString('en-US');

function tensorsJson(file: SafetensorsSummary) {
  return { metadata: file.metadata, tensors: file.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.end - t.begin })) };
}

function table(header: string[], rows: string[][], rightAligned: number[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (rightAligned.includes(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function tensorsText(file: SafetensorsSummary): string[] {
  const rows = file.tensors.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`, count(t.end - t.begin)]);
  const total = file.tensors.reduce((sum, t) => sum + (t.end - t.begin), 0);
  const metadata = Object.entries(file.metadata).map(([k, v]) => `  ${k}: ${v}`);
  return [
    ...table(['name', 'dtype', 'shape', 'bytes'], rows, [3]),
    `${file.tensors.length} tensors, ${count(total)} bytes of data`,
    ...(metadata.length ? ['metadata:', ...metadata] : ['metadata: none']),
  ];
}

export async function inspectCommand(args: ParsedArgs): Promise<string> {
  const [path, extra] = args.positional;
  if (!path || extra !== undefined) throw new UsageError('inspect takes one file: lora-playground inspect FILE');
  let file: RandomAccessFile | null;
  try {
    file = await fileAt(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!file) throw new UsageError(`cannot read ${path}: there is no such file`);
  let inspection;
  try {
    inspection = await inspectFile(file, path);
  } catch (err) {
    if (err instanceof SafetensorsError) throw new UsageError(`${path} is not a valid safetensors file: ${err.message}`);
    if (err instanceof ZipError) throw new UsageError(err.message);
    throw err;
  }
  const json = args.flags.has('json');
  if (inspection.kind === 'safetensors') return json ? JSON.stringify(tensorsJson(inspection.file)) : tensorsText(inspection.file).join('\n');
  const { members } = inspection;
  const bad = members.find((m) => m.error);
  if (bad) throw new UsageError(`${path}: ${bad.name} is not a valid safetensors file: ${bad.error}`);
  if (json) {
    return JSON.stringify({
      zip: members.map((m) => ({ name: m.name, bytes: m.size, compressed_bytes: m.compressedSize, method: m.method, ...(m.safetensors && tensorsJson(m.safetensors)) })),
    });
  }
  const safetensors = members.filter((m) => m.safetensors);
  const lines = [
    `${path}: a ZIP archive of ${members.length} file${members.length === 1 ? '' : 's'}, ${safetensors.length} safetensors`,
    ...table(['file', 'bytes', 'method'], members.map((m) => [m.name, count(m.size), m.method]), [1]).map((l) => `  ${l}`),
  ];
  for (const m of safetensors) {
    lines.push('', `${m.name}:`, ...tensorsText(m.safetensors!));
  }
  return lines.join('\n');
}
