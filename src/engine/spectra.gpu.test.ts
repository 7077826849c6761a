// Session.spectra() on the page's low-rank teacher (d = 64, true rank k = 4), in Node through
// Dawn: against the float64 reference computed from the A and B read back (the adapter files),
// the principal angles falling as the run learns ΔW*, and a rank-2 run settling on the floor
// that ΔW*'s discarded singular values predict.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPacked, readTensor, writeTensor } from '../gpu/buffers.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { llamaCheckpointFiles } from '../io/hf-checkpoint.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { memoryFolder } from '../io/random-access.ts';
import { parseSafetensors } from '../io/safetensors.ts';
import { ExactMerge } from '../lora/exact-merge.ts';
import { initLlamaWeights, validateLlamaConfig } from '../model/config.ts';
import { LlamaModel } from '../model/llama-model.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { loraDeltaReference, principalAnglesReference, svdReference } from '../reference/svd.ts';
import { effectiveRank } from '../lora/spectrum.ts';
import { DEFAULT_SETTINGS, PAGE_TEACHER, type PlaygroundSettings } from '../settings/playground-settings.ts';
import { teacherLossFloor } from '../tasks/low-rank-teacher.ts';
import { Session } from './session.ts';
import { spectraReader } from './spectra.ts';
import type { AdapterLibrary, Spectra } from './types.ts';

const noLibrary: AdapterLibrary = { list: async () => [], get: async () => undefined, add: async () => {}, delete: async () => {} };
let session: Session;
beforeAll(async () => {
  session = new Session({ acquireGpu: acquireNodeGpu, builtinModel: { name: 'none', read: async () => null }, library: noLibrary, checkpointEvery: 0 });
  await session.start();
});
afterAll(() => session?.close());

const d = PAGE_TEACHER.dim;
const teacher = (s: Partial<PlaygroundSettings>): PlaygroundSettings => ({ ...DEFAULT_SETTINGS, task: 'teacher', lr: 0.02, maxGradNorm: 0, ...s });
let runs = 0;
async function train(s: PlaygroundSettings, fresh = false): Promise<void> {
  if (fresh) session.reset();
  await session.train(s, { runId: `run-${++runs}`, label: `run ${runs}` });
}

/** The first `k` of `width` columns. */
function columns(x: Float64Array, rows: number, width: number, k: number): Float64Array {
  return Float64Array.from({ length: rows * k }, (_, i) => x[Math.floor(i / k) * width + (i % k)]);
}

describe('Session.spectra() on the teacher', () => {
  it('matches the float64 SVD of s·B·A from the adapter read back; base norm, heatmaps and floor', async () => {
    const rank = 4;
    await train(teacher({ rank, alpha: 8, steps: 6 }), true);
    const sp = await session.spectra();
    expect(sp.step).toBe(6);
    const [m] = sp.modules;
    expect(sp.modules).toHaveLength(1);
    expect(m).toMatchObject({ path: 'student', rank, scale: 2 });

    const file = parseSafetensors((await session.checkpointAdapterFiles())['adapter_model.safetensors'] as Uint8Array);
    const a = file.get('base_model.model.layer.lora_A.weight');
    const b = file.get('base_model.model.layer.lora_B.weight');
    const delta = loraDeltaReference(b, a, d, rank, d, 2);
    const ref = svdReference(delta, d, d);
    const max = ref.s[0];
    expect(max).toBeGreaterThan(0);
    m.singularValues.forEach((x, i) => expect(Math.abs(x - ref.s[i])).toBeLessThanOrEqual(1e-9 * max));
    expect(m.effectiveRank).toBeCloseTo(effectiveRank(Array.from(ref.s.slice(0, rank))), 8);
    expect(m.deltaNorm).toBeCloseTo(Math.sqrt(delta.reduce((s, x) => s + x * x, 0)), 9);
    // ΔW's heatmap is s·B·A (f32).
    const t = sp.teacher!;
    expect(t.heatmap).toMatchObject({ rows: d, cols: d });
    t.heatmap.learned.forEach((x, i) => expect(Math.abs(x - delta[i])).toBeLessThanOrEqual(1e-6 * max));

    // ‖W‖: the merged export holds W + ΔW; take ΔW off.
    const merged = await session.exportMerged('F32');
    const weights = parseSafetensors(Object.values(merged).find((f) => f instanceof Uint8Array) as Uint8Array);
    const w = weights.get(weights.tensors[0].name);
    const baseNorm = Math.sqrt(w.reduce((s, x, i) => s + (x - delta[i]) ** 2, 0));
    expect(m.baseNorm).toBeCloseTo(baseNorm, 4);
    expect(m.ratio).toBeCloseTo(m.deltaNorm / baseNorm, 6);

    // ΔW*: k singular values of √d, the rest zero; the floor from them equals the task's.
    const truth = svdReference(t.heatmap.truth, d, d);
    expect(t.trueRank).toBe(PAGE_TEACHER.trueRank);
    t.trueSingularValues.forEach((x, i) => {
      expect(x).toBeCloseTo(Math.sqrt(d), 4);
      expect(Math.abs(x - truth.s[i])).toBeLessThan(1e-5);
    });
    for (const x of truth.s.slice(t.trueRank)) expect(x).toBeLessThan(1e-5);
    expect(t.floorFromSpectrum).toBeCloseTo(t.floor, 5);
    expect(t.floor).toBeCloseTo(teacherLossFloor(t.trueSingularValues, rank, d), 5);

    // Principal angles against the reference: ΔW's top min(r, k) singular vectors vs ΔW*'s.
    const k = t.trueRank;
    const mm = Math.min(rank, k);
    const refColumns = principalAnglesReference(columns(ref.u, d, d, mm), columns(truth.u, d, d, k), d, mm, k);
    const refRows = principalAnglesReference(columns(ref.v, d, d, mm), columns(truth.v, d, d, k), d, mm, k);
    expect(t.columnAngles).toHaveLength(mm);
    t.columnAngles.forEach((x, i) => expect(Math.abs(x - refColumns[i])).toBeLessThan(1e-4));
    t.rowAngles.forEach((x, i) => expect(Math.abs(x - refRows[i])).toBeLessThan(1e-4));
  });

  it('principal angles fall as training proceeds (r = 6 ≥ k = 4); asked for mid-run, it answers between windows', async () => {
    const s = teacher({ rank: 6, alpha: 12, steps: 4 });
    await train(s, true);
    const early = await session.spectra();
    await train({ ...s, steps: 40 });
    const middle = await session.spectra();
    // Asked while the loop trains: answered after the window in flight, at a window's end.
    const training = train({ ...s, steps: 120 });
    const during = await session.spectra();
    await training;
    const late = await session.spectra();
    expect(during.step % 10 === 0 || during.step === 120).toBe(true);
    expect(during.step).toBeGreaterThan(40);
    const worst = (x: Spectra) => Math.max(...x.teacher!.columnAngles);
    const worstRow = (x: Spectra) => Math.max(...x.teacher!.rowAngles);
    expect(worst(middle)).toBeLessThan(worst(early));
    expect(worst(late)).toBeLessThan(worst(middle));
    expect(worstRow(late)).toBeLessThan(worstRow(early));
    expect(worst(late)).toBeLessThan(0.1);
    expect(late.teacher!.columnAngles).toHaveLength(4);
  });

  it('a rank-2 run approaches the floor Σ_{i>2} σ*² / (3d) (half the start at k = 4)', async () => {
    const valLosses: number[] = [];
    const off = session.on((e) => {
      if (e.type === 'steps') for (const m of e.metrics) if (m.valLoss !== undefined) valLosses.push(m.valLoss);
    });
    await train(teacher({ rank: 2, alpha: 4, steps: 200, lr: 0.01 }), true);
    off();
    const t = (await session.spectra()).teacher!;
    const floor = t.floorFromSpectrum;
    expect(floor).toBeCloseTo(t.initialLoss / 2, 4);
    expect(valLosses[0]).toBeGreaterThan(1.3 * floor);
    expect(valLosses.at(-1)!).toBeGreaterThan(0.9 * floor);
    expect(valLosses.at(-1)!).toBeLessThan(1.15 * floor);
  });

  it('is refused without a run, and names the reason', async () => {
    session.reset();
    await expect(session.spectra()).rejects.toThrow(/no run yet/);
  });
});

describe('spectra of a language model on a packed BF16 base', () => {
  it('every adapter against the reference; ‖W‖ of the decoded base, also while merged', async () => {
    const gpu = await acquireNodeGpu();
    try {
      const config = validateLlamaConfig({
        model_type: 'llama', vocab_size: 51, hidden_size: 24, intermediate_size: 35, num_hidden_layers: 1,
        num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 16, tie_word_embeddings: false,
      });
      const files = llamaCheckpointFiles(config, initLlamaWeights(config, seededRandom(3)), 'BF16');
      const { weights } = await loadModelFolder(memoryFolder(files));
      const model = await LlamaModel.create(gpu, config, weights, { batch: 1, seq: 4, mode: { kind: 'lora', lora: { targetModules: 'all-linear', r: 3, loraAlpha: 6 } } });
      const layers = model.linears.filter((l) => l.lora).map((l) => ({ path: l.path, lora: l.lora! }));
      expect(layers.length).toBe(7);
      expect(isPacked(layers[0].lora.weight)).toBe(true);
      const random = seededRandom(9);
      for (const { lora } of layers) writeTensor(gpu, lora.loraB, uniformArray(random, lora.loraB.numel, 0.3));
      const merging = new ExactMerge(gpu, layers);
      const sp = await spectraReader(gpu, { layers, merged: () => merging.merged, step: () => 0 })();
      expect(sp.teacher).toBeNull();
      expect(sp.modules.map((m) => m.path)).toEqual(layers.map((l) => l.path));
      const norms: number[] = [];
      for (const [i, { lora }] of layers.entries()) {
        const { inFeatures: inDim, outFeatures: outDim, rank } = lora.config;
        const delta = loraDeltaReference(await readTensor(gpu, lora.loraB), await readTensor(gpu, lora.loraA), outDim, rank, inDim, lora.scaling);
        const ref = svdReference(delta, outDim, inDim).s;
        const m = sp.modules[i];
        expect(m.scale).toBe(2);
        m.singularValues.forEach((x, j) => expect(Math.abs(x - ref[j])).toBeLessThanOrEqual(1e-9 * ref[0]));
        const w = await readTensor(gpu, lora.weight); // BF16 widened exactly
        norms.push(Math.sqrt(w.reduce((s, x) => s + x * x, 0)));
        expect(m.baseNorm).toBeCloseTo(norms[i], 6);
        expect(m.ratio).toBeCloseTo(m.deltaNorm / norms[i], 8);
      }
      // A reader that first looks while merged takes ΔW off the merged (BF16-rounded) weights.
      await merging.merge();
      const merged = await spectraReader(gpu, { layers, merged: () => merging.merged, step: () => 0 })();
      merged.modules.forEach((m, i) => expect(Math.abs(m.baseNorm - norms[i])).toBeLessThan(1e-2 * norms[i]));
      merging.unmerge();
      model.destroy();
    } finally {
      releaseGpu(gpu);
    }
  });
});
