// The PEFT LoRA adapter format (what PeftModel.from_pretrained loads): adapter_model.safetensors
// with keys base_model.model.<module path>.lora_{A,B}.weight, and adapter_config.json.
import { serializeSafetensors, type TensorToWrite } from './safetensors.ts';

export interface AdapterModule {
  path: string; // e.g. model.layers.0.self_attn.q_proj
  loraA: Float32Array; // (r, in)
  loraB: Float32Array; // (out, r)
  rank: number;
  inDim: number;
  outDim: number;
}

export interface AdapterConfigFields {
  r: number;
  loraAlpha: number;
  targetModules: string[] | 'all-linear';
  useRslora: boolean;
  layersToTransform: number[] | null;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  loraDropout: number;
  baseModelNameOrPath: string | null;
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
    use_dora: false,
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
  }
  return serializeSafetensors(tensors, { format: 'pt' });
}
