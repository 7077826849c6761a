// ZIP archives through @zip.js/zip.js (deflate and stored entries, ZIP64, streamed writing): the
// page's and the CLI's exports, and folders users zip up themselves (an OS's "Compress", Python's
// zipfile, the `zip` tool). This file only chooses how we use the library: safetensors entries are
// stored (float weights barely deflate, and a stored entry can be read in place, one tensor at a
// time), text is deflated; entries are written one after the other to a stream, so an export never
// holds the archive beside its files.
import {
  BlobReader,
  BlobWriter,
  configure,
  ERR_BAD_FORMAT,
  ERR_CENTRAL_DIRECTORY_NOT_FOUND,
  ERR_EOCDR_LOCATOR_ZIP64_NOT_FOUND,
  ERR_EOCDR_NOT_FOUND,
  ERR_INVALID_COMPRESSED_DATA,
  ERR_INVALID_CRC32,
  ERR_INVALID_UNCOMPRESSED_SIZE,
  ERR_LOCAL_FILE_HEADER_NOT_FOUND,
  Reader,
  Uint8ArrayReader,
  Uint8ArrayWriter,
  ZipReader,
  ZipWriter,
  type FileEntry,
} from '@zip.js/zip.js/lib/zip-core-native.js';
import { blobFile, bytesFile, type RandomAccessFile } from './random-access.ts';

// Compress and check on the calling thread (already the engine's worker in the page): the library
// would otherwise start web workers of its own from a URL the page's CSP does not list.
configure({ useWebWorkers: false });

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

/** An archive's entries: name (folders with '/') → contents (a RandomAccessFile: a file on disk, read a chunk at a time). */
export type ZipFiles = Record<string, string | Uint8Array | Blob | RandomAccessFile>;

/** A ZIP file starts with a local file header (PK\3\4), or, when empty, the end record (PK\5\6). */
export function isZip(first4: Uint8Array): boolean {
  return first4.length >= 4 && first4[0] === 0x50 && first4[1] === 0x4b && ((first4[2] === 3 && first4[3] === 4) || (first4[2] === 5 && first4[3] === 6));
}

const STORED = 0;
const DEFLATED = 8;
const levelFor = (name: string) => (name.endsWith('.safetensors') ? 0 : 6);

/** The library reads archives and entries through our RandomAccessFile: a Blob, bytes, or a file on disk (src/cli/folder-opener.ts). */
class RandomAccessReader extends Reader<RandomAccessFile> {
  constructor(private readonly file: RandomAccessFile) {
    super(file);
    this.size = file.size;
  }

  override readUint8Array(index: number, length: number): Promise<Uint8Array> {
    return this.file.read(index, Math.max(0, Math.min(length, this.file.size - index)));
  }
}

function readerOf(content: ZipFiles[string]) {
  if (typeof content === 'string') return new Uint8ArrayReader(new TextEncoder().encode(content));
  if (content instanceof Uint8Array) return new Uint8ArrayReader(content);
  return content instanceof Blob ? new BlobReader(content) : new RandomAccessReader(content);
}

export interface WriteZipOptions {
  /** The entries' modification time (default: now), written as a DOS date and an extended timestamp. */
  date?: Date;
  /** Where the archive starts in the file (for appending after other bytes); ZIP64 is used past 4 GiB. */
  offset?: number;
}

async function writeAll(writer: ZipWriter<unknown>, files: ZipFiles): Promise<void> {
  try {
    for (const [name, content] of Object.entries(files)) await writer.add(name, readerOf(content), { level: levelFor(name) });
  } catch (err) {
    throw new ZipError(`the archive could not be written: ${(err as Error).message}`);
  }
}

/**
 * Writes `files` as an archive to `sink` (closed at the end), one entry after another: each entry's
 * bytes are read from its content and written out as they are compressed; nothing accumulates
 * here. Entries over 4 GiB, or starting past 4 GiB, get ZIP64 records (the library decides per entry).
 */
export async function writeZipTo(sink: WritableStream<Uint8Array>, files: ZipFiles, options: WriteZipOptions = {}): Promise<void> {
  const writer = new ZipWriter(sink, { lastModDate: options.date ?? new Date(), offset: options.offset });
  await writeAll(writer, files);
  await writer.close();
}

/** The archive in memory: for small ones (adapters, tests); large exports go to a file with writeZipTo. */
export async function writeZip(files: ZipFiles, options: WriteZipOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { lastModDate: options.date ?? new Date() });
  await writeAll(writer, files);
  return (await writer.close()) as Uint8Array<ArrayBuffer>; // the writer's own buffer, never shared
}

/** The archive as a Blob (where no file can be written: a browser without the origin private file system). */
export async function writeZipBlob(files: ZipFiles, options: WriteZipOptions = {}): Promise<Blob> {
  const writer = new ZipWriter(new BlobWriter('application/zip'), { lastModDate: options.date ?? new Date() });
  await writeAll(writer, files);
  return writer.close();
}

/** One file in an archive, as its central directory lists it. */
export interface ZipEntryInfo {
  name: string;
  size: number;
  compressedSize: number;
  method: 'stored' | 'deflated' | `method ${number}`;
  modified: Date;
  zip64: boolean;
}

export interface OpenedZip {
  /** Files only (folder entries and macOS's __MACOSX/ resource forks left out), in archive order. */
  entries: ZipEntryInfo[];
  /** A file's whole contents, CRC-32 checked. */
  bytes(name: string): Promise<Uint8Array>;
  /**
   * A file to read in pieces: a stored entry in place in the archive (nothing copied; the CRC-32
   * is not checked), a deflated one inflated into memory first (CRC-32 checked).
   */
  open(name: string): Promise<RandomAccessFile>;
  /**
   * A file to read from its start, for headers: stored in place; deflated inflated only as far as
   * each read goes (from the start again each time, so for a few small reads).
   */
  head(name: string): Promise<RandomAccessFile>;
}

const methodName = (m: number): ZipEntryInfo['method'] => (m === STORED ? 'stored' : m === DEFLATED ? 'deflated' : `method ${m}`);

const NOT_AN_ARCHIVE = [ERR_BAD_FORMAT, ERR_EOCDR_NOT_FOUND, ERR_EOCDR_LOCATOR_ZIP64_NOT_FOUND, ERR_CENTRAL_DIRECTORY_NOT_FOUND];
const DAMAGED = [ERR_INVALID_CRC32, ERR_INVALID_COMPRESSED_DATA, ERR_INVALID_UNCOMPRESSED_SIZE, ERR_LOCAL_FILE_HEADER_NOT_FOUND];

/** The library's errors as ours, naming the archive or the entry (`what`). */
function explainRead(err: unknown, what: string): ZipError {
  const message = (err as Error).message ?? String(err);
  if (NOT_AN_ARCHIVE.includes(message)) return new ZipError(`${what} is not a ZIP archive, or it is truncated (${message})`);
  if (message === ERR_INVALID_CRC32) return new ZipError(`${what} fails its CRC-32 check: the archive is damaged`);
  if (DAMAGED.includes(message)) return new ZipError(`${what} is damaged (${message})`);
  return new ZipError(`${what} could not be read: ${message}`);
}

function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!(offset >= 0 && length >= 0 && offset + length <= size)) throw new RangeError(`bytes ${offset}..${offset + length} run past the end of ${name} (${size} bytes)`);
}

export type ZipSource = Uint8Array | Blob | RandomAccessFile;

/**
 * Opens an archive in memory, in a Blob (a picked File) or on disk (a RandomAccessFile: Node's
 * fs.openAsBlob gets sizes over 4 GiB wrong in Node 20): only its central directory is read until
 * a file is asked for.
 */
export async function openZip(source: ZipSource, label = 'the archive'): Promise<OpenedZip> {
  const archive = source instanceof Blob ? blobFile(source) : source instanceof Uint8Array ? bytesFile(source) : source;
  const reader = new ZipReader(new RandomAccessReader(archive));
  let all;
  try {
    all = await reader.getEntries();
  } catch (err) {
    throw explainRead(err, label);
  }
  const files = all.filter((e): e is FileEntry => !e.directory && !e.filename.startsWith('__MACOSX/'));
  const byName = new Map(files.map((e) => [e.filename, e]));
  const entry = (name: string) => {
    const e = byName.get(name);
    if (!e) throw new ZipError(`${label} holds no file named ${name}`);
    if (e.encrypted) throw new ZipError(`${name} is encrypted in ${label}; zip it without a password`);
    if (e.compressionMethod !== STORED && e.compressionMethod !== DEFLATED) {
      throw new ZipError(`${name} is compressed with ZIP method ${e.compressionMethod} in ${label}; zip it again with deflate (what zip, Python's zipfile and operating systems use by default), or pick the files themselves`);
    }
    return e;
  };
  const bytes = async (name: string) => {
    const e = entry(name);
    try {
      return await e.getData(new Uint8ArrayWriter(), { checkSignature: true });
    } catch (err) {
      throw explainRead(err, `${name} in ${label}`);
    }
  };
  /** A stored entry's data follow its local header: 30 bytes, then a name and an extra field whose lengths it gives. */
  const inPlace = async (e: FileEntry): Promise<RandomAccessFile> => {
    const local = await archive.read(e.offset, 30);
    const view = new DataView(local.buffer, local.byteOffset, 30);
    if (view.getUint32(0, true) !== 0x04034b50) throw new ZipError(`the ZIP entry for ${e.filename} in ${label} is damaged (no local header at its offset)`);
    const start = e.offset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
    if (start + e.uncompressedSize > archive.size) throw new ZipError(`${e.filename} runs past the end of ${label}`);
    return {
      size: e.uncompressedSize,
      async read(offset, length) {
        checkRange(e.filename, e.uncompressedSize, offset, length);
        return archive.read(start + offset, length);
      },
    };
  };
  /** The first `length` bytes of a deflated entry: inflation stops (is aborted) once they are in. */
  const prefix = async (e: FileEntry, length: number): Promise<Uint8Array> => {
    const out = new Uint8Array(length);
    let filled = 0;
    const stop = new AbortController();
    const sink = new WritableStream<Uint8Array>({
      write(chunk) {
        const take = Math.min(chunk.length, length - filled);
        out.set(chunk.subarray(0, take), filled);
        filled += take;
        if (filled === length) stop.abort();
      },
    });
    try {
      if (length > 0) await e.getData(sink, { signal: stop.signal });
    } catch (err) {
      if (!stop.signal.aborted) throw explainRead(err, `${e.filename} in ${label}`);
    }
    if (filled < length) throw new ZipError(`${e.filename} in ${label} inflates to ${filled} bytes, fewer than its ${e.uncompressedSize}: the archive is damaged`);
    return out;
  };
  return {
    entries: files.map((e) => ({ name: e.filename, size: e.uncompressedSize, compressedSize: e.compressedSize, method: methodName(e.compressionMethod), modified: e.lastModDate, zip64: e.zip64 })),
    bytes,
    async open(name) {
      const e = entry(name);
      return e.compressionMethod === STORED ? inPlace(e) : bytesFile(await bytes(name));
    },
    async head(name) {
      const e = entry(name);
      if (e.compressionMethod === STORED) return inPlace(e);
      return {
        size: e.uncompressedSize,
        async read(offset, length) {
          checkRange(e.filename, e.uncompressedSize, offset, length);
          return (await prefix(e, offset + length)).subarray(offset);
        },
      };
    },
  };
}

/** Every file of an archive, CRC-32 checked (folder entries left out). */
export async function readZip(source: ZipSource, label?: string): Promise<Map<string, Uint8Array>> {
  const zip = await openZip(source, label);
  const files = new Map<string, Uint8Array>();
  for (const e of zip.entries) files.set(e.name, await zip.bytes(e.name));
  return files;
}
