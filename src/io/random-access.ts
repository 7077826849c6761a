// A file read in pieces: the loader reads a safetensors header, then one tensor at a time, so a
// checkpoint is never held whole in JavaScript memory. The page's files (picked, or cached from
// the Hub) are Blobs, which the browser keeps on disk; the CLI's are paths (src/cli/folder-reader.ts).

export interface RandomAccessFile {
  readonly size: number;
  /** `length` bytes from `offset`; throws when the range runs past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Opens one file of a model folder by name; null when it does not exist. */
export type OpenFile = (name: string) => Promise<RandomAccessFile | null>;

function checkRange(size: number, offset: number, length: number): void {
  if (!(offset >= 0 && length >= 0 && offset + length <= size)) {
    throw new RangeError(`bytes ${offset}..${offset + length} run past the end of a ${size}-byte file (is it truncated?)`);
  }
}

export function bytesFile(bytes: Uint8Array): RandomAccessFile {
  return {
    size: bytes.byteLength,
    async read(offset, length) {
      checkRange(bytes.byteLength, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

export function blobFile(blob: Blob): RandomAccessFile {
  return {
    size: blob.size,
    async read(offset, length) {
      checkRange(blob.size, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

export async function readWhole(file: RandomAccessFile): Promise<Uint8Array> {
  return file.read(0, file.size);
}

/** An OpenFile over files already in memory (tests, the bundled model, a zip's entries). */
export function memoryFolder(files: Record<string, Uint8Array | string>): OpenFile {
  return async (name) => {
    const f = files[name];
    if (f === undefined) return null;
    return bytesFile(typeof f === 'string' ? new TextEncoder().encode(f) : f);
  };
}
