// matmul against matmulReference in all layouts, every implementation that computes each (the
// quad one where the device runs it, its k-split and columns entry points), on ragged shapes.
import { createTensor, readTensor } from '../gpu/buffers.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { block8Supports, createMatmul, quadColumnsSupports, quadSupports, vec4Supports, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import { matmulReference } from '../reference/matmul.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { resultOf, type KernelCheck } from './check.ts';

// (M, N, K): every awkward size appears in every position; the aligned ones exercise the vec4
// path and the skinny ones (a LoRA rank as M or N) the narrow workgroups. The block-8 kernel runs
// every shape of the layouts it computes, tiny ones included (its blocks clamp at the edges).
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 3, 17], [3, 17, 33], [17, 33, 65], [33, 65, 130], [65, 130, 1], [130, 1, 3],
  [130, 130, 130], [64, 64, 64], [4, 128, 8], [128, 4, 64], [8, 12, 132], [132, 68, 20], [12, 8, 256],
  // C 9–16 rows high and wider than 16: the quad kernel's two rows of 8 quads (planQuad).
  [12, 33, 17], [9, 40, 20],
  // The columns entry points: K 1–3 past a multiple of 4 (nnColumns' last steps), a lane's
  // columns cut at N, and a tile of 64×64 with rows and columns to spare.
  [70, 37, 7], [66, 99, 6], [65, 70, 5],
];

const LAYOUTS = [
  { name: 'Y=XWt', transA: false, transB: true },
  { name: 'dX=dYW', transA: false, transB: false },
  { name: 'dW=dYtX', transA: true, transB: false },
  { name: 'AtBt', transA: true, transB: true },
];

/** `quad`: whether the device runs the quad kernel (gpu.quadKernels); its checks join the list then. */
export function matmulChecks(quad: boolean): KernelCheck[] {
  const checks: KernelCheck[] = [];
  SHAPES.forEach(([m, n, k], shapeIndex) => {
    for (const layout of LAYOUTS) {
      const spec = { m, n, k, transA: layout.transA, transB: layout.transB };
      const variants: MatmulVariant[] = ['scalar'];
      if (vec4Supports(spec)) variants.push('vec4');
      if (block8Supports(spec)) variants.push('block8');
      if (quad && quadSupports(spec)) variants.push('quad');
      if (quad && quadSupports(spec) && quadColumnsSupports(spec)) variants.push('quadColumns');
      for (const variant of variants) {
        // Every third shape also checks alpha and accumulation into C (beta = 1).
        const accumulate = shapeIndex % 3 === 0;
        const alpha = accumulate ? 0.5 : 1;
        const beta = accumulate ? 1 : 0;
        const name = `matmul ${layout.name} ${variant} M=${m} N=${n} K=${k}${accumulate ? ' α=0.5 β=1' : ''}`;
        checks.push({
          name,
          async run(gpu) {
            const random = seededRandom(1000 + shapeIndex);
            const a = uniformArray(random, m * k);
            const b = uniformArray(random, k * n);
            const c0 = uniformArray(random, m * n);
            const ta = await createTensor(gpu, 'check.A', [m * k], a);
            const tb = await createTensor(gpu, 'check.B', [k * n], b);
            const tc = await createTensor(gpu, 'check.C', [m * n], c0);
            const dispatch = await createMatmul(gpu, { label: 'check.matmul', a: ta, b: tb, c: tc, ...spec, alpha, beta }, variant);
            submitDispatches(gpu, name, [dispatch]);
            const got = await readTensor(gpu, tc);
            for (const t of [ta, tb, tc]) t.buffer.destroy();
            return resultOf(name, { C: { got, ref: matmulReference({ a, b, c: c0, ...spec, alpha, beta }) } });
          },
        });
      }
    }
  });
  // Y = α·X·Wᵀ + s·H·Bᵀ (LoRA's fused unmerged forward) and dX = α·dY·W + s·dH·A (its fused dX)
  // in one dispatch each; ragged M (and N where the layout allows), with accumulation into C.
  const fusedCases: [number, number, number, number, number, boolean][] = [
    [1, 1, 4, 4, 1, true], [17, 33, 20, 4, 1, true], [130, 65, 64, 8, 0.5, true], [5, 130, 132, 12, 1, true],
    [1, 4, 4, 4, 1, false], [17, 36, 20, 4, 1, false], [130, 64, 64, 8, 0.5, false], [5, 132, 132, 12, 1, false],
  ];
  // The block-8 kernel takes dX's rank-r term on any shape, the quad kernel both: ragged N, K and r too.
  fusedCases.push([3, 33, 17, 3, 1, false], [130, 67, 65, 5, 0.5, false], [3, 33, 17, 3, 1, true], [130, 67, 65, 5, 0.5, true], [9, 7, 1, 1, 1, true]);
  // Two rows of 8 quads (M 9–16), and K = r = 1 for dX.
  fusedCases.push([13, 33, 17, 3, 1, false], [12, 36, 20, 4, 1, true], [9, 7, 1, 1, 1, false]);
  // nnColumnsLowRank: K and r past a multiple of 4 (the last steps of each loop) and a full 64-row tile.
  fusedCases.push([70, 40, 9, 7, 0.5, false], [70, 40, 10, 6, 1, false], [66, 44, 11, 2, 1, false], [64, 33, 64, 8, 1, false]);
  for (const [m, n, k, r, alpha, transB] of fusedCases) {
    const beta = alpha !== 1 ? 1 : 0;
    const aligned = k % 4 === 0 && r % 4 === 0 && (transB || n % 4 === 0);
    const variants: MatmulVariant[] = [...(aligned ? ['vec4' as const] : []), ...(transB ? [] : ['block8' as const]), ...(quad ? ['quad' as const] : []), ...(quad && !transB ? ['quadColumns' as const] : [])];
    for (const variant of variants) {
      const name = `matmul ${transB ? 'Y=XWt+sHBt' : 'dX=dYW+sdHA'} ${variant} M=${m} N=${n} K=${k} r=${r}${alpha !== 1 ? ` α=${alpha} β=1` : ''}`;
      checks.push({
        name,
        async run(gpu) {
          const random = seededRandom(m * 31 + r);
          const [x, w, h, bLow, y0] = [uniformArray(random, m * k), uniformArray(random, n * k), uniformArray(random, m * r), uniformArray(random, n * r), uniformArray(random, m * n)];
          const scale = 1.75;
          const t = { x: await createTensor(gpu, 'check.X', [m * k], x), w: await createTensor(gpu, 'check.W', [n * k], w), h: await createTensor(gpu, 'check.H', [m * r], h), b: await createTensor(gpu, 'check.B', [n * r], bLow), y: await createTensor(gpu, 'check.Y', [m * n], y0) };
          const dispatch = await createMatmul(gpu, { label: 'check.fused', a: t.x, b: t.w, c: t.y, m, n, k, transB, alpha, beta, lowRank: { h: t.h, b: t.b, r, scale } }, variant);
          submitDispatches(gpu, name, [dispatch]);
          const got = await readTensor(gpu, t.y);
          for (const tensor of Object.values(t)) tensor.buffer.destroy();
          const base = matmulReference({ a: x, b: w, c: y0, m, n, k, transB, alpha, beta });
          const low = matmulReference({ a: h, b: bLow, m, n, k: r, transB, alpha: scale });
          return resultOf(name, { Y: { got, ref: base.map((v, i) => v + low[i]) } });
        },
      });
    }
  }
  return checks;
}
