// Which kernel and workgroup shape planMatmul picks (src/gpu/kernels/matmul.ts): the kernel checks
// run every plan on ragged shapes; this pins the choice itself.
import { describe, expect, it } from 'vitest';
import { lowRankFusable, planMatmul } from './matmul.ts';

const LAYOUTS = { nt: { transA: false, transB: true }, nn: { transA: false, transB: false }, tn: { transA: true, transB: false } } as const;

describe('matmul plan', () => {
  it('runs every layout but Aᵀ·Bᵀ in the quad kernel where the device has it, its 16 quads shaped to C', () => {
    const cases: [number, number, number, number][] = [
      // m, n → wgX, wgY
      [1, 576, 16, 1], [8, 576, 16, 1], [9, 576, 8, 2], [16, 49152, 8, 2], [17, 576, 4, 4],
      [576, 8, 1, 16], [576, 9, 2, 8], [576, 16, 2, 8], [576, 17, 4, 4], [8, 8, 1, 16],
    ];
    for (const [name, layout] of Object.entries(LAYOUTS)) {
      for (const [m, n, wgX, wgY] of cases) {
        const plan = planMatmul({ m, n, k: 64, ...layout }, 'quad', true);
        expect(plan, `${name} m=${m} n=${n}`).toMatchObject({ family: 'matmulQuad', entryPoint: name, wgX, wgY, tileN: 8 * wgX, tileM: 8 * wgY });
      }
    }
    expect(planMatmul({ m: 64, n: 64, k: 64, transA: true, transB: true }, 'auto', true).family).toBe('matmul');
    // 'auto' keeps the k-split for X·Wᵀ, for C narrower than 32 columns, and for short C.
    for (const [layout, m, n] of [['nt', 576, 576], ['nn', 8, 576], ['nn', 576, 16], ['tn', 63, 576], ['tn', 576, 31]] as const) {
      expect(planMatmul({ m, n, k: 64, ...LAYOUTS[layout] }, 'auto', true).entryPoint, `${layout} m=${m} n=${n}`).toBe(layout);
    }
    expect(() => planMatmul({ m: 64, n: 64, k: 64, transA: true, transB: true }, 'quad', true)).toThrow(/no layout with both/);
    expect(() => planMatmul({ m: 64, n: 64, k: 64, ...LAYOUTS.nn }, 'quad', false)).toThrow(/subgroups/);
  });

  it('runs large dY·W and dYᵀ·X in the columns entry points, their 16 quads of 8 rows shaped to C', () => {
    const cases: [keyof typeof LAYOUTS, number, number, object][] = [
      ['nn', 9, 32, { entryPoint: 'nnColumns', wgX: 8, wgY: 2, tileN: 128, tileM: 16 }],
      ['nn', 64, 576, { entryPoint: 'nnColumns', wgX: 2, wgY: 8, tileN: 32, tileM: 64 }],
      ['nn', 1024, 1024, { entryPoint: 'nnColumns', wgX: 2, wgY: 8, tileN: 32, tileM: 64 }],
      ['nn', 32, 576, { entryPoint: 'nnColumns', wgX: 4, wgY: 4, tileN: 64, tileM: 32 }],
      ['tn', 64, 32, { entryPoint: 'tnColumns', wgX: 2, wgY: 8, tileN: 64, tileM: 64 }],
      ['tn', 1536, 576, { entryPoint: 'tnColumns', wgX: 2, wgY: 8, tileN: 64, tileM: 64 }],
    ];
    for (const [layout, m, n, plan] of cases) {
      expect(planMatmul({ m, n, k: 64, ...LAYOUTS[layout] }, 'auto', true), `${layout} m=${m} n=${n}`).toMatchObject({ family: 'matmulQuad', ...plan });
    }
    // dY·W's fused rank-r term runs there too (nnColumnsLowRank, named by createMatmul); X·Wᵀ never does.
    const h = {} as never;
    expect(planMatmul({ m: 64, n: 576, k: 64, ...LAYOUTS.nn, lowRank: { h, b: h, r: 8, scale: 2 } }, 'auto', true).entryPoint).toBe('nnColumns');
    expect(lowRankFusable({ m: 64, k: 64, n: 576, r: 8, transB: false }, 'quadColumns', true)).toBe(true);
    expect(lowRankFusable({ m: 64, k: 64, n: 576, r: 8, transB: true }, 'quadColumns', true)).toBe(false);
    expect(() => planMatmul({ m: 64, n: 576, k: 64, ...LAYOUTS.nt }, 'quadColumns', true)).toThrow(/dY·W .* and dYᵀ·X only/);
    expect(() => planMatmul({ m: 64, n: 576, k: 64, ...LAYOUTS.nn }, 'quadColumns', false)).toThrow(/subgroups/);
  });

  it('without the quad kernel keeps block-8 for wide dY·W and dYᵀ·X, vec4 for narrow ones', () => {
    expect(planMatmul({ m: 64, n: 576, k: 576, ...LAYOUTS.nn }).family).toBe('matmulBlock8');
    expect(planMatmul({ m: 576, n: 576, k: 64, ...LAYOUTS.tn }).family).toBe('matmulBlock8');
    expect(planMatmul({ m: 576, n: 8, k: 64, ...LAYOUTS.tn }).family).toBe('matmulVec4');
    expect(planMatmul({ m: 64, n: 576, k: 576, ...LAYOUTS.nt }).family).toBe('matmulVec4');
  });

  it('fuses a rank-r term into X·Wᵀ and dY·W in the quad kernel on any shape', () => {
    expect(lowRankFusable({ m: 13, k: 17, n: 33, r: 3, transB: false }, 'auto', true)).toBe(true);
    expect(lowRankFusable({ m: 13, k: 17, n: 33, r: 3, transB: true }, 'auto', true)).toBe(true);
    // Without quads X·Wᵀ fuses only in the vec4 kernel (K and r multiples of 4).
    expect(lowRankFusable({ m: 13, k: 17, n: 33, r: 3, transB: true }, 'auto', false)).toBe(false);
    expect(lowRankFusable({ m: 13, k: 20, n: 33, r: 4, transB: true }, 'auto', false)).toBe(true);
  });
});
