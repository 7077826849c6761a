// What `inspect` shows (the CLI's src/cli/inspect-command.ts and the page's src/ui/InspectPanel.tsx):
// a safetensors file's tensors and metadata, or, for a ZIP archive (known by its first bytes, not
// its name), the files inside it and the tensors of each safetensors file among them. Only headers
// are read: a stored entry in place, a deflated one inflated up to the end of its header.
import type { RandomAccessFile } from './random-access.ts';
import { blobFile } from './random-access.ts';
import { parseSafetensorsHeader, readHeaderLength, SafetensorsError, type TensorInfo } from './safetensors.ts';
import { isZip, openZip, type ZipEntryInfo } from './zip.ts';

export interface SafetensorsSummary {
  tensors: TensorInfo[];
  metadata: Record<string, string>;
}

export interface ZipMember extends ZipEntryInfo {
  /** For a *.safetensors member: its header, or why it is not a valid safetensors file. */
  safetensors?: SafetensorsSummary;
  error?: string;
}

export type Inspection = { kind: 'safetensors'; file: SafetensorsSummary } | { kind: 'zip'; members: ZipMember[] };

/** A safetensors file's header, read from its first bytes (throws SafetensorsError naming the fault). */
export async function readSafetensorsSummary(file: Pick<RandomAccessFile, 'size' | 'read'>): Promise<SafetensorsSummary> {
  const headerLength = readHeaderLength(file.size >= 8 ? await file.read(0, 8) : new Uint8Array(0), file.size);
  return parseSafetensorsHeader(await file.read(8, headerLength), file.size - 8 - headerLength);
}

/**
 * Inspects a file (a picked File; a file on disk, src/cli/folder-opener.ts). A file that is not a ZIP archive is read
 * as safetensors: its faults are thrown as SafetensorsError; an archive's members carry their own.
 */
export async function inspectFile(file: Blob | RandomAccessFile, label: string): Promise<Inspection> {
  const whole = file instanceof Blob ? blobFile(file) : file;
  if (!(whole.size >= 4 && isZip(await whole.read(0, 4)))) return { kind: 'safetensors', file: await readSafetensorsSummary(whole) };
  const zip = await openZip(whole, label);
  const members: ZipMember[] = [];
  for (const entry of zip.entries) {
    if (!entry.name.endsWith('.safetensors')) {
      members.push(entry);
      continue;
    }
    try {
      members.push({ ...entry, safetensors: await readSafetensorsSummary(await zip.head(entry.name)) });
    } catch (err) {
      if (!(err instanceof SafetensorsError)) throw err;
      members.push({ ...entry, error: err.message });
    }
  }
  return { kind: 'zip', members };
}
