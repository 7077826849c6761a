// One table of settings (name, type, default, range): the CLI flags, and later the UI controls
// and the URL, are all validated here and nowhere else.

export interface NumberSetting {
  name: string;
  kind: 'int' | 'float';
  default: number;
  min: number;
  max: number;
  /** Whether `min` itself is allowed (alpha must be > 0, not ≥ 0). */
  minInclusive?: boolean;
  description: string;
}

export const SETTINGS = {
  in: { name: 'in', kind: 'int', default: 4096, min: 1, max: 1 << 20, description: 'input features of the linear layer' },
  out: { name: 'out', kind: 'int', default: 4096, min: 1, max: 1 << 20, description: 'output features of the linear layer' },
  rank: { name: 'rank', kind: 'int', default: 8, min: 1, max: 1024, description: 'LoRA rank r (≤ min(in, out))' },
  alpha: { name: 'alpha', kind: 'float', default: 16, min: 0, minInclusive: false, max: 4096, description: 'LoRA alpha; scaling s = α/r' },
  dropout: { name: 'dropout', kind: 'float', default: 0, min: 0, max: 0.9, description: 'lora_dropout: dropout on X before A, training only' },
  steps: { name: 'steps', kind: 'int', default: 200, min: 1, max: 1_000_000, description: 'optimizer steps' },
  lr: { name: 'lr', kind: 'float', default: 0.01, min: 0, minInclusive: false, max: 100, description: 'peak learning rate (AdamW)' },
  seed: { name: 'seed', kind: 'int', default: 0, min: 0, max: 2 ** 31 - 1, description: 'seed of initialisation and data order' },
  dim: { name: 'dim', kind: 'int', default: 256, min: 1, max: 4096, description: 'low-rank teacher: size d of the d×d layer' },
  'true-rank': { name: 'true-rank', kind: 'int', default: 4, min: 1, max: 4096, description: 'low-rank teacher: true rank k of ΔW*' },
  tokens: { name: 'tokens', kind: 'int', default: 64, min: 1, max: 65536, description: 'low-rank teacher: rows of X per step' },
  batch: { name: 'batch', kind: 'int', default: 8, min: 1, max: 1024, description: 'sequences per step' },
  'seq-len': { name: 'seq-len', kind: 'int', default: 32, min: 2, max: 32768, description: 'tokens per sequence (at most the model’s max_position_embeddings; the memory estimate bounds it further)' },
  'weight-decay': { name: 'weight-decay', kind: 'float', default: 0, min: 0, max: 10, description: 'AdamW decoupled weight decay' },
  'max-grad-norm': { name: 'max-grad-norm', kind: 'float', default: 1, min: 0, max: 1e6, description: 'clip the global gradient norm (0: no clipping)' },
  warmup: { name: 'warmup', kind: 'int', default: 0, min: 0, max: 1_000_000, description: 'warmup steps of the cosine schedule' },
  'checkpoint-every': { name: 'checkpoint-every', kind: 'int', default: 0, min: 0, max: 1_000_000, description: 'write the adapter to DIR/checkpoints every K steps (0: only on Ctrl-C)' },
  'gpu-memory': { name: 'gpu-memory', kind: 'float', default: 4, min: 0, minInclusive: false, max: 1024, description: 'GPU memory (GiB) a run may use; checked before anything is allocated' },
  weights: { name: 'weights', kind: 'float', default: 1, min: -100, max: 100, description: 'weight of an adapter in a combination' },
  'loraplus-lr-ratio': { name: 'loraplus-lr-ratio', kind: 'float', default: 16, min: 1, max: 1024, description: 'LoRA+: lr of B = λ·lr of A (with --loraplus; PEFT docs suggest 16)' },
  'eval-every': { name: 'eval-every', kind: 'int', default: 0, min: 0, max: 1_000_000, description: 'validation loss every K steps (0: never)' },
} as const satisfies Record<string, NumberSetting>;

export type SettingName = keyof typeof SETTINGS;

export class SettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingError';
  }
}

/** Parses and range-checks one value; the error names the setting, the value and the range. */
export function parseSetting(setting: NumberSetting, raw: string | number): number {
  const text = String(raw).trim();
  const value = text === '' ? NaN : Number(text);
  const range = `${setting.minInclusive === false ? '>' : '≥'} ${setting.min} and ≤ ${setting.max}`;
  if (!Number.isFinite(value)) throw new SettingError(`${setting.name} must be a number ${range}, got '${raw}'`);
  if (setting.kind === 'int' && !Number.isInteger(value)) throw new SettingError(`${setting.name} must be a whole number, got ${text}`);
  const belowMin = setting.minInclusive === false ? value <= setting.min : value < setting.min;
  if (belowMin || value > setting.max) throw new SettingError(`${setting.name} must be ${range}, got ${text}`);
  return value;
}
