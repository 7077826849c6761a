// How the head's rows are cut into chunks (src/model/logits-chunks.ts).
import { describe, expect, it } from 'vitest';
import { chunkRowAlignment, LOGITS_CHUNK_BYTES, logitsChunkRows, rowChunks } from './logits-chunks.ts';

const SMOLLM2 = { vocab: 49152, hidden: 576 };

describe('logits chunks', () => {
  it('keeps every row while the logits fit, and chunks of whole 16-row tiles beyond', () => {
    expect(logitsChunkRows(16, SMOLLM2.vocab, SMOLLM2.hidden)).toBe(16); // 3.1 MB: one chunk
    expect(logitsChunkRows(32, SMOLLM2.vocab, SMOLLM2.hidden)).toBe(16); // 6.3 MB: two of 16
    expect(logitsChunkRows(64, SMOLLM2.vocab, SMOLLM2.hidden)).toBe(16);
    expect(logitsChunkRows(2048, SMOLLM2.vocab, SMOLLM2.hidden)).toBe(16);
    expect(logitsChunkRows(4096, 256, 64)).toBe(4096); // 4 MiB of logits: just fits
    expect(logitsChunkRows(4097, 256, 64)).toBe(4096); // a row more: 256 tiles
    expect(logitsChunkRows(4096, 8192, 64)).toBe(128); // 4 MiB of chunk: 8 tiles
    expect(16 * SMOLLM2.vocab * 4).toBeLessThanOrEqual(LOGITS_CHUNK_BYTES);
    // A vocabulary so large that one tile is over the budget still runs a tile at a time.
    expect(logitsChunkRows(1024, 151936, 896)).toBe(16);
    expect(16 * 151936 * 4).toBeGreaterThan(LOGITS_CHUNK_BYTES);
  });

  it('doubles the budget when the head trains (each chunk rewrites its whole gradient)', () => {
    expect(logitsChunkRows(64, SMOLLM2.vocab, SMOLLM2.hidden, undefined, true)).toBe(32);
    expect(logitsChunkRows(32, SMOLLM2.vocab, SMOLLM2.hidden, undefined, true)).toBe(32); // 6.3 MB: one chunk
    expect(logitsChunkRows(64, SMOLLM2.vocab, SMOLLM2.hidden, 16, true)).toBe(16); // asked for: kept
  });

  it('aligns chunks so each starts at a 256-byte offset of a (tokens, hidden) f32 buffer', () => {
    expect(chunkRowAlignment(576)).toBe(1);
    expect(chunkRowAlignment(8)).toBe(8);
    expect(chunkRowAlignment(48)).toBe(4);
    expect(logitsChunkRows(10, 11, 8, 8)).toBe(8);
    expect(logitsChunkRows(10, 11, 8, 16)).toBe(10); // a chunk past the tokens is all of them
    expect(() => logitsChunkRows(10, 11, 8, 4)).toThrow(/not a multiple of 8.*hidden size 8/);
    expect(() => logitsChunkRows(10, 11, 8, 0)).toThrow(/positive integer/);
  });

  it('covers every row once, the last chunk ragged', () => {
    expect(rowChunks(10, 8)).toEqual([{ row0: 0, rows: 8 }, { row0: 8, rows: 2 }]);
    expect(rowChunks(64, 32)).toEqual([{ row0: 0, rows: 32 }, { row0: 32, rows: 32 }]);
    expect(rowChunks(5, 5)).toEqual([{ row0: 0, rows: 5 }]);
  });
});
