// Moving a LoRA adapter between a LlamaModel on the GPU and the PEFT format in memory.
import { ExactMerge } from '../lora/exact-merge.ts';
import { readTensor, writeTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { llamaCheckpointFiles } from '../io/hf-checkpoint.ts';
import type { AdapterConfigFields, ParsedAdapter, ParsedAdapterModule } from '../io/peft.ts';
import type { Dtype } from '../io/safetensors.ts';
import type { LoraInjectionConfig } from '../lora/injection.ts';
import type { LoRALinear } from '../lora/lora-linear.ts';
import type { LlamaModel, TrainingMode } from '../model/llama-model.ts';
import { LINEAR_MODULES, llamaParameterShapes, type LlamaConfig } from '../model/config.ts';

export class AdapterMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterMismatchError';
  }
}

/** The LoRA layout an adapter needs: exactly its modules, each with its own rank and α. */
export function adapterInjection(adapter: ParsedAdapter, extra: Partial<LoraInjectionConfig> = {}): LoraInjectionConfig {
  const modules = new Map([...adapter.modules].map(([path, m]) => [path, { rank: m.rank, alpha: m.alpha }]));
  return { targetModules: 'all-linear', r: adapter.r, loraAlpha: adapter.loraAlpha, useRslora: adapter.useRslora, useDora: adapter.useDora ?? false, ...extra, modules };
}

export function adapterMode(adapter: ParsedAdapter): TrainingMode {
  return { kind: 'lora', lora: adapterInjection(adapter) };
}

/** Null when the model's LoRA layers have the adapter's modules, shapes and scalings; otherwise why not. */
export function layoutDifference(model: LlamaModel, adapter: ParsedAdapter): string | null {
  const layers = new Map(model.linears.filter((l) => l.lora).map((l) => [l.path, l.lora!]));
  for (const [path, m] of adapter.modules) {
    const layer = layers.get(path);
    if (!layer) return `the model has no LoRA layer at ${path}`;
    const c = layer.config;
    if (c.inFeatures !== m.inDim || c.outFeatures !== m.outDim) return `${path} is ${c.outFeatures}×${c.inFeatures} in the model but ${m.outDim}×${m.inDim} in the adapter`;
    if (c.rank !== m.rank) return `${path} has rank ${c.rank} in the model but ${m.rank} in the adapter`;
    if (Math.abs(layer.scaling - m.scaling) > 1e-6 * Math.abs(m.scaling)) return `${path} scales by ${layer.scaling} in the model but ${m.scaling} in the adapter`;
    if (!!layer.dora !== !!m.magnitude) return `${path} ${layer.dora ? 'is' : 'is not'} a DoRA layer in the model, but the adapter ${m.magnitude ? 'has' : 'has no'} a magnitude vector`;
    if (layer.initialFactors) return `${path} holds a ${layer.config.init} residual base (W − s·B₀·A₀), not the original weights`;
  }
  if (layers.size !== adapter.modules.size) return `the model has ${layers.size} LoRA layers, the adapter ${adapter.modules.size}`;
  return null;
}

const LLAMA_LINEAR = new RegExp(`^model\\.layers\\.\\d+\\.(self_attn|mlp)\\.(${LINEAR_MODULES.join('|')})$`);

/**
 * Null when every module of the adapter is a linear layer of a model with `config`, of the same
 * shape (out × in); otherwise what does not fit. With no config, only that its modules are named
 * like a Llama's linear layers (model.layers.N.self_attn.q_proj, …). Checked before an adapter
 * goes into a library, so what cannot be activated is refused at once.
 */
export function adapterModelMismatch(adapter: ParsedAdapter, config: LlamaConfig | null, modelName = 'the model'): string | null {
  const shapes = config ? llamaParameterShapes(config) : null;
  const moduleShape = (m: ParsedAdapterModule) => `${m.outDim}×${m.inDim}`;
  for (const [path, m] of adapter.modules) {
    if (!LLAMA_LINEAR.test(path)) {
      const teacher = adapter.modules.size === 1 && (path === 'layer' || path === 'student');
      return `its module ${path} (${moduleShape(m)}) is not a linear layer of a language model (model.layers.N.self_attn.q_proj … mlp.down_proj)${teacher ? ": it is the low-rank teacher's adapter, for its one layer, which no language model has" : ''}`;
    }
    if (!shapes) continue;
    const shape = shapes.get(`${path}.weight`);
    if (!shape) return `${modelName} has no layer ${path} (it has ${config!.num_hidden_layers} layers, 0–${config!.num_hidden_layers - 1})`;
    if (shape[0] !== m.outDim || shape[1] !== m.inDim) return `${path} is ${shape[0]}×${shape[1]} in ${modelName} but ${moduleShape(m)} in the adapter`;
  }
  return null;
}

/** Writes the adapter's A and B into the model's LoRA layers (same layout required). */
export function writeAdapter(gpu: Gpu, model: LlamaModel, adapter: ParsedAdapter): void {
  const why = layoutDifference(model, adapter);
  if (why) throw new AdapterMismatchError(`this adapter does not fit the model: ${why}`);
  for (const l of model.linears) {
    if (!l.lora) continue;
    if (l.lora.merged) throw new AdapterMismatchError(`${l.path} is merged; unmerge before switching adapters`);
    const m = adapter.modules.get(l.path)!;
    writeTensor(gpu, l.lora.loraA, m.loraA);
    writeTensor(gpu, l.lora.loraB, m.loraB);
    if (l.lora.dora && m.magnitude) writeTensor(gpu, l.lora.dora.magnitude, m.magnitude);
  }
}

/**
 * The model then computes exactly the base: every B zeroed (s·H·0 adds nothing), DoRA's magnitude
 * back to ‖W‖ (g = 1); a PiSSA / OLoRA layer gets its initial A₀, B₀ back (W − s·B₀·A₀ + s·B₀·A₀).
 */
export function clearAdapter(gpu: Gpu, model: LlamaModel): void {
  for (const l of model.linears) {
    if (!l.lora) continue;
    if (l.lora.initialFactors) {
      writeTensor(gpu, l.lora.loraA, l.lora.initialFactors.loraA);
      writeTensor(gpu, l.lora.loraB, l.lora.initialFactors.loraB);
    } else writeTensor(gpu, l.lora.loraB, new Float32Array(l.lora.loraB.numel));
    l.lora.resetMagnitude();
  }
}

/**
 * PEFT's conversion of a PiSSA / OLoRA adapter to a plain LoRA on the original base
 * (save_pretrained(path_initial_model_for_weight_conversion=…), LoraModel.subtract_mutated_init):
 * W_res + s·B·A = W + s·(B·A − B₀·A₀) = W + s·[B | −B₀]·[A ; A₀], so A' = [A ; A₀] (2r, in) and
 * B' = [B | −B₀] (out, 2r), with α doubled (α·√2 under rsLoRA) to keep s.
 */
export function plainLoraOfDecomposed(m: ParsedAdapterModule, initial: { loraA: Float32Array; loraB: Float32Array }, useRslora: boolean): ParsedAdapterModule {
  const { rank: r, inDim, outDim } = m;
  const loraA = new Float32Array(2 * r * inDim);
  loraA.set(m.loraA);
  loraA.set(initial.loraA, r * inDim);
  const loraB = new Float32Array(outDim * 2 * r);
  for (let o = 0; o < outDim; o++) {
    for (let p = 0; p < r; p++) {
      loraB[o * 2 * r + p] = m.loraB[o * r + p];
      loraB[o * 2 * r + r + p] = -initial.loraB[o * r + p];
    }
  }
  return { ...m, loraA, loraB, rank: 2 * r, alpha: useRslora ? m.alpha * Math.SQRT2 : 2 * m.alpha };
}

/** One layer's adapter as PEFT saves it: DoRA's magnitude included, a PiSSA / OLoRA layer converted (plainLoraOfDecomposed). */
export async function readLayerAdapter(gpu: Gpu, path: string, lora: LoRALinear): Promise<ParsedAdapterModule> {
  const c = lora.config;
  const m: ParsedAdapterModule = {
    path, loraA: await readTensor(gpu, lora.loraA), loraB: await readTensor(gpu, lora.loraB),
    rank: c.rank, inDim: c.inFeatures, outDim: c.outFeatures, alpha: c.alpha, scaling: lora.scaling,
    ...(lora.dora ? { magnitude: await readTensor(gpu, lora.dora.magnitude) } : {}),
  };
  return lora.initialFactors ? plainLoraOfDecomposed(m, lora.initialFactors, c.useRslora) : m;
}

/** The config fields of what readLayerAdapter wrote: use_dora, and r, α and the patterns doubled for a converted PiSSA / OLoRA adapter. */
export function savedConfigFields(fields: AdapterConfigFields, layers: readonly LoRALinear[]): AdapterConfigFields {
  const useDora = layers.some((l) => l.dora);
  if (!layers.some((l) => l.initialFactors)) return { ...fields, useDora };
  if (fields.useRslora && (Object.keys(fields.rankPattern).length || Object.keys(fields.alphaPattern).length)) {
    throw new AdapterMismatchError('a PiSSA / OLoRA adapter with rsLoRA and rank or alpha patterns cannot be converted to a plain LoRA (PEFT refuses it too); drop the patterns or rsLoRA');
  }
  const doubled = (p: Record<string, number>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, 2 * v]));
  return {
    ...fields, useDora, r: 2 * fields.r, loraAlpha: fields.useRslora ? fields.loraAlpha * Math.SQRT2 : 2 * fields.loraAlpha,
    rankPattern: doubled(fields.rankPattern), alphaPattern: doubled(fields.alphaPattern),
  };
}

/** The model's current adapter, read back from the GPU, with the config fields it was built from. */
export async function readAdapter(gpu: Gpu, model: LlamaModel, fields: AdapterConfigFields): Promise<ParsedAdapter> {
  const modules = new Map<string, ParsedAdapterModule>();
  for (const l of model.linears) if (l.lora) modules.set(l.path, await readLayerAdapter(gpu, l.path, l.lora));
  const saved = savedConfigFields(fields, model.linears.flatMap((l) => (l.lora ? [l.lora] : [])));
  return {
    r: saved.r, loraAlpha: saved.loraAlpha, useRslora: saved.useRslora, useDora: saved.useDora, targetModules: saved.targetModules,
    rankPattern: saved.rankPattern, alphaPattern: saved.alphaPattern, baseModelNameOrPath: saved.baseModelNameOrPath,
    layersToTransform: saved.layersToTransform, loraDropout: saved.loraDropout, modules,
  };
}

/**
 * The merged model as an HF checkpoint (base + every adapter folded in on the GPU, read back,
 * then the saved base copied back bit for bit), plus extra files such as the tokenizer's. Layers
 * already merged are read as they are.
 */
export async function mergedCheckpointFiles(gpu: Gpu, model: LlamaModel, dtype: Dtype = 'F32', extra: Record<string, string> = {}): Promise<Record<string, string | Uint8Array>> {
  const merging = new ExactMerge(gpu, model.linears.filter((l) => l.lora).map((l) => ({ path: l.path, lora: l.lora! })));
  await merging.merge();
  const merged = new Map<string, Float32Array>();
  try {
    for (const [name, tensor] of model.weights) merged.set(name, await readTensor(gpu, tensor));
  } finally {
    merging.unmerge();
  }
  return { ...llamaCheckpointFiles(model.config, merged, dtype), ...extra };
}
