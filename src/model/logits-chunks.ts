// The head (logits = normed·Wᵀ, cross-entropy, and their backward) in chunks of token rows, so a
// step holds (chunk rows, vocab) logits instead of (tokens, vocab): at SmolLM2's 49,152 tokens of
// vocabulary, 64 tokens of logits are 12.6 MB and 2,048 are 403 MB. Each chunk's dL/dlogits is
// consumed (dX, and dW when the head trains) before the next chunk's logits are written over it,
// so the training step runs a chunk's forward and backward together (src/model/llama-model.ts).
// The memory estimate counts the same chunk (memory-estimate.ts).

/** Logits a step holds at most before the head runs in chunks (unless a chunk must be larger). */
export const LOGITS_CHUNK_BYTES = 4 * 1024 ** 2;

/**
 * Rows a chunk is a whole number of: the quad kernel covers a C 16 rows high with two rows of 8
 * quads of 8×8 blocks (planQuad in src/gpu/kernels/matmul.ts), so a 16-row chunk leaves no
 * invocation idle. Measured on SwiftShader with SmolLM2's head (K = 576, N = 49,152), 64 rows in
 * 4 chunks of 16 against one dispatch of 64: X·Wᵀ 1.00–1.01× (BF16) and 0.91–1.00× (f32) in two
 * runs, dX 1.03× (medians of 5; before the planner had 16-row tiles, 4 chunks of 16 cost 2.2×).
 */
export const HEAD_TILE_ROWS = 16;

/** Binding offsets are multiples of this on every device (WebGPU's largest minStorageBufferOffsetAlignment). */
const OFFSET_ALIGNMENT = 256;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The row count a chunk must be a multiple of, so that every chunk of (rows, hidden) f32 starts at an aligned byte. */
export function chunkRowAlignment(hidden: number): number {
  return OFFSET_ALIGNMENT / gcd(OFFSET_ALIGNMENT, hidden * 4);
}

/**
 * Rows of logits a step holds: all `tokens` when they fit LOGITS_CHUNK_BYTES, else the most
 * whole HEAD_TILE_ROWS that do (at least one tile), aligned for binding offsets. `requested`
 * (LlamaModelOptions.logitsChunkRows) overrides the choice and is checked. `headTrains` (full
 * fine-tuning): twice the budget, because every chunk reads and writes the head's whole
 * (vocab, hidden) gradient (dW += a chunk's dL/dlogitsᵀ·X): SmolLM2's lm_head.dW took 1.6× as long
 * in 4 chunks of 16 rows as in 2 of 32 (bench/promises.json, full_f32's profile, 2026-12-03).
 */
export function logitsChunkRows(tokens: number, vocab: number, hidden: number, requested?: number, headTrains = false): number {
  const alignment = chunkRowAlignment(hidden);
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`logitsChunkRows must be a positive integer, got ${requested}`);
    if (requested < tokens && requested % alignment !== 0) {
      throw new RangeError(`logitsChunkRows ${requested} is not a multiple of ${alignment}: with hidden size ${hidden}, chunks of it would start at unaligned bytes`);
    }
    return Math.min(requested, tokens);
  }
  const budget = headTrains ? 2 * LOGITS_CHUNK_BYTES : LOGITS_CHUNK_BYTES;
  if (tokens * vocab * 4 <= budget) return tokens;
  const tiles = Math.max(1, Math.floor(budget / (vocab * 4) / HEAD_TILE_ROWS));
  const rows = Math.ceil((tiles * HEAD_TILE_ROWS) / alignment) * alignment;
  return Math.min(rows, tokens);
}

export interface RowChunk {
  row0: number;
  rows: number;
}

/** [0, tokens) cut into chunks of `chunkRows` (the last one may be shorter). */
export function rowChunks(tokens: number, chunkRows: number): RowChunk[] {
  const chunks: RowChunk[] = [];
  for (let row0 = 0; row0 < tokens; row0 += chunkRows) chunks.push({ row0, rows: Math.min(chunkRows, tokens - row0) });
  return chunks;
}
