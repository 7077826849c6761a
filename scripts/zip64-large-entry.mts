// A manual check, too slow for CI (about a minute, 4.3 GB of disk): one entry over 4 GiB written
// by src/io/zip.ts to a file gets ZIP64 sizes, and reads back through openZip. Run with
//   node --import ./bin/register.mjs scripts/zip64-large-entry.mts [DIR]
// then, where Python is installed: python3 -m zipfile -t DIR/large-entry.zip
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RandomAccessFile } from '../src/io/random-access.ts';
import { openZip, writeZipTo } from '../src/io/zip.ts';

const path = join(process.argv[2] ?? '/tmp', 'large-entry.zip');
const SIZE = 2 ** 32 + 5 * 2 ** 20; // 4 GiB + 5 MiB
/** Byte i is i mod 251: a pattern whose CRC-32 depends on every byte's place. */
const pattern = (offset: number, length: number) => new Uint8Array(length).map((_, i) => (offset + i) % 251);
const weights: RandomAccessFile = { size: SIZE, read: async (offset, length) => pattern(offset, length) };

const started = performance.now();
const handle = await open(path, 'w');
let position = 0;
await writeZipTo(
  new WritableStream<Uint8Array>({
    async write(chunk) {
      await handle.write(chunk, 0, chunk.length, position);
      position += chunk.length;
    },
    close: () => handle.close(),
  }),
  { 'big/config.json': '{}', 'big/model.safetensors': weights },
);
console.log(`wrote ${(await stat(path)).size} bytes in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const file = await open(path, 'r');
const onDisk: RandomAccessFile = {
  size: (await stat(path)).size,
  async read(offset, length) {
    const bytes = new Uint8Array(length);
    await file.read(bytes, 0, length, offset);
    return bytes;
  },
};
const zip = await openZip(onDisk, path);
console.log(zip.entries.map((e) => `${e.name}: ${e.size} bytes, ${e.method}, zip64 ${e.zip64}`).join('\n'));
const entry = await zip.open('big/model.safetensors');
const tail = await entry.read(SIZE - 16, 16);
const expected = pattern(SIZE - 16, 16);
if (entry.size !== SIZE || tail.some((b, i) => b !== expected[i])) throw new Error('the entry did not read back');
console.log('the last 16 bytes of the 4 GiB + 5 MiB entry read back in place');
await file.close();
