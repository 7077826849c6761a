import { describe, expect, it } from 'vitest';
import { crc32, readZip, writeZip } from './zip.ts';

describe('zip', () => {
  it('round trips files with folders and UTF-8 names; CRC-32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const files = { 'adapter/adapter_config.json': '{"r": 8}', 'adapter/données.bin': new Uint8Array([0, 1, 2, 255]), 'empty.txt': '' };
    const back = readZip(writeZip(files));
    expect([...back.keys()]).toEqual(Object.keys(files));
    expect(new TextDecoder().decode(back.get('adapter/adapter_config.json'))).toBe('{"r": 8}');
    expect(Array.from(back.get('adapter/données.bin')!)).toEqual([0, 1, 2, 255]);
  });

  it('refuses damaged and compressed archives with a message', () => {
    const zip = writeZip({ 'a.txt': 'hello' });
    const damaged = zip.slice();
    damaged[30 + 5] ^= 1; // flip a bit of the data
    expect(() => readZip(damaged)).toThrow(/a\.txt fails its CRC-32 check/);
    const compressed = zip.slice();
    new DataView(compressed.buffer).setUint16(zip.length - 22 - 51 + 10, 8, true); // central entry: deflate
    expect(() => readZip(compressed)).toThrow(/compressed/);
    expect(() => readZip(new Uint8Array(10))).toThrow(/not a ZIP archive/);
  });
});
