// PEFT adapters: our export read back identically, a folder in PEFT's own layout (extra config
// keys, rank/alpha patterns) read, DoRA files read, and unsupported variants refused with the field named.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adapterConfigJson, adapterSafetensors, AdapterFormatError, parseAdapter, type AdapterModule } from './peft.ts';
import { parseSafetensors, serializeSafetensors } from './safetensors.ts';

const mod = (path: string, rank: number, inDim: number, outDim: number, seed: number): AdapterModule => ({
  path, rank, inDim, outDim,
  loraA: Float32Array.from({ length: rank * inDim }, (_, i) => Math.sin(i + seed)),
  loraB: Float32Array.from({ length: outDim * rank }, (_, i) => Math.cos(i * seed)),
});

const modules = [mod('model.layers.0.self_attn.q_proj', 4, 8, 8, 1), mod('model.layers.0.self_attn.v_proj', 2, 8, 4, 2)];
const fields = {
  r: 4, loraAlpha: 8, targetModules: ['q_proj', 'v_proj'], useRslora: false, layersToTransform: null,
  rankPattern: { v_proj: 2 }, alphaPattern: { 'model.layers.0.self_attn.v_proj': 6 }, loraDropout: 0.05, baseModelNameOrPath: 'byte-caps',
};

describe('PEFT adapters', () => {
  it('export → import round trip: identical tensors, ranks, and α/r per module', () => {
    const bytes = adapterSafetensors(modules);
    expect(parseSafetensors(bytes).tensors.map((t) => [t.name, t.shape])).toEqual([
      ['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', [4, 8]],
      ['base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight', [8, 4]],
      ['base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight', [2, 8]],
      ['base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight', [4, 2]],
    ]);
    const adapter = parseAdapter(adapterConfigJson(fields), bytes);
    for (const m of modules) {
      const got = adapter.modules.get(m.path)!;
      expect(Array.from(got.loraA)).toEqual(Array.from(m.loraA));
      expect(Array.from(got.loraB)).toEqual(Array.from(m.loraB));
      expect(got.rank).toBe(m.rank);
    }
    expect(adapter.modules.get(modules[0].path)!.scaling).toBe(2); // 8 / 4
    expect(adapter.modules.get(modules[1].path)!.scaling).toBe(3); // alpha_pattern 6 / rank_pattern 2
  });

  it('writes the fields PEFT writes', () => {
    const config = JSON.parse(adapterConfigJson(fields));
    for (const key of ['peft_type', 'task_type', 'r', 'lora_alpha', 'target_modules', 'lora_dropout', 'bias', 'fan_in_fan_out', 'use_rslora', 'use_dora',
      'init_lora_weights', 'layers_to_transform', 'rank_pattern', 'alpha_pattern', 'modules_to_save', 'inference_mode', 'base_model_name_or_path', 'revision', 'peft_version']) {
      expect(config, key).toHaveProperty(key);
    }
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', bias: 'none', use_dora: false, inference_mode: true });
  });

  it('reads a folder in the layout PEFT writes, ignoring keys it does not know', () => {
    const peftConfig = JSON.stringify({
      alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: 'TinyLlama/TinyLlama-1.1B', bias: 'none', eva_config: null,
      exclude_modules: null, fan_in_fan_out: false, inference_mode: true, init_lora_weights: true, layer_replication: null,
      layers_pattern: null, layers_to_transform: null, loftq_config: {}, lora_alpha: 16, lora_bias: false, lora_dropout: 0.05,
      megatron_config: null, megatron_core: 'megatron.core', modules_to_save: null, peft_type: 'LORA', r: 4, rank_pattern: {},
      revision: null, target_modules: ['q_proj'], task_type: 'CAUSAL_LM', use_dora: false, use_rslora: true,
    });
    const bytes = serializeSafetensors([
      { name: 'base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight', shape: [4, 6], data: new Float32Array(24).fill(0.5) },
      { name: 'base_model.model.model.layers.3.self_attn.q_proj.lora_B.weight', shape: [6, 4], data: new Float32Array(24).fill(-1) },
    ], { format: 'pt' });
    const adapter = parseAdapter(peftConfig, bytes);
    expect([...adapter.modules.keys()]).toEqual(['model.layers.3.self_attn.q_proj']);
    expect(adapter.modules.get('model.layers.3.self_attn.q_proj')!.scaling).toBe(8); // rsLoRA: 16 / √4
  });

  it.each([
    [{ peft_type: 'IA3' }, 'peft_type "IA3" is not supported'],
    [{ use_dora: true }, 'use_dora is true but model.layers.0.self_attn.q_proj has no lora_magnitude_vector'],
    [{ bias: 'all' }, 'bias "all" is not supported'],
    [{ fan_in_fan_out: true }, 'fan_in_fan_out'],
    [{ r: 0 }, 'r must be a positive integer'],
  ])('refuses %j', (override, message) => {
    const config = JSON.stringify({ ...JSON.parse(adapterConfigJson(fields)), ...override });
    expect(() => parseAdapter(config, adapterSafetensors(modules))).toThrow(AdapterFormatError);
    expect(() => parseAdapter(config, adapterSafetensors(modules))).toThrow(message);
  });

  it('refuses a module with only one of its two matrices, or a rank that does not match', () => {
    const onlyA = serializeSafetensors([{ name: 'base_model.model.x.lora_A.weight', shape: [4, 2], data: new Float32Array(8) }]);
    expect(() => parseAdapter(adapterConfigJson(fields), onlyA)).toThrow('x has lora_A but no lora_B');
    const wrongRank = adapterSafetensors([mod('model.layers.0.self_attn.q_proj', 3, 8, 8, 1)]);
    expect(() => parseAdapter(adapterConfigJson(fields), wrongRank)).toThrow('do not match rank 4');
  });
});

// A DoRA adapter_config.json with every field LoraConfig has (src/io/fixtures/peft-dora-adapter-config.json,
// written from peft/tuners/lora/config.py and peft/config.py), and PEFT's key for the magnitude.
const doraConfig = readFileSync(new URL('./fixtures/peft-dora-adapter-config.json', import.meta.url), 'utf8');

describe('PEFT DoRA and PiSSA / OLoRA adapters', () => {
  const dora = modules.map((m, i) => ({ ...m, rank: 4, loraA: new Float32Array(4 * m.inDim).fill(0.5 + i), loraB: new Float32Array(m.outDim * 4).fill(-0.25), magnitude: Float32Array.from({ length: m.outDim }, (_, o) => 1 + o / 8) }));

  it('export → import: lora_magnitude_vector (out) under PEFT\'s key, use_dora true, values identical', () => {
    const bytes = adapterSafetensors(dora);
    const names = parseSafetensors(bytes).tensors.map((t) => [t.name, t.shape]);
    expect(names).toContainEqual(['base_model.model.model.layers.0.self_attn.v_proj.lora_magnitude_vector', [4]]);
    expect(names).toHaveLength(6);
    const config = adapterConfigJson({ ...fields, rankPattern: {}, alphaPattern: {}, useDora: true });
    expect(JSON.parse(config).use_dora).toBe(true);
    const adapter = parseAdapter(config, bytes);
    expect(adapter.useDora).toBe(true);
    for (const m of dora) expect(Array.from(adapter.modules.get(m.path)!.magnitude!)).toEqual(Array.from(m.magnitude));
  });

  it('a DoRA folder in PEFT\'s layout imports: every LoraConfig field, and the magnitude as .lora_magnitude_vector or .weight', () => {
    for (const suffix of ['lora_magnitude_vector', 'lora_magnitude_vector.weight', 'lora_magnitude_vector.default.weight']) {
      const tensors = dora.flatMap((m) => [
        { name: `base_model.model.${m.path}.lora_A.weight`, shape: [4, m.inDim], data: m.loraA },
        { name: `base_model.model.${m.path}.lora_B.weight`, shape: [m.outDim, 4], data: m.loraB },
        { name: `base_model.model.${m.path}.${suffix}`, shape: [m.outDim], data: m.magnitude },
      ]);
      const adapter = parseAdapter(doraConfig, serializeSafetensors(tensors, { format: 'pt' }));
      expect(adapter.useDora).toBe(true);
      expect(adapter.modules.get(dora[1].path)!.magnitude![3]).toBe(1 + 3 / 8);
      expect(adapter.modules.get(dora[0].path)!.scaling).toBe(2); // 8 / 4
    }
  });

  it('refuses a DoRA config without magnitudes, magnitudes without use_dora, and a magnitude of the wrong length', () => {
    const plain = adapterSafetensors(modules.map((m) => ({ ...m, rank: 4, loraA: new Float32Array(4 * m.inDim), loraB: new Float32Array(m.outDim * 4) })));
    expect(() => parseAdapter(doraConfig, plain)).toThrow(/use_dora is true but model\.layers\.0\.self_attn\.(q|v)_proj has no lora_magnitude_vector/);
    expect(() => parseAdapter(JSON.stringify({ ...JSON.parse(doraConfig), use_dora: false }), adapterSafetensors(dora))).toThrow(/has a lora_magnitude_vector but use_dora is not true/);
    const short = dora.map((m) => ({ ...m }));
    const bytes = serializeSafetensors(short.flatMap((m) => [
      { name: `base_model.model.${m.path}.lora_A.weight`, shape: [4, m.inDim], data: m.loraA },
      { name: `base_model.model.${m.path}.lora_B.weight`, shape: [m.outDim, 4], data: m.loraB },
      { name: `base_model.model.${m.path}.lora_magnitude_vector`, shape: [2], data: m.magnitude.subarray(0, 2) },
    ]), { format: 'pt' });
    expect(() => parseAdapter(doraConfig, bytes)).toThrow(/lora_magnitude_vector \[2\] must have one value per output row/);
  });

  it.each(['pissa', 'pissa_niter_4', 'olora', 'corda'])('refuses init_lora_weights "%s" saved without conversion, saying how to convert it', (init) => {
    const config = JSON.stringify({ ...JSON.parse(doraConfig), use_dora: false, init_lora_weights: init });
    expect(() => parseAdapter(config, adapterSafetensors(modules))).toThrow(/path_initial_model_for_weight_conversion/);
  });
});
