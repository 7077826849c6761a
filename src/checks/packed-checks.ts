// Frozen weights kept packed (two BF16/F16 values per u32): the packed matmul, embedding lookup,
// merge and fold against the float64 reference on the same rounded values, on ragged shapes
// whose rows straddle packed words (odd K or N), with F16 subnormals among the values.
import { createPackedTensor, createTensor, readPackedHalves, readTensor, type GpuTensor } from '../gpu/buffers.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { createMatmul } from '../gpu/kernels/matmul.ts';
import { createFold, createMerge } from '../gpu/kernels/merge.ts';
import { createEmbeddingForward } from '../gpu/kernels/transformer-ops.ts';
import { matmulReference } from '../reference/matmul.ts';
import { decodeTensor, f32ToBf16, f32ToF16 } from '../util/half-float.ts';
import { seededRandom, uniformArray, type Random } from '../util/random.ts';
import { assertion, resultOf, type CheckResult, type KernelCheck } from './check.ts';

type Format = 'bf16' | 'f16';

/** Random values as 16-bit bits (little-endian bytes), and what they widen to. A few F16 subnormals. */
export function randomHalves(random: Random, count: number, format: Format, bound = 1): { bytes: Uint8Array; values: Float32Array } {
  const values = uniformArray(random, count, bound);
  if (format === 'f16') for (let i = 0; i < count; i += 7) values[i] *= 1e-5; // below 6.1e-5: subnormal in F16
  const halves = Uint16Array.from(values, (v) => (format === 'bf16' ? f32ToBf16(v) : f32ToF16(v)));
  const bytes = new Uint8Array(halves.buffer);
  return { bytes, values: decodeTensor(bytes, format === 'bf16' ? 'BF16' : 'F16') };
}

// (M, N, K): odd K and N put a row's last value and the next row's first in one word. The quad
// kernel reads whole words where it can (X·Wᵀ with K even: ntPairs; dY·W with N even: nnPairs);
// an even K or N that is not a multiple of 8 leaves a lane's last pair or a block past the edge.
// [3, 40, 12] and [12, 18, 14] run in one and two rows of quads (M ≤ 8, M ≤ 16: a head chunk's case).
const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 17, 33], [17, 33, 65], [65, 7, 130], [33, 65, 31], [130, 64, 64], [9, 34, 17], [5, 6, 3], [7, 13, 10], [3, 40, 12], [12, 18, 14]];

function matmulCheck(format: Format, [m, n, k]: [number, number, number], transB: boolean, index: number, variant: 'block8' | 'quad' | 'quadColumns'): KernelCheck {
  const accumulate = index % 2 === 1;
  const [alpha, beta] = accumulate ? [0.5, 1] : [1, 0];
  const name = `matmul packed ${format} ${transB ? 'Y=XWt' : 'dX=dYW'} ${variant} M=${m} N=${n} K=${k}${accumulate ? ' α=0.5 β=1' : ''}`;
  return {
    name,
    async run(gpu) {
      const random = seededRandom(4000 + index);
      const a = uniformArray(random, m * k);
      const w = randomHalves(random, k * n, format);
      const c0 = uniformArray(random, m * n);
      const ta = await createTensor(gpu, 'check.A', [m * k], a);
      const tw = await createPackedTensor(gpu, 'check.W', [k * n], format, w.bytes);
      const tc = await createTensor(gpu, 'check.C', [m * n], c0);
      submitDispatches(gpu, name, [await createMatmul(gpu, { label: 'check.packed', a: ta, b: tw, c: tc, m, n, k, transB, alpha, beta }, variant)]);
      const got = await readTensor(gpu, tc);
      destroy(ta, tw, tc);
      return resultOf(name, { C: { got, ref: matmulReference({ a, b: w.values, c: c0, m, n, k, transB, alpha, beta }) } });
    },
  };
}

function embeddingCheck(format: Format): KernelCheck {
  const name = `embedding packed ${format} vocab=37 dim=11 tokens=9`;
  return {
    name,
    async run(gpu) {
      const [vocab, dim, tokens] = [37, 11, 9];
      const table = randomHalves(seededRandom(51), vocab * dim, format);
      const ids = Uint32Array.from({ length: tokens }, (_, t) => (t * 13 + 5) % vocab);
      const idBuffer = gpu.device.createBuffer({ label: 'check.ids', size: tokens * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      gpu.device.queue.writeBuffer(idBuffer, 0, ids);
      const tt = await createPackedTensor(gpu, 'check.table', [vocab, dim], format, table.bytes);
      const out = await createTensor(gpu, 'check.out', [tokens, dim]);
      submitDispatches(gpu, name, [await createEmbeddingForward(gpu, { label: 'check.embed', ids: idBuffer, table: tt, out, tokens, dim, vocab })]);
      const got = await readTensor(gpu, out);
      destroy(tt, out);
      idBuffer.destroy();
      const ref = Float32Array.from({ length: tokens * dim }, (_, i) => table.values[ids[Math.floor(i / dim)] * dim + (i % dim)]);
      const same = got.every((v, i) => Object.is(v, ref[i]));
      return assertion(name, same, same ? 'every value equal to the widened table row' : 'values differ from the table rows');
    },
  };
}

/**
 * Merge into a packed W: the same f32 arithmetic as the f32 merge kernel (checked against
 * float64 in lora-checks), then rounded to nearest even: bit for bit the f32 kernel's result
 * rounded on the CPU. The fold (W untouched, W' in f32) equals the f32 fold bit for bit.
 */
function mergeCheck(format: Format, outDim: number, inDim: number, rank: number): KernelCheck {
  const name = `merge packed ${format} out=${outDim} in=${inDim} r=${rank}`;
  return {
    name,
    async run(gpu) {
      const random = seededRandom(outDim * 31 + inDim);
      const w = randomHalves(random, outDim * inDim, format, 0.1);
      const loraA = await createTensor(gpu, 'check.A', [rank, inDim], uniformArray(random, rank * inDim, 0.5));
      const loraB = await createTensor(gpu, 'check.B', [outDim, rank], uniformArray(random, outDim * rank, 0.5));
      const spec = { label: 'check.merge', loraA, loraB, outDim, inDim, rank, scale: 0.75 };
      const packed = await createPackedTensor(gpu, 'check.Wpacked', [outDim, inDim], format, w.bytes);
      const wide = await createTensor(gpu, 'check.Wf32', [outDim, inDim], w.values);
      const foldPacked = await createTensor(gpu, "check.W'packed", [outDim, inDim]);
      const foldWide = await createTensor(gpu, "check.W'f32", [outDim, inDim]);
      submitDispatches(gpu, name, [
        await createFold(gpu, { ...spec, weight: packed, folded: foldPacked }),
        await createFold(gpu, { ...spec, weight: wide, folded: foldWide }),
        await createMerge(gpu, { ...spec, weight: packed }),
        await createMerge(gpu, { ...spec, weight: wide }),
      ]);
      const [gotBits, wideMerged, gotFold, wideFold] = [await readPackedHalves(gpu, packed), await readTensor(gpu, wide), await readTensor(gpu, foldPacked), await readTensor(gpu, foldWide)];
      destroy(loraA, loraB, packed, wide, foldPacked, foldWide);
      const round = format === 'bf16' ? f32ToBf16 : f32ToF16;
      const want = Uint16Array.from(wideMerged, round);
      const got = new Uint16Array(gotBits.buffer, gotBits.byteOffset, want.length);
      const mismatch = want.findIndex((h, i) => h !== got[i]);
      const foldMismatch = wideFold.findIndex((v, i) => !Object.is(v, gotFold[i]));
      const results: CheckResult[] = [
        assertion(name, mismatch < 0, mismatch < 0 ? `all ${want.length} merged values are the f32 merge rounded to ${format}` : `value ${mismatch}: 0x${got[mismatch].toString(16)} against 0x${want[mismatch].toString(16)}`),
        assertion(name, foldMismatch < 0, foldMismatch < 0 ? "W' equals the f32 fold bit for bit" : `W'[${foldMismatch}] differs from the f32 fold`),
      ];
      return results.find((r) => !r.ok) ?? { name, ok: true, detail: results.map((r) => r.detail).join('; ') };
    },
  };
}

function destroy(...tensors: GpuTensor[]): void {
  for (const t of tensors) t.buffer.destroy();
}

/** `quad`: whether the device runs the quad kernel (gpu.quadKernels); its packed twin is checked then too. */
export function packedChecks(quad: boolean): KernelCheck[] {
  const checks: KernelCheck[] = [];
  const variants = quad ? (['block8', 'quad'] as const) : (['block8'] as const);
  for (const format of ['bf16', 'f16'] as const) {
    for (const variant of variants) {
      SHAPES.forEach((shape, i) => checks.push(matmulCheck(format, shape, true, i, variant), matmulCheck(format, shape, false, i, variant)));
    }
    // dY·W's columns entry point reads word pairs (N even): every shape above with N even (6, 18,
    // 34, 40, 64 columns: a quad's 16 columns whole or cut), and 21×130×23, whose last quad's
    // second words lie past N.
    if (quad) SHAPES.forEach((shape, i) => shape[1] % 2 === 0 && checks.push(matmulCheck(format, shape, false, i, 'quadColumns')));
    if (quad) checks.push(matmulCheck(format, [21, 130, 23], false, 1, 'quadColumns'));
    checks.push(embeddingCheck(format), mergeCheck(format, 17, 33, 3), mergeCheck(format, 64, 129, 8));
  }
  return checks;
}
