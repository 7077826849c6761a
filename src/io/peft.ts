// The PEFT LoRA adapter format (what PeftModel.from_pretrained loads): adapter_model.safetensors
// with keys base_model.model.<module path>.lora_{A,B}.weight, and adapter_config.json.
// DoRA (use_dora: true) adds base_model.model.<module path>.lora_magnitude_vector (out): PEFT saves
// it without '.weight' and appends '.weight' when loading (LoraModel._get_adapter_state_dict /
// _remap_adapter_state_dict_for_load in peft/tuners/lora/model.py); both spellings are read.
// PiSSA / OLoRA adapters are written as PEFT's save_pretrained(path_initial_model_for_weight_conversion=…)
// writes them (src/adapters/model-adapter.ts, plainLoraOfDecomposed): a plain LoRA of rank 2r on the
// original base, init_lora_weights: true. One saved without that conversion needs the residual base
// and is refused here.
import { parseSafetensors, serializeSafetensors, type TensorToWrite } from './safetensors.ts';

export interface AdapterModule {
  path: string; // e.g. model.layers.0.self_attn.q_proj
  loraA: Float32Array; // (r, in)
  loraB: Float32Array; // (out, r)
  rank: number;
  inDim: number;
  outDim: number;
  /** DoRA's magnitude m (out): lora_magnitude_vector. */
  magnitude?: Float32Array;
}

export interface AdapterConfigFields {
  r: number;
  loraAlpha: number;
  /** A list of module names, 'all-linear', or (as PEFT allows) a regular expression over paths. */
  targetModules: string[] | string;
  useRslora: boolean;
  layersToTransform: number[] | null;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  loraDropout: number;
  baseModelNameOrPath: string | null;
  /** PEFT's use_dora (false when absent). */
  useDora?: boolean;
}

/** The PEFT version whose adapter_config.json fields we write. */
export const PEFT_FORMAT_VERSION = '0.17.0';

export function adapterConfigJson(c: AdapterConfigFields): string {
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: c.r,
    lora_alpha: c.loraAlpha,
    target_modules: c.targetModules,
    lora_dropout: c.loraDropout,
    bias: 'none',
    fan_in_fan_out: false,
    use_rslora: c.useRslora,
    use_dora: c.useDora ?? false,
    init_lora_weights: true,
    layers_to_transform: c.layersToTransform,
    layers_pattern: null,
    rank_pattern: c.rankPattern,
    alpha_pattern: c.alphaPattern,
    modules_to_save: null,
    inference_mode: true,
    base_model_name_or_path: c.baseModelNameOrPath,
    revision: null,
    peft_version: PEFT_FORMAT_VERSION,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function adapterSafetensors(modules: AdapterModule[]): Uint8Array {
  const tensors: TensorToWrite[] = [];
  for (const m of [...modules].sort((a, b) => a.path.localeCompare(b.path))) {
    tensors.push({ name: `base_model.model.${m.path}.lora_A.weight`, shape: [m.rank, m.inDim], data: m.loraA });
    tensors.push({ name: `base_model.model.${m.path}.lora_B.weight`, shape: [m.outDim, m.rank], data: m.loraB });
    if (m.magnitude) tensors.push({ name: `base_model.model.${m.path}.lora_magnitude_vector`, shape: [m.outDim], data: m.magnitude });
  }
  return serializeSafetensors(tensors, { format: 'pt' });
}

export class AdapterFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterFormatError';
  }
}

/** One module of an imported adapter: its tensors, rank, α and the scaling s they imply. */
export interface ParsedAdapterModule extends AdapterModule {
  alpha: number;
  scaling: number;
}

export interface ParsedAdapter {
  r: number;
  loraAlpha: number;
  useRslora: boolean;
  targetModules: string[] | string;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  baseModelNameOrPath: string | null;
  layersToTransform: number[] | null;
  loraDropout: number;
  /** DoRA: every module has a magnitude vector. */
  useDora?: boolean;
  /** Module path → its A (r, in), B (out, r), rank and scaling s (and DoRA's magnitude). */
  modules: Map<string, ParsedAdapterModule>;
}

function patternFor(pattern: Record<string, number>, path: string): number | undefined {
  const keys = Object.keys(pattern).filter((k) => path === k || path.endsWith(`.${k}`)).sort((a, b) => b.length - a.length);
  return keys.length ? pattern[keys[0]] : undefined;
}

/** init_lora_weights values whose adapters need PEFT's residual base (W − s·B₀·A₀) rather than the original one. */
const RESIDUAL_BASE_INITS = /^(pissa|olora|corda|lora_ga)/i;

/**
 * Reads a PEFT LoRA adapter (ours or one PEFT wrote): unknown config keys are ignored, rank and
 * alpha patterns honoured, DoRA's magnitude read, variants we cannot run (other PEFT types, biases,
 * fan_in_fan_out, an unconverted PiSSA/OLoRA adapter) refused with a message naming the field.
 */
export function parseAdapter(configText: string, safetensors: Uint8Array): ParsedAdapter {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(configText);
  } catch (err) {
    throw new AdapterFormatError(`adapter_config.json is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new AdapterFormatError('adapter_config.json must be a JSON object');
  if (raw.peft_type !== 'LORA') throw new AdapterFormatError(`peft_type ${JSON.stringify(raw.peft_type)} is not supported; only LORA adapters are`);
  const useDora = raw.use_dora === true;
  if (typeof raw.init_lora_weights === 'string' && RESIDUAL_BASE_INITS.test(raw.init_lora_weights)) {
    throw new AdapterFormatError(`init_lora_weights is "${raw.init_lora_weights}": this adapter works only on the residual base PEFT made at its initialisation, which is not saved with it. In PEFT, save it again with save_pretrained(dir, path_initial_model_for_weight_conversion=<the adapter saved before training>), which writes a plain LoRA of rank 2r for the original base (init_lora_weights: true); that one imports here`);
  }
  if (raw.bias !== undefined && raw.bias !== 'none') throw new AdapterFormatError(`bias ${JSON.stringify(raw.bias)} is not supported; only "none"`);
  if (raw.fan_in_fan_out === true) throw new AdapterFormatError('fan_in_fan_out is true: only (out, in) weights are supported');
  const r = raw.r;
  const alpha = raw.lora_alpha ?? r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) throw new AdapterFormatError(`r must be a positive integer, got ${JSON.stringify(r)}`);
  if (typeof alpha !== 'number' || !(alpha > 0)) throw new AdapterFormatError(`lora_alpha must be a positive number, got ${JSON.stringify(alpha)}`);
  const rankPattern = (raw.rank_pattern ?? {}) as Record<string, number>;
  const alphaPattern = (raw.alpha_pattern ?? {}) as Record<string, number>;
  const useRslora = raw.use_rslora === true;

  const file = parseSafetensors(safetensors);
  const prefix = 'base_model.model.';
  const found = new Map<string, { a?: string; b?: string; m?: string }>();
  for (const t of file.tensors) {
    const m = /^(.*)\.lora_([AB])(?:\.default)?\.weight$/.exec(t.name) ?? /^(.*)\.lora_(magnitude_vector)(?:\.default)?(?:\.weight)?$/.exec(t.name);
    if (!m || !m[1].startsWith(prefix)) throw new AdapterFormatError(`unexpected tensor ${t.name}: expected ${prefix}<module>.lora_A.weight / .lora_B.weight${useDora ? ' / .lora_magnitude_vector' : ''}`);
    const path = m[1].slice(prefix.length);
    const entry = found.get(path) ?? {};
    entry[m[2] === 'A' ? 'a' : m[2] === 'B' ? 'b' : 'm'] = t.name;
    found.set(path, entry);
  }
  const modules: ParsedAdapter['modules'] = new Map();
  for (const [path, { a, b, m: magnitudeName }] of found) {
    if (!a || !b) throw new AdapterFormatError(`${path} has lora_${a ? 'A' : 'B'} but no lora_${a ? 'B' : 'A'}`);
    if (useDora && !magnitudeName) throw new AdapterFormatError(`use_dora is true but ${path} has no lora_magnitude_vector`);
    if (!useDora && magnitudeName) throw new AdapterFormatError(`${path} has a lora_magnitude_vector but use_dora is not true in adapter_config.json`);
    const ta = file.tensors.find((t) => t.name === a)!;
    const tb = file.tensors.find((t) => t.name === b)!;
    const rank = patternFor(rankPattern, path) ?? r;
    if (ta.shape.length !== 2 || tb.shape.length !== 2 || ta.shape[0] !== rank || tb.shape[1] !== rank) {
      throw new AdapterFormatError(`${path}: lora_A [${ta.shape}] and lora_B [${tb.shape}] do not match rank ${rank}`);
    }
    const moduleAlpha = patternFor(alphaPattern, path) ?? alpha;
    const tm = magnitudeName ? file.tensors.find((t) => t.name === magnitudeName)! : null;
    if (tm && (tm.shape.length !== 1 || tm.shape[0] !== tb.shape[0])) throw new AdapterFormatError(`${path}: lora_magnitude_vector [${tm.shape}] must have one value per output row (${tb.shape[0]})`);
    modules.set(path, {
      path, loraA: file.get(a), loraB: file.get(b), rank, inDim: ta.shape[1], outDim: tb.shape[0], alpha: moduleAlpha,
      scaling: useRslora ? moduleAlpha / Math.sqrt(rank) : moduleAlpha / rank,
      ...(magnitudeName ? { magnitude: file.get(magnitudeName) } : {}),
    });
  }
  if (modules.size === 0) throw new AdapterFormatError('adapter_model.safetensors holds no LoRA tensors');
  return {
    r, loraAlpha: alpha, useRslora, useDora, targetModules: raw.target_modules as string[] | string, rankPattern, alphaPattern,
    baseModelNameOrPath: (raw.base_model_name_or_path as string | null) ?? null, modules,
    layersToTransform: Array.isArray(raw.layers_to_transform) ? (raw.layers_to_transform as number[]) : typeof raw.layers_to_transform === 'number' ? [raw.layers_to_transform] : null,
    loraDropout: typeof raw.lora_dropout === 'number' ? raw.lora_dropout : 0,
  };
}

/** The two files of an adapter folder, for an adapter already in memory (e.g. an import or a combination). */
export function adapterFolderFiles(a: ParsedAdapter): Record<string, string | Uint8Array> {
  return {
    'adapter_model.safetensors': adapterSafetensors([...a.modules.values()]),
    'adapter_config.json': adapterConfigJson({
      r: a.r, loraAlpha: a.loraAlpha, useRslora: a.useRslora, rankPattern: a.rankPattern, alphaPattern: a.alphaPattern,
      targetModules: a.targetModules,
      layersToTransform: a.layersToTransform, loraDropout: a.loraDropout, baseModelNameOrPath: a.baseModelNameOrPath, useDora: a.useDora,
    }),
  };
}
