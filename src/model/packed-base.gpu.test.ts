// A BF16/F16 checkpoint's frozen weights stay packed on the GPU (two values per u32), and a run
// on them is the run on the same rounded weights widened to f32: the loss, every LoRA gradient
// and the logits agree to f32 rounding, at half the bytes. Merging rounds to the base's format
// as PEFT's merge in the base dtype does; the export keeps that dtype; unmerge restores the
// packed base bit for bit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergedCheckpointFiles } from '../adapters/model-adapter.ts';
import { isPacked, readPackedHalves, readTensor, writeTensor } from '../gpu/buffers.ts';
import { fingerprintTensor } from '../gpu/kernels/fingerprint.ts';
import type { Gpu } from '../gpu/device.ts';
import { acquireNodeGpu, releaseGpu } from '../gpu/node-gpu.ts';
import { llamaCheckpointFiles } from '../io/hf-checkpoint.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { memoryFolder } from '../io/random-access.ts';
import { parseSafetensors, type Dtype } from '../io/safetensors.ts';
import type { WeightSource } from '../io/weight-source.ts';
import { ExactMerge } from '../lora/exact-merge.ts';
import type { LoraInjectionConfig } from '../lora/injection.ts';
import { f32ToBf16, f32ToF16 } from '../util/half-float.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { initLlamaWeights, validateLlamaConfig } from './config.ts';
import { LlamaModel } from './llama-model.ts';

// Odd sizes (vocab 51, intermediate 35): rows of those matrices straddle packed words.
const config = validateLlamaConfig({
  model_type: 'llama', vocab_size: 51, hidden_size: 24, intermediate_size: 35, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 32, tie_word_embeddings: false,
});
const [batch, seq] = [2, 7];
const mode = { kind: 'lora', lora: { targetModules: 'all-linear', r: 3, loraAlpha: 6 } } as const;

async function checkpoint(dtype: Dtype): Promise<WeightSource> {
  return (await loadModelFolder(memoryFolder(llamaCheckpointFiles(config, initLlamaWeights(config, seededRandom(3)), dtype)))).weights;
}

/** The same nonzero B in every adapter of both models, so dA and every dX path carry signal. */
function setB(gpu: Gpu, model: LlamaModel): void {
  const random = seededRandom(9);
  for (const p of model.trainable) if (p.name.endsWith('lora_B.weight')) writeTensor(gpu, p.param, uniformArray(random, p.param.numel, 0.3));
}

function setBatch(model: LlamaModel): void {
  const ids = Uint32Array.from({ length: batch * seq }, (_, i) => (i * 7 + 3) % config.vocab_size);
  model.setBatch(ids, Uint32Array.from(ids, (id, i) => ((i + 1) % seq === 0 ? 0xffffffff : (id * 5 + 1) % config.vocab_size)));
}

function expectClose(got: Float32Array, want: Float32Array, what: string): void {
  const scale = Math.max(1, ...want.map(Math.abs));
  let worst = 0;
  got.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]))));
  expect(worst, what).toBeLessThan(2e-5 * scale);
}

describe('a packed BF16/F16 base', () => {
  let gpu: Gpu;
  beforeAll(async () => (gpu = await acquireNodeGpu()));
  afterAll(() => releaseGpu(gpu));

  for (const dtype of ['BF16', 'F16'] as const) {
    it(`${dtype}: LoRA forward, loss and gradients equal the f32-stored run on the same weights, at fewer bytes`, async () => {
      const source = await checkpoint(dtype);
      const packed = await LlamaModel.create(gpu, config, source, { batch, seq, mode });
      const wide = await LlamaModel.create(gpu, config, source, { batch, seq, mode, baseStorage: 'f32' });
      expect(isPacked(packed.weights.get('model.embed_tokens.weight')!)).toBe(true);
      expect(isPacked(packed.weights.get('model.layers.1.mlp.down_proj.weight')!)).toBe(true);
      expect(isPacked(packed.weights.get('model.norm.weight')!)).toBe(false);
      expect(isPacked(wide.weights.get('model.embed_tokens.weight')!)).toBe(false);
      expect(packed.allocatedBytes).toBeLessThan(wide.allocatedBytes);
      for (const folding of [true, false]) {
        for (const m of [packed, wide]) {
          setB(gpu, m);
          setBatch(m);
          m.setTraining(true);
          m.setFoldingAllowed(folding);
          m.forwardBackward();
        }
        expect(Math.abs((await packed.loss()) - (await wide.loss()))).toBeLessThan(1e-5);
        for (const [i, p] of packed.trainable.entries()) expectClose(await readTensor(gpu, p.grad), await readTensor(gpu, wide.trainable[i].grad), `${p.name} grad (folding ${folding})`);
        for (const m of [packed, wide]) m.forward();
        expectClose(await packed.logits(), await wide.logits(), `logits (folding ${folding})`);
      }
      packed.destroy();
      wide.destroy();
    });

    it(`${dtype}: merge rounds to ${dtype} like PEFT's merge in the base dtype; the export keeps ${dtype}; unmerge restores the base bit for bit`, async () => {
      const source = await checkpoint(dtype);
      const packed = await LlamaModel.create(gpu, config, source, { batch, seq, mode });
      const wide = await LlamaModel.create(gpu, config, source, { batch, seq, mode, baseStorage: 'f32' });
      setB(gpu, packed);
      setB(gpu, wide);
      const path = 'model.layers.0.self_attn.q_proj.weight';
      const before = await readPackedHalves(gpu, packed.weights.get(path)!);

      const files = await mergedCheckpointFiles(gpu, packed, dtype);
      const wideFiles = await mergedCheckpointFiles(gpu, wide, 'F32');
      const merged = parseSafetensors(files['model.safetensors'] as Uint8Array);
      const reference = parseSafetensors(wideFiles['model.safetensors'] as Uint8Array);
      expect(new Set(merged.tensors.map((t) => t.dtype))).toEqual(new Set([dtype]));
      expect(JSON.parse(files['config.json'] as string).torch_dtype).toBe(dtype === 'BF16' ? 'bfloat16' : 'float16');
      // W + s·B·A in f32 (the f32 merge's arithmetic), then rounded to nearest even.
      const round = dtype === 'BF16' ? f32ToBf16 : f32ToF16;
      for (const t of merged.tensors) {
        const got = Uint16Array.from(merged.get(t.name), round);
        const want = Uint16Array.from(reference.get(t.name), round);
        expect(got, t.name).toEqual(want);
      }
      expect(await readPackedHalves(gpu, packed.weights.get(path)!)).toEqual(before);

      const merge = new ExactMerge(gpu, packed.linears.filter((l) => l.lora).map((l) => ({ path: l.path, lora: l.lora! })));
      const fingerprint = () => fingerprintTensor(gpu, packed.weights.get(path)!); // hashes the packed words, every one
      const unmerged = await fingerprint();
      await merge.merge();
      expect(await readPackedHalves(gpu, packed.weights.get(path)!)).not.toEqual(before);
      expect(await fingerprint()).not.toBe(unmerged);
      merge.unmerge();
      expect(await readPackedHalves(gpu, packed.weights.get(path)!)).toEqual(before);
      expect(await fingerprint()).toBe(unmerged);
      packed.destroy();
      wide.destroy();
    });
  }
  it('BF16: the packed head in chunks of 8 rows (14 tokens: 8 + 6) gives the loss, gradients and logits of one chunk', async () => {
    const source = await checkpoint('BF16');
    const chunked = await LlamaModel.create(gpu, config, source, { batch, seq, mode, logitsChunkRows: 8 });
    const whole = await LlamaModel.create(gpu, config, source, { batch, seq, mode });
    expect(isPacked(chunked.weights.get('model.embed_tokens.weight')!)).toBe(true); // the tied head reads it packed
    expect(whole.allocatedBytes - chunked.allocatedBytes).toBe((batch * seq - 8) * config.vocab_size * 4);
    for (const m of [chunked, whole]) {
      setB(gpu, m);
      setBatch(m);
      m.forwardBackward();
    }
    expect(Math.abs((await chunked.loss()) - (await whole.loss()))).toBeLessThan(1e-5);
    for (const [i, p] of chunked.trainable.entries()) expectClose(await readTensor(gpu, p.grad), await readTensor(gpu, whole.trainable[i].grad), `${p.name} grad`);
    // After a step the logits buffer holds one chunk's dL/dlogits: logits() runs the head again, chunk by chunk.
    const afterStep = await chunked.logits();
    whole.forward();
    expectClose(afterStep, await whole.logits(), 'logits after a step');
    chunked.forward({ loss: false });
    expectClose(await chunked.logits(), await whole.logits(), 'logits after a forward without the loss');
    chunked.destroy();
    whole.destroy();
  });

  it('DoRA and PiSSA layers widen their own base to f32 on a BF16 checkpoint; the other weights stay packed and the run equals the f32-stored one', async () => {
    const source = await checkpoint('BF16');
    const variants: LoraInjectionConfig[] = [
      { targetModules: ['q_proj', 'v_proj'], r: 3, loraAlpha: 6, useDora: true },
      { targetModules: ['q_proj', 'v_proj'], r: 3, loraAlpha: 6, initLoraWeights: 'pissa' },
    ];
    for (const lora of variants) {
      const variant = { kind: 'lora', lora } as const;
      const packed = await LlamaModel.create(gpu, config, source, { batch, seq, mode: variant });
      const wide = await LlamaModel.create(gpu, config, source, { batch, seq, mode: variant, baseStorage: 'f32' });
      expect(isPacked(packed.weights.get('model.layers.0.self_attn.q_proj.weight')!)).toBe(false);
      expect(isPacked(packed.weights.get('model.layers.0.self_attn.k_proj.weight')!)).toBe(true);
      expect(isPacked(packed.weights.get('model.embed_tokens.weight')!)).toBe(true);
      expect(packed.allocatedBytes).toBeLessThan(wide.allocatedBytes);
      for (const m of [packed, wide]) {
        setB(gpu, m);
        setBatch(m);
        m.forwardBackward();
      }
      expect(Math.abs((await packed.loss()) - (await wide.loss()))).toBeLessThan(1e-5);
      for (const [i, p] of packed.trainable.entries()) expectClose(await readTensor(gpu, p.grad), await readTensor(gpu, wide.trainable[i].grad), `${p.name} grad`);
      packed.destroy();
      wide.destroy();
    }
  });
});
