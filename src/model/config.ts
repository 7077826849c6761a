// The Llama configuration, with Hugging Face's config.json keys, its validation, and the names
// and shapes of its parameters as LlamaForCausalLM names them. Mistral (MistralForCausalLM) is the
// same network with the same parameter names; its one difference, sliding-window attention, only
// matters for sequences longer than the window, and those are refused (checkSequenceFits).
// Qwen2 (Qwen2ForCausalLM) adds one thing for us: biases on q_proj, k_proj and v_proj
// (hasQkvBias); its optional sliding window is refused the same way when use_sliding_window is set.

/** The architectures this engine runs, and the class transformers loads each with. */
export const ARCHITECTURES = { llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM' } as const;
export type ModelType = keyof typeof ARCHITECTURES;

export interface LlamaConfig {
  model_type: ModelType;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  rms_norm_eps: number;
  rope_theta: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
  head_dim?: number;
  /** Mistral: each token attends to at most this many positions (null: no window). */
  sliding_window?: number | null;
  /** Qwen2: whether sliding_window applies at all (false in most released configs). */
  use_sliding_window?: boolean;
  /** Qwen2: layers from this index on use the window (kept for export; see attentionWindow). */
  max_window_layers?: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const LINEAR_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LinearModule = (typeof LINEAR_MODULES)[number];

export function headDimOf(c: LlamaConfig): number {
  return c.head_dim ?? c.hidden_size / c.num_attention_heads;
}

/** Qwen2's q/k/v projections have a bias of shape (out_features); o_proj and the MLP have none. */
export function hasQkvBias(c: LlamaConfig): boolean {
  return c.model_type === 'qwen2';
}

/** Whether `module` adds a bias after its matmul in this architecture. */
export function linearHasBias(c: LlamaConfig, module: LinearModule): boolean {
  return hasQkvBias(c) && (module === 'q_proj' || module === 'k_proj' || module === 'v_proj');
}

/**
 * The sliding window attention would use, or null for full causal attention. Qwen2 applies its
 * window only with use_sliding_window (and then from layer max_window_layers on, which is not
 * modelled: any sequence longer than the window is refused for every layer, see checkSequenceFits).
 */
export function attentionWindow(c: LlamaConfig): number | null {
  if (c.model_type === 'qwen2' && !c.use_sliding_window) return null;
  return c.sliding_window ?? null;
}

/** Checks every size before anything is allocated; the message names the key and the fix. */
export function validateLlamaConfig(raw: unknown): LlamaConfig {
  if (typeof raw !== 'object' || raw === null) throw new ConfigError('config must be a JSON object');
  const c = raw as Record<string, unknown>;
  if (typeof c.model_type !== 'string' || !Object.hasOwn(ARCHITECTURES, c.model_type)) {
    const names = Object.entries(ARCHITECTURES).map(([type, cls]) => `'${type}' (${cls})`);
    const supported = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    throw new ConfigError(`model_type '${String(c.model_type)}' is not supported; ${supported} are`);
  }
  const window = c.sliding_window;
  if (window !== undefined && window !== null && (typeof window !== 'number' || !Number.isInteger(window) || window < 1)) {
    throw new ConfigError(`sliding_window must be a whole number ≥ 1 or null, got ${JSON.stringify(window)}`);
  }
  if (c.use_sliding_window !== undefined && typeof c.use_sliding_window !== 'boolean') {
    throw new ConfigError(`use_sliding_window must be true or false, got ${JSON.stringify(c.use_sliding_window)}`);
  }
  const maxWindowLayers = c.max_window_layers;
  if (maxWindowLayers !== undefined && (typeof maxWindowLayers !== 'number' || !Number.isInteger(maxWindowLayers) || maxWindowLayers < 0)) {
    throw new ConfigError(`max_window_layers must be a whole number ≥ 0, got ${JSON.stringify(maxWindowLayers)}`);
  }
  const limits: [keyof LlamaConfig, number][] = [
    ['vocab_size', 1 << 20], ['hidden_size', 1 << 16], ['intermediate_size', 1 << 18], ['num_hidden_layers', 1024],
    ['num_attention_heads', 1024], ['num_key_value_heads', 1024], ['max_position_embeddings', 1 << 20],
  ];
  for (const [key, max] of limits) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
      throw new ConfigError(`${key} must be a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
    }
  }
  for (const key of ['rms_norm_eps', 'rope_theta'] as const) {
    const v = c[key];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ConfigError(`${key} must be a positive number, got ${JSON.stringify(v)}`);
  }
  const config = { tie_word_embeddings: false, ...c } as unknown as LlamaConfig;
  if ((config.head_dim as number | null | undefined) === null) delete config.head_dim; // Mistral's configs may say null: hidden / heads
  if (config.hidden_size % config.num_attention_heads !== 0 && config.head_dim === undefined) {
    throw new ConfigError(`num_attention_heads (${config.num_attention_heads}) must divide hidden_size (${config.hidden_size})`);
  }
  if (config.num_attention_heads % config.num_key_value_heads !== 0) {
    throw new ConfigError(`num_key_value_heads (${config.num_key_value_heads}) must divide num_attention_heads (${config.num_attention_heads})`);
  }
  const headDim = headDimOf(config);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new ConfigError(`the head dimension must be an even whole number, got ${headDim}`);
  return config;
}

/**
 * Refuses a sequence longer than a Mistral (or Qwen2 with use_sliding_window) model's sliding
 * window, naming it: attention here is full causal attention, which equals sliding-window
 * attention only up to the window's length.
 */
export function checkSequenceFits(c: LlamaConfig, seq: number): void {
  const window = attentionWindow(c);
  if (window !== null && seq > window) {
    throw new ConfigError(`this ${c.model_type} model has sliding_window ${window}, shorter than the sequence length ${seq}: attention over a sliding window is not implemented, so use sequences of at most ${window} tokens`);
  }
}

/** Every parameter's HF name and shape, in a stable order. */
export function llamaParameterShapes(c: LlamaConfig): Map<string, number[]> {
  const d = c.hidden_size;
  const hd = headDimOf(c);
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [c.vocab_size, d]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    shapes.set(`${p}.input_layernorm.weight`, [d]);
    for (const [module, heads] of [['q_proj', c.num_attention_heads], ['k_proj', c.num_key_value_heads], ['v_proj', c.num_key_value_heads]] as const) {
      shapes.set(`${p}.self_attn.${module}.weight`, [heads * hd, d]);
      if (linearHasBias(c, module)) shapes.set(`${p}.self_attn.${module}.bias`, [heads * hd]); // after its weight, as HF orders them
    }
    shapes.set(`${p}.self_attn.o_proj.weight`, [d, c.num_attention_heads * hd]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [d]);
    shapes.set(`${p}.mlp.gate_proj.weight`, [c.intermediate_size, d]);
    shapes.set(`${p}.mlp.up_proj.weight`, [c.intermediate_size, d]);
    shapes.set(`${p}.mlp.down_proj.weight`, [d, c.intermediate_size]);
  }
  shapes.set('model.norm.weight', [d]);
  if (!c.tie_word_embeddings) shapes.set('lm_head.weight', [c.vocab_size, d]);
  return shapes;
}

/** The module path of a linear layer, e.g. model.layers.0.self_attn.q_proj. */
export function linearPath(layer: number, module: LinearModule): string {
  const block = module === 'gate_proj' || module === 'up_proj' || module === 'down_proj' ? 'mlp' : 'self_attn';
  return `model.layers.${layer}.${block}.${module}`;
}

/**
 * Weights as a fresh model would start: N(0, 0.02) like HF's initializer_range, norms at 1.
 * Qwen2's q/k/v biases get N(0, 0.02) too, where HF starts them at 0: nonzero biases make every
 * test of a generated model exercise the bias path.
 */
export function initLlamaWeights(c: LlamaConfig, random: () => number): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  for (const [name, shape] of llamaParameterShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    if (name.endsWith('norm.weight')) values.fill(1);
    else for (let i = 0; i < n; i++) values[i] = 0.02 * normal();
    weights.set(name, values);
  }
  return weights;
}
