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
        const plan = planMatmul({ m, n, k: 64, ...layout }, 'auto', true);
        expect(plan, `${name} m=${m} n=${n}`).toMatchObject({ family: 'matmulQuad', entryPoint: name, wgX, wgY, tileN: 8 * wgX, tileM: 8 * wgY });
      }
    }
    expect(planMatmul({ m: 64, n: 64, k: 64, transA: true, transB: true }, 'auto', true).family).toBe('matmul');
    expect(() => planMatmul({ m: 64, n: 64, k: 64, transA: true, transB: true }, 'quad', true)).toThrow(/no layout with both/);
    expect(() => planMatmul({ m: 64, n: 64, k: 64, ...LAYOUTS.nn }, 'quad', false)).toThrow(/subgroups/);
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
