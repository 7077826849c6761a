// The page's training configuration: one record, validated with the same schema as the CLI flags
// (src/settings/schema.ts), narrowed to the ranges the controls offer, and round-tripped through
// the URL query so a shared link restores it.
import { LORA_INITS, type LoraInit } from '../lora/lora-math.ts';
import { headDimOf, LINEAR_MODULES, type LinearModule, type LlamaConfig } from '../model/config.ts';
import { OPTIMIZERS, type OptimizerKind } from '../util/optimizer-hyper.ts';
import { parseSetting, SETTINGS, type NumberSetting } from './schema.ts';

export type TaskName = 'teacher' | 'tiny-lm';

export interface PlaygroundSettings {
  task: TaskName;
  rank: number;
  alpha: number;
  /** Keep α = 2r while the rank slider moves. */
  alphaLock: boolean;
  rslora: boolean;
  /** Full fine-tuning instead of LoRA (the language-model task): every weight trains, for comparison. */
  full: boolean;
  targets: LinearModule[] | 'all-linear';
  layerFrom: number;
  layerTo: number;
  dropout: number;
  /** DoRA (PEFT's use_dora): a trained magnitude per output row. */
  dora: boolean;
  /** PEFT's init_lora_weights: 'default' (Kaiming A, B = 0), 'pissa' or 'olora' (from W's SVD / QR). */
  init: LoraInit;
  /** LoRA+: B learns at loraplusRatio × the learning rate. */
  loraplus: boolean;
  loraplusRatio: number;
  optimizer: OptimizerKind;
  lr: number;
  /** Learning-rate schedule: constant, or linear warmup then cosine decay (src/train/schedule.ts). */
  schedule: 'constant' | 'cosine';
  warmup: number;
  /** AdamW's decoupled weight decay. */
  weightDecay: number;
  /** Clip the global gradient norm to this; 0 turns clipping off. */
  maxGradNorm: number;
  batch: number;
  seq: number;
  steps: number;
  seed: number;
  /** Activation checkpointing (language models): each block keeps only its output and runs its forward again in the backward. */
  recompute: boolean;
}

export const DEFAULT_SETTINGS: PlaygroundSettings = {
  task: 'teacher', rank: 4, alpha: 8, alphaLock: true, rslora: false, full: false, targets: 'all-linear', layerFrom: 0, layerTo: 1,
  dropout: 0, dora: false, init: 'default', loraplus: false, loraplusRatio: 16, optimizer: 'adamw', lr: 0.01, schedule: 'constant', warmup: 0, weightDecay: 0, maxGradNorm: 1, batch: 4, seq: 16, steps: 60, seed: 0, recompute: false,
};

type NumberKey = 'rank' | 'alpha' | 'layerFrom' | 'layerTo' | 'dropout' | 'loraplusRatio' | 'lr' | 'warmup' | 'weightDecay' | 'maxGradNorm' | 'batch' | 'seq' | 'steps' | 'seed';

/** Each numeric control: its schema setting, narrowed where the page offers less than the CLI. */
export const CONTROLS: Record<NumberKey, NumberSetting> = {
  rank: { ...SETTINGS.rank, max: 64 },
  alpha: { ...SETTINGS.alpha, min: 1, minInclusive: true, max: 128 },
  layerFrom: { name: 'first layer', kind: 'int', default: 0, min: 0, max: 1023, description: 'first layer that gets LoRA' },
  layerTo: { name: 'last layer', kind: 'int', default: 1, min: 0, max: 1023, description: 'last layer that gets LoRA' },
  dropout: SETTINGS.dropout,
  loraplusRatio: SETTINGS['loraplus-lr-ratio'],
  lr: SETTINGS.lr, // up to 100: an absurd rate must be enterable, to see the divergence guard work
  warmup: { ...SETTINGS.warmup, max: 100_000 },
  weightDecay: SETTINGS['weight-decay'],
  maxGradNorm: { ...SETTINGS['max-grad-norm'], max: 1000 },
  batch: { ...SETTINGS.batch, max: 64 },
  seq: SETTINGS['seq-len'], // bounded by the model's context (validateSettings) and the memory check
  steps: { ...SETTINGS.steps, max: 100_000 },
  seed: SETTINGS.seed,
};

/** What limits the controls beyond their fixed ranges: the chosen model or layer. */
export interface SettingsContext {
  maxRank: number; // min(in, out) over the targeted layers
  layers: number;
  context: number; // max sequence length
}

/**
 * "Try it"'s first prompt for the tiny Llama: a line of corpus A ("caps", what byte-caps learned)
 * cut after a letter. The base completes the pair and goes on with the line ("Z eE…", pairs
 * separated by spaces); the adapter trained on corpus B ("lines") ends the pair with a newline
 * ("Z\n…"). A prompt already in B's format ("qQ\naA\nz") hides that: the base copies the
 * newlines it sees. src/app/try-it.gpu.test.ts checks that the two differ after the default run.
 */
export const TRY_PROMPT = 'qQ aA z';

/** Teacher size on the page: d = 64 with a true rank of 4, 64 rows per step. */
export const PAGE_TEACHER = { dim: 64, trueRank: 4, tokens: 64 };

/** Limits the controls need to know: the targeted layers' sizes and the model's depth and context. */
export function settingsContextFor(s: PlaygroundSettings, c: LlamaConfig): SettingsContext {
  if (s.task === 'teacher') return { maxRank: PAGE_TEACHER.dim, layers: CONTROLS.layerTo.max + 1, context: CONTROLS.seq.max }; // layers and sequences do not apply
  const hd = headDimOf(c);
  const sizes: Record<LinearModule, number> = {
    q_proj: Math.min(c.hidden_size, c.num_attention_heads * hd), k_proj: Math.min(c.hidden_size, c.num_key_value_heads * hd), v_proj: Math.min(c.hidden_size, c.num_key_value_heads * hd),
    o_proj: Math.min(c.hidden_size, c.num_attention_heads * hd), gate_proj: Math.min(c.hidden_size, c.intermediate_size), up_proj: Math.min(c.hidden_size, c.intermediate_size), down_proj: Math.min(c.hidden_size, c.intermediate_size),
  };
  const targets = s.targets === 'all-linear' ? LINEAR_MODULES : s.targets;
  // Full fine-tuning has no rank: nothing limits the slider beyond its range.
  return { maxRank: s.full ? CONTROLS.rank.max : Math.min(...targets.map((t) => sizes[t])), layers: c.num_hidden_layers, context: c.max_position_embeddings };
}

/** Null when valid; otherwise the reason for each field at fault. */
export function settingsErrors(s: PlaygroundSettings, ctx: SettingsContext): Partial<Record<NumberKey | 'targets', string>> {
  const errors: Partial<Record<NumberKey | 'targets', string>> = {};
  for (const key of Object.keys(CONTROLS) as NumberKey[]) {
    try {
      parseSetting(CONTROLS[key], s[key]);
    } catch (err) {
      errors[key] = (err as Error).message;
    }
  }
  if (!errors.rank && s.rank > ctx.maxRank) errors.rank = `rank ${s.rank} is larger than min(in, out) = ${ctx.maxRank} of the targeted layers`;
  if (!errors.layerTo && s.layerTo >= ctx.layers) errors.layerTo = `the model has layers 0..${ctx.layers - 1}`;
  if (!errors.layerFrom && s.layerFrom > s.layerTo) errors.layerFrom = 'the first layer must not come after the last';
  if (!errors.seq && s.seq > ctx.context) errors.seq = `sequence length must be ≤ the model's context of ${ctx.context}`;
  if (s.targets !== 'all-linear' && s.targets.length === 0) errors.targets = 'choose at least one target module';
  if (!errors.dropout && s.dora && s.dropout > 0 && !s.full) errors.dropout = 'DoRA runs here without lora_dropout: set dropout to 0 or turn DoRA off';
  return errors;
}

export function settingsToQuery(s: PlaygroundSettings): string {
  const q = new URLSearchParams();
  q.set('task', s.task);
  q.set('optimizer', s.optimizer);
  q.set('schedule', s.schedule);
  for (const key of Object.keys(CONTROLS) as NumberKey[]) q.set(key, String(s[key]));
  q.set('targets', s.targets === 'all-linear' ? 'all-linear' : s.targets.join(','));
  q.set('alphaLock', s.alphaLock ? '1' : '0');
  q.set('rslora', s.rslora ? '1' : '0');
  q.set('full', s.full ? '1' : '0');
  q.set('dora', s.dora ? '1' : '0');
  q.set('recompute', s.recompute ? '1' : '0');
  q.set('init', s.init);
  q.set('loraplus', s.loraplus ? '1' : '0');
  return q.toString();
}

/**
 * Settings from a query string: each valid value taken; a parameter that is absent keeps
 * `fallback`'s value (the page passes what localStorage saved), and an invalid one takes
 * `defaults`' value (the page's defaults, not a value saved earlier: a link's mistake should not
 * silently turn into whatever this browser last used), reported with the parameter's name and
 * the value used instead.
 */
export function settingsFromQuery(query: string, fallback: PlaygroundSettings = DEFAULT_SETTINGS, defaults: PlaygroundSettings = DEFAULT_SETTINGS): { settings: PlaygroundSettings; problems: string[] } {
  const q = new URLSearchParams(query);
  const settings = { ...fallback };
  const problems: string[] = [];
  const invalid = <K extends keyof PlaygroundSettings>(key: K, reason: string) => {
    settings[key] = defaults[key];
    const value = defaults[key];
    problems.push(`link parameter ${key}: ${reason}; using the default, ${Array.isArray(value) ? value.join(',') : String(value)}`);
  };
  const task = q.get('task');
  if (task !== null) {
    if (task === 'teacher' || task === 'tiny-lm') settings.task = task;
    else invalid('task', `'${task}' is not one of teacher, tiny-lm`);
  }
  const optimizer = q.get('optimizer');
  if (optimizer !== null) {
    if ((OPTIMIZERS as readonly string[]).includes(optimizer)) settings.optimizer = optimizer as OptimizerKind;
    else invalid('optimizer', `'${optimizer}' is not one of ${OPTIMIZERS.join(', ')}`);
  }
  const schedule = q.get('schedule');
  if (schedule !== null) {
    if (schedule === 'constant' || schedule === 'cosine') settings.schedule = schedule;
    else invalid('schedule', `'${schedule}' is not one of constant, cosine`);
  }
  for (const key of Object.keys(CONTROLS) as NumberKey[]) {
    const raw = q.get(key);
    if (raw === null) continue;
    try {
      settings[key] = parseSetting(CONTROLS[key], raw);
    } catch (err) {
      invalid(key, (err as Error).message);
    }
  }
  const targets = q.get('targets');
  if (targets !== null) {
    const names = targets.split(',').filter(Boolean);
    if (targets === 'all-linear') settings.targets = 'all-linear';
    else if (names.length && names.every((n) => (LINEAR_MODULES as readonly string[]).includes(n))) settings.targets = names as LinearModule[];
    else invalid('targets', `'${targets}' must be all-linear or names from ${LINEAR_MODULES.join(', ')}`);
  }
  if (q.has('alphaLock')) settings.alphaLock = q.get('alphaLock') === '1';
  if (q.has('rslora')) settings.rslora = q.get('rslora') === '1';
  if (q.has('full')) settings.full = q.get('full') === '1';
  if (q.has('dora')) settings.dora = q.get('dora') === '1';
  if (q.has('recompute')) settings.recompute = q.get('recompute') === '1';
  if (q.has('loraplus')) settings.loraplus = q.get('loraplus') === '1';
  const init = q.get('init');
  if (init !== null) {
    if ((LORA_INITS as readonly string[]).includes(init)) settings.init = init as LoraInit;
    else invalid('init', `'${init}' is not one of ${LORA_INITS.join(', ')}`);
  }
  // The α = 2r lock holds from the start: a link's α that disagrees with it is named, not shown locked.
  const locked = Math.min(CONTROLS.alpha.max, 2 * settings.rank);
  if (settings.alphaLock && settings.alpha !== locked) {
    if (q.has('alpha')) problems.push(`link parameter alpha: ${settings.alpha} is not 2r = ${locked} while α = 2r is locked; using ${locked} (add alphaLock=0 to keep ${settings.alpha})`);
    settings.alpha = locked;
  }
  return { settings, problems };
}

/** The trainer's options that the page's settings choose. */
export function trainerSettings(s: Pick<PlaygroundSettings, 'steps' | 'optimizer' | 'lr' | 'maxGradNorm' | 'schedule' | 'warmup' | 'weightDecay'> & Partial<Pick<PlaygroundSettings, 'loraplus' | 'loraplusRatio'>>) {
  return {
    steps: s.steps, optimizer: s.optimizer, lr: s.lr, maxGradNorm: s.maxGradNorm > 0 ? s.maxGradNorm : null, weightDecay: s.weightDecay,
    loraplusLrRatio: s.loraplus ? (s.loraplusRatio ?? 16) : null,
    schedule: s.schedule === 'cosine' ? { kind: 'cosine' as const, warmupSteps: s.warmup } : { kind: 'constant' as const },
  };
}
