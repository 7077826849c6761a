// Our adapter export from a real LoRA model on the GPU against a fixture of what PEFT writes for
// the same LoraConfig (src/io/fixtures): same keys, shapes, metadata and config fields; and a
// folder with PEFT's extra config fields imports into the model and computes what it exported.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterMode, readAdapter, writeAdapter } from '../adapters/model-adapter.ts';
import { readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { initLlamaWeights } from '../model/config.ts';
import { IGNORE_TARGET, LlamaModel } from '../model/llama-model.ts';
import { TINY_BASE_CONFIG } from '../tasks/tiny-base.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { adapterFolderFiles, parseAdapter } from './peft.ts';
import { parseSafetensors } from './safetensors.ts';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/peft-lora-byte-caps.json', import.meta.url), 'utf8'));

describe('PEFT fixture', () => {
  let gpu: Gpu;
  beforeAll(async () => (gpu = await acquireNodeGpu()));
  afterAll(() => releaseGpu(gpu));

  it('export matches the fixture; PEFT extra fields import; the imported adapter gives the same logits', async () => {
    const weights = initLlamaWeights(TINY_BASE_CONFIG, seededRandom(2));
    const { r, lora_alpha: loraAlpha, target_modules: targetModules, lora_dropout: loraDropout } = fixture.lora_config;
    const options = { batch: 1, seq: 8, mode: { kind: 'lora' as const, lora: { targetModules, r, loraAlpha, loraDropout } } };
    const model = await LlamaModel.create(gpu, TINY_BASE_CONFIG, weights, options);
    // Trained-looking adapters: B non-zero so the adapter changes the output.
    const random = seededRandom(9);
    for (const l of model.linears) if (l.lora) writeTensor(gpu, l.lora.loraB, uniformArray(random, l.lora.loraB.numel, 0.2));
    const fields = { r, loraAlpha, targetModules, useRslora: false, layersToTransform: null, rankPattern: {}, alphaPattern: {}, loraDropout, baseModelNameOrPath: 'byte-caps' };
    const files = adapterFolderFiles(await readAdapter(gpu, model, fields));

    const tensors = parseSafetensors(files['adapter_model.safetensors'] as Uint8Array);
    expect(tensors.metadata).toEqual(fixture.metadata);
    expect(tensors.tensors.map((t) => [t.name, t.shape])).toEqual(fixture.tensors);
    const config = JSON.parse(files['adapter_config.json'] as string);
    expect(config).toMatchObject(fixture.adapter_config);
    expect(config.base_model_name_or_path).toBe('byte-caps');
    expect(config.peft_version).toMatch(/^\d+\.\d+\.\d+$/);

    // Import it as PEFT would have written it (extra fields we do not use), into a fresh model.
    const peftConfig = JSON.stringify({ ...config, ...fixture.peft_only, target_modules: [...targetModules].reverse() });
    const imported = parseAdapter(peftConfig, files['adapter_model.safetensors'] as Uint8Array);
    // The exported model trains with lora_dropout, so each adapter computes its own H = X·Aᵀ; an
    // import runs without dropout and would compute q and v's H in one shared-input dispatch, which
    // sums in another order. Bit-for-bit logits check the round trip, so the fresh model computes H
    // as the exported one does; the grouped model is compared with a tolerance below.
    const fresh = await LlamaModel.create(gpu, TINY_BASE_CONFIG, weights, { batch: 1, seq: 8, mode: adapterMode(imported), groupSharedInput: false });
    writeAdapter(gpu, fresh, imported);
    const grouped = await LlamaModel.create(gpu, TINY_BASE_CONFIG, weights, { batch: 1, seq: 8, mode: adapterMode(imported) });
    writeAdapter(gpu, grouped, imported);
    const ids = Uint32Array.from(new TextEncoder().encode('qQ aA zZ'));
    const logits = async (m: LlamaModel) => {
      m.setTraining(false);
      m.setBatch(ids, new Uint32Array(8).fill(IGNORE_TARGET));
      m.forward();
      return m.logits();
    };
    const exported = await logits(model);
    expect(Array.from(await logits(fresh))).toEqual(Array.from(exported));
    const groupedLogits = await logits(grouped);
    for (let i = 0; i < exported.length; i++) expect(Math.abs(groupedLogits[i] - exported[i])).toBeLessThan(1e-5 * (1 + Math.abs(exported[i])));
    for (const l of fresh.linears) if (l.lora) expect(await readTensor(gpu, l.lora.loraB)).toEqual(imported.modules.get(l.path)!.loraB);
    model.destroy();
    fresh.destroy();
    grouped.destroy();
  });
});
