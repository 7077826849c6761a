// PEFT's cat and linear combinations: cat adds the weight updates exactly (Σ wᵢ sᵢ Bᵢ Aᵢ),
// linear is (Σ√(wᵢsᵢ) Bᵢ)(Σ√(wᵢsᵢ) Aᵢ); both survive a write → read through PEFT's format.
import { describe, expect, it } from 'vitest';
import { adapterFolderFiles, parseAdapter, type ParsedAdapter, type ParsedAdapterModule } from '../io/peft.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { combineAdapters, CombineError } from './combine.ts';

const [IN, OUT] = [6, 5];
const PATHS = ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj'];

function adapter(seed: number, r: number, alpha: number, paths = PATHS): ParsedAdapter {
  const random = seededRandom(seed);
  const modules = new Map<string, ParsedAdapterModule>();
  for (const path of paths) {
    modules.set(path, { path, rank: r, inDim: IN, outDim: OUT, alpha, scaling: alpha / r, loraA: uniformArray(random, r * IN, 1), loraB: uniformArray(random, OUT * r, 1) });
  }
  return { r, loraAlpha: alpha, useRslora: false, targetModules: ['q_proj', 'v_proj'], rankPattern: {}, alphaPattern: {}, baseModelNameOrPath: 'base', layersToTransform: null, loraDropout: 0, modules };
}

/** ΔW = s·B·A in float64, (out, in). */
function delta(m: ParsedAdapterModule): Float64Array {
  const d = new Float64Array(m.outDim * m.inDim);
  for (let o = 0; o < m.outDim; o++) for (let i = 0; i < m.inDim; i++) for (let k = 0; k < m.rank; k++) d[o * m.inDim + i] += m.scaling * m.loraB[o * m.rank + k] * m.loraA[k * m.inDim + i];
  return d;
}

function expectClose(a: Float64Array, b: Float64Array) {
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(b[i])));
}

const roundTrip = (a: ParsedAdapter) => {
  const files = adapterFolderFiles(a);
  return parseAdapter(files['adapter_config.json'] as string, files['adapter_model.safetensors'] as Uint8Array);
};

describe('combining adapters', () => {
  const a = adapter(1, 2, 4);
  const b = adapter(2, 3, 3);

  it('cat: ranks add up and ΔW = w₁s₁B₁A₁ + w₂s₂B₂A₂, also after export and import', () => {
    const c = roundTrip(combineAdapters([a, b], [0.7, -1.5], 'cat'));
    expect(c.r).toBe(5);
    expect(c.loraAlpha).toBe(5);
    for (const path of PATHS) {
      const m = c.modules.get(path)!;
      expect(m.rank).toBe(5);
      expect(m.scaling).toBe(1);
      const expected = delta(a.modules.get(path)!).map((x, i) => 0.7 * x - 1.5 * delta(b.modules.get(path)!)[i]);
      expectClose(delta(m), expected);
    }
  });

  it('linear: (Σ√(wᵢsᵢ)Bᵢ)(Σ√(wᵢsᵢ)Aᵢ) at the shared rank', () => {
    const b2 = adapter(3, 2, 8);
    const c = roundTrip(combineAdapters([a, b2], [0.5, 0.25], 'linear'));
    expect(c.r).toBe(2);
    const m = c.modules.get(PATHS[0])!;
    const [ma, mb] = [a.modules.get(PATHS[0])!, b2.modules.get(PATHS[0])!];
    const [fa, fb] = [Math.sqrt(0.5 * ma.scaling), Math.sqrt(0.25 * mb.scaling)];
    for (let i = 0; i < m.loraA.length; i++) expect(m.loraA[i]).toBeCloseTo(fa * ma.loraA[i] + fb * mb.loraA[i], 5);
    for (let i = 0; i < m.loraB.length; i++) expect(m.loraB[i]).toBeCloseTo(fa * ma.loraB[i] + fb * mb.loraB[i], 5);
  });

  it('a module in only one adapter keeps its own term; per-module ranks go to rank_pattern', () => {
    const only = adapter(4, 2, 2, [PATHS[0], 'model.layers.1.mlp.down_proj']);
    const c = roundTrip(combineAdapters([a, only], [1, 1], 'cat'));
    expect(c.modules.get('model.layers.1.mlp.down_proj')!.rank).toBe(2);
    expect(c.modules.get(PATHS[1])!.rank).toBe(2);
    expect(c.modules.get(PATHS[0])!.rank).toBe(4);
    expectClose(delta(c.modules.get('model.layers.1.mlp.down_proj')!), delta(only.modules.get('model.layers.1.mlp.down_proj')!));
  });

  it('refuses what PEFT refuses, saying why', () => {
    expect(() => combineAdapters([a, b], [1, 1], 'linear')).toThrow(/one rank, got r = 2, 3; use cat/);
    expect(() => combineAdapters([a], [1], 'cat')).toThrow(CombineError);
    expect(() => combineAdapters([a, b], [1], 'cat')).toThrow(/2 adapters/);
    expect(() => combineAdapters([a, adapter(5, 2, 2)], [1, -1], 'linear')).toThrow(/weights must be ≥ 0/);
    const wide = adapter(6, 2, 2);
    wide.modules.get(PATHS[0])!.inDim = 7;
    expect(() => combineAdapters([a, wide], [1, 1], 'cat')).toThrow(/disagree on its shape/);
  });
});
