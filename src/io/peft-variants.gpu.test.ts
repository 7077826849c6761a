// PEFT files of the LoRA variants on the tiny Llama (Dawn): a DoRA adapter exported and imported
// into a fresh model gives identical logits; a PiSSA / OLoRA adapter is written as PEFT's converted
// plain LoRA of rank 2r, which on the original base gives the trained model's logits; every merged
// export is the trained model; clearing the adapter gives the base back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterMode, clearAdapter, mergedCheckpointFiles, readAdapter, writeAdapter } from '../adapters/model-adapter.ts';
import { readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import type { LoraInjectionConfig } from '../lora/injection.ts';
import { initLlamaWeights } from '../model/config.ts';
import { IGNORE_TARGET, LlamaModel, type TrainingMode } from '../model/llama-model.ts';
import { TINY_BASE_CONFIG } from '../tasks/tiny-base.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { adapterFolderFiles, parseAdapter } from './peft.ts';
import { parseSafetensors } from './safetensors.ts';

const weights = initLlamaWeights(TINY_BASE_CONFIG, seededRandom(2));
const fields = { r: 4, loraAlpha: 8, targetModules: ['q_proj', 'v_proj'], useRslora: false, layersToTransform: null, rankPattern: {}, alphaPattern: {}, loraDropout: 0, baseModelNameOrPath: 'byte-caps' };
const ids = Uint32Array.from(new TextEncoder().encode('qQ aA zZ'));

function maxDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

describe('PEFT files of DoRA, PiSSA and OLoRA runs', () => {
  let gpu: Gpu;
  beforeAll(async () => (gpu = await acquireNodeGpu()));
  afterAll(() => releaseGpu(gpu));

  const build = (mode: TrainingMode, w: Map<string, Float32Array> = weights) => LlamaModel.create(gpu, TINY_BASE_CONFIG, w, { batch: 1, seq: 8, mode });
  const lora = (extra: Partial<LoraInjectionConfig>): TrainingMode => ({ kind: 'lora', lora: { targetModules: ['q_proj', 'v_proj'], r: 4, loraAlpha: 8, ...extra } });
  const logits = async (m: LlamaModel) => {
    m.setTraining(false);
    m.setBatch(ids, new Uint32Array(8).fill(IGNORE_TARGET));
    m.forward();
    return m.logits();
  };
  /** Moves every trainable tensor away from its init, as training would. */
  const perturb = (m: LlamaModel, seed: number) => {
    const random = seededRandom(seed);
    // A and B uniform in ±0.2; DoRA's magnitude (1-D) in 1 ± 0.2.
    for (const p of m.trainable) writeTensor(gpu, p.param, uniformArray(random, p.param.numel, 0.2).map((v) => (p.param.shape.length === 1 ? 1 + v : v)));
  };
  /** The merged export read back as a frozen model. */
  const mergedModel = async (m: LlamaModel) => {
    const file = parseSafetensors((await mergedCheckpointFiles(gpu, m))['model.safetensors'] as Uint8Array);
    return build({ kind: 'frozen' }, new Map(file.tensors.map((t) => [t.name, file.get(t.name)])));
  };

  it('DoRA: export → import gives identical logits; the merged export is the model; clearing gives the base', async () => {
    const model = await build(lora({ useDora: true }));
    const base = await build({ kind: 'frozen' });
    const baseLogits = await logits(base);
    expect(maxDiff(await logits(model), baseLogits)).toBeLessThan(1e-5); // g = 1 at init
    perturb(model, 9);
    const trained = await logits(model);
    expect(maxDiff(trained, baseLogits)).toBeGreaterThan(1e-2);
    const files = adapterFolderFiles(await readAdapter(gpu, model, fields));
    expect(JSON.parse(files['adapter_config.json'] as string)).toMatchObject({ use_dora: true, r: 4, lora_alpha: 8, init_lora_weights: true });
    const imported = parseAdapter(files['adapter_config.json'] as string, files['adapter_model.safetensors'] as Uint8Array);
    const fresh = await build(adapterMode(imported));
    writeAdapter(gpu, fresh, imported);
    expect(Array.from(await logits(fresh))).toEqual(Array.from(trained));

    const before = await Promise.all([...model.weights.values()].map((t) => readTensor(gpu, t)));
    const merged = await mergedModel(model);
    expect(maxDiff(await logits(merged), trained)).toBeLessThan(1e-4);
    const after = await Promise.all([...model.weights.values()].map((t) => readTensor(gpu, t)));
    expect(after).toEqual(before); // the merge for the export was undone bit for bit
    clearAdapter(gpu, model);
    expect(maxDiff(await logits(model), baseLogits)).toBeLessThan(1e-5);
    for (const m of [model, base, fresh, merged]) m.destroy();
  });

  it.each(['pissa', 'olora'] as const)('%s: the export is PEFT\'s converted plain LoRA (rank 2r, α 2α), which on the original base gives the trained logits', async (init) => {
    const model = await build(lora({ initLoraWeights: init }));
    const base = await build({ kind: 'frozen' });
    const baseLogits = await logits(base);
    expect(maxDiff(await logits(model), baseLogits)).toBeLessThan(1e-4); // W_res + s·B₀·A₀ = W at init
    perturb(model, 11);
    const trained = await logits(model);
    expect(maxDiff(trained, baseLogits)).toBeGreaterThan(1e-2);
    const files = adapterFolderFiles(await readAdapter(gpu, model, fields));
    const config = JSON.parse(files['adapter_config.json'] as string);
    expect(config).toMatchObject({ r: 8, lora_alpha: 16, init_lora_weights: true, use_dora: false });
    const imported = parseAdapter(files['adapter_config.json'] as string, files['adapter_model.safetensors'] as Uint8Array);
    const fresh = await build(adapterMode(imported)); // plain LoRA of rank 8 on the original weights
    writeAdapter(gpu, fresh, imported);
    // Not bit-identical: the run's base is W − s·B₀·A₀ rounded to f32; the import adds −s·B₀·A₀ in the forward.
    expect(maxDiff(await logits(fresh), trained)).toBeLessThan(1e-4);

    const merged = await mergedModel(model);
    expect(maxDiff(await logits(merged), trained)).toBeLessThan(1e-4);
    // The model's layers hold a residual base: a plain adapter is not written into them.
    expect(() => writeAdapter(gpu, model, imported)).toThrow(/rank 4 in the model but 8|residual base/);
    clearAdapter(gpu, model); // A₀, B₀ back: the base again
    expect(maxDiff(await logits(model), baseLogits)).toBeLessThan(1e-4);
    for (const m of [model, base, fresh, merged]) m.destroy();
  });
});
