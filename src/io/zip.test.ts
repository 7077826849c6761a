import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RandomAccessFile } from './random-access.ts';
import { parseSafetensors } from './safetensors.ts';
import { isZip, openZip, readZip, writeZip, writeZipBlob, writeZipTo } from './zip.ts';

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url));
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

/** A DOS date and time as the ZIP headers hold them (APPNOTE 4.4.6): fields, not a Date, so nothing is normalised away. */
function dosFields(time: number, date: number) {
  return { year: 1980 + (date >> 9), month: (date >> 5) & 15, day: date & 31, hour: time >> 11, minute: (time >> 5) & 63, second: (time & 31) * 2 };
}

/** Every local header's and central directory record's DOS date and time in an archive. */
function dosDates(zip: Uint8Array) {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const found = [];
  for (let at = 0; at + 46 <= zip.length; at++) {
    const signature = view.getUint32(at, true);
    if (signature === 0x04034b50) found.push(dosFields(view.getUint16(at + 10, true), view.getUint16(at + 12, true)));
    if (signature === 0x02014b50) found.push(dosFields(view.getUint16(at + 12, true), view.getUint16(at + 14, true)));
  }
  return found;
}

describe('zip: our archives', () => {
  it('round trips files with folders and UTF-8 names: safetensors stored, text deflated', async () => {
    const files = { 'adapter/adapter_config.json': '{"r": 8}'.repeat(50), 'adapter/données.safetensors': new Uint8Array([0, 1, 2, 255]), 'empty.txt': '' };
    const zip = await openZip(await writeZip(files));
    expect(zip.entries.map((e) => [e.name, e.method, e.size])).toEqual([
      ['adapter/adapter_config.json', 'deflated', 400],
      ['adapter/données.safetensors', 'stored', 4],
      ['empty.txt', 'deflated', 0],
    ]);
    expect(zip.entries[0].compressedSize).toBeLessThan(100); // 50 repeats of 8 bytes deflate to a few dozen
    const back = await readZip(await writeZip(files));
    expect([...back.keys()]).toEqual(Object.keys(files));
    expect(text(back.get('adapter/adapter_config.json'))).toBe(files['adapter/adapter_config.json']);
    expect(Array.from(back.get('adapter/données.safetensors')!)).toEqual([0, 1, 2, 255]);
    // A stored entry is read in place, a range at a time.
    expect(Array.from(await (await zip.open('adapter/données.safetensors')).read(1, 2))).toEqual([1, 2]);
  });

  it('streams an archive to a WritableStream entry by entry; a Blob archive reads back the same', async () => {
    const chunks: Uint8Array[] = [];
    const weights = new Uint8Array(300_000).map((_, i) => (i * 7919) % 251);
    await writeZipTo(new WritableStream({ write: (c) => void chunks.push(c.slice()) }), { 'm/config.json': '{}', 'm/model.safetensors': weights, 'm/tokenizer.json': new Blob(['{"v":1}']) });
    expect(chunks.length).toBeGreaterThan(3); // written as it goes, not as one buffer at the end
    const streamed = await readZip(new Blob(chunks as BlobPart[]));
    expect(Buffer.from(streamed.get('m/model.safetensors')!).equals(weights)).toBe(true); // (toEqual on 300 kB takes seconds)
    expect(text(streamed.get('m/tokenizer.json'))).toBe('{"v":1}');
    const blob = await writeZipBlob({ 'a.txt': 'hello' });
    expect(blob.type).toBe('application/zip');
    expect(text((await readZip(blob)).get('a.txt'))).toBe('hello');
  });

  it('writes valid DOS dates (and the date given) in every local and central header', async () => {
    const when = new Date(2024, 6, 15, 9, 41, 18); // local time, as DOS dates are
    const dates = dosDates(await writeZip({ 'a/x.json': '{}', 'a/y.safetensors': new Uint8Array(8) }, { date: when }));
    expect(dates).toHaveLength(4);
    for (const d of dates) expect(d).toEqual({ year: 2024, month: 7, day: 15, hour: 9, minute: 41, second: 18 });
    const now = new Date();
    for (const d of dosDates(await writeZip({ 'b.txt': 'b' }))) {
      expect(d.year).toBeGreaterThanOrEqual(now.getFullYear() - 1); // not 1980-00-00
      expect(d.month).toBeGreaterThanOrEqual(1);
      expect(d.month).toBeLessThanOrEqual(12);
      expect(d.day).toBeGreaterThanOrEqual(1);
      expect(d.day).toBeLessThanOrEqual(31);
    }
    expect((await openZip(await writeZip({ 'c.txt': 'c' }, { date: when }))).entries[0].modified.getTime()).toBe(when.getTime());
  });

  it('recognises a ZIP by its first bytes', async () => {
    expect(isZip(await writeZip({ 'a.txt': 'a' }))).toBe(true);
    expect(isZip(await writeZip({}))).toBe(true); // an empty archive is only its end record
    expect(isZip(new TextEncoder().encode('{"a": 1}'))).toBe(false);
    expect(isZip(new Uint8Array([0x50, 0x4b]))).toBe(false);
  });

  it('refuses damaged archives and non-archives with a message', async () => {
    const zip = await writeZip({ 'a.safetensors': new TextEncoder().encode('hello'), 'b.txt': 'hello hello hello' });
    const damaged = zip.slice();
    const at = Buffer.from(zip).indexOf('hello'); // the stored entry comes first: its data are these bytes
    expect(at).toBeGreaterThan(30);
    damaged[at + 1] ^= 1;
    expect(text(await (await (await openZip(damaged)).open('a.safetensors')).read(0, 5))).toBe('hdllo'); // read in place, unchecked
    await expect(readZip(damaged)).rejects.toThrow(/a\.safetensors in the archive fails its CRC-32 check/);
    await expect(readZip(new Uint8Array(100))).rejects.toThrow(/the archive is not a ZIP archive, or it is truncated/);
    await expect(readZip(zip.subarray(0, zip.length - 30), 'x.zip')).rejects.toThrow(/x\.zip is not a ZIP archive, or it is truncated/);
    await expect((await openZip(zip)).bytes('c.txt')).rejects.toThrow(/holds no file named c\.txt/);
  });
});

describe('zip: archives made by other tools', () => {
  // src/io/fixtures/make-zip-fixtures.sh made both: the same two files, deflated.
  const expectTinyAdapter = async (files: Map<string, Uint8Array>) => {
    expect([...files.keys()].sort()).toEqual(['tiny-adapter/adapter_config.json', 'tiny-adapter/adapter_model.safetensors']);
    expect(JSON.parse(text(files.get('tiny-adapter/adapter_config.json')))).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 4 });
    const st = parseSafetensors(files.get('tiny-adapter/adapter_model.safetensors')!);
    const prefix = 'base_model.model.model.layers.0.self_attn.q_proj.';
    expect(Array.from(st.get(`${prefix}lora_A.weight`))).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]);
    expect(Array.from(st.get(`${prefix}lora_B.weight`))).toEqual([-0.25, -0.5, -0.75, -1, -1.25, -1.5, -1.75, -2]);
  };

  it("reads Python zipfile's ZIP_DEFLATED archive", async () => {
    const bytes = await fixture('tiny-adapter-python-deflated.zip');
    const zip = await openZip(new Blob([bytes]));
    expect(zip.entries.map((e) => e.method)).toEqual(['deflated', 'deflated']);
    await expectTinyAdapter(await readZip(bytes));
  });

  it("reads the zip tool's archive (a folder entry, Unix extra fields, deflated)", async () => {
    const bytes = await fixture('tiny-adapter-zip-cli.zip');
    const zip = await openZip(bytes);
    expect(zip.entries.map((e) => e.method)).toEqual(['deflated', 'deflated']); // the folder entry left out
    expect(zip.entries[0].modified.toISOString()).toBe('2024-05-17T13:45:30.000Z'); // the extended timestamp, UTC
    await expectTinyAdapter(await readZip(new Blob([bytes])));
  });

  it('inflates only the start of a deflated entry for head()', async () => {
    const big = new Uint8Array(2_000_000).map((_, i) => i % 97);
    const zip = await openZip(await writeZip({ 'big.bin': big }));
    const head = await zip.head('big.bin');
    expect(head.size).toBe(big.length);
    expect(Array.from(await head.read(0, 8))).toEqual(Array.from(big.subarray(0, 8)));
    expect(Array.from(await head.read(1000, 5))).toEqual(Array.from(big.subarray(1000, 1005)));
    await expect(head.read(big.length - 2, 5)).rejects.toThrow(/run past the end of big\.bin/);
  });
});

/** A file on disk read at offsets (what src/cli/folder-opener.ts does for the CLI). */
async function fileOnDisk(path: string): Promise<RandomAccessFile> {
  const size = (await stat(path)).size;
  return {
    size,
    async read(offset, length) {
      const handle = await open(path, 'r');
      try {
        const bytes = new Uint8Array(length);
        const { bytesRead } = await handle.read(bytes, 0, length, offset);
        expect(bytesRead).toBe(length);
        return bytes;
      } finally {
        await handle.close();
      }
    },
  };
}

describe('zip: ZIP64', () => {
  const dir = mkdtemp(join(tmpdir(), 'zip64-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  // A real file over 4 GiB without writing 4 GiB: the archive starts 4 GiB + 1 kB into a sparse file
  // (the gap reads as zeros and takes no disk), so its entries' offsets need ZIP64 records. The
  // library also switches to ZIP64 for an entry whose own size passes 4 GiB; that path is not run here.
  it('writes an archive past 4 GiB with ZIP64 records and reads it back from the file', async () => {
    const path = join(await dir, 'past-4gib.zip');
    const start = 2 ** 32 + 1024;
    const handle = await open(path, 'w');
    let position = start;
    const sink = new WritableStream<Uint8Array>({
      async write(chunk) {
        await handle.write(chunk, 0, chunk.length, position);
        position += chunk.length;
      },
      close: () => handle.close(),
    });
    const weights = new Uint8Array(4096).map((_, i) => (i * 31) % 256);
    await writeZipTo(sink, { 'm/config.json': '{"a": 1}', 'm/model.safetensors': weights }, { offset: start });
    const size = (await stat(path)).size;
    expect(size).toBeGreaterThan(2 ** 32);
    const file = await fileOnDisk(path); // (Node 20's fs.openAsBlob reports this file's size modulo 2^32)
    const tail = await file.read(size - 200, 200);
    const signatures = new Set<number>();
    for (let i = 0; i + 4 <= tail.length; i++) signatures.add(new DataView(tail.buffer, tail.byteOffset + i, 4).getUint32(0, true));
    expect(signatures.has(0x06064b50)).toBe(true); // the ZIP64 end of central directory record
    expect(signatures.has(0x07064b50)).toBe(true); // and its locator
    const zip = await openZip(file, 'past-4gib.zip');
    expect(zip.entries.map((e) => e.zip64)).toEqual([true, true]);
    expect(await (await zip.open('m/model.safetensors')).read(0, 4096)).toEqual(weights);
    expect(text(await zip.bytes('m/config.json'))).toBe('{"a": 1}');
  });
});
