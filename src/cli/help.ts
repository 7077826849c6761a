// Help text, written from the tables that declare the flags: each command's flags are
// COMMAND_FLAGS's (src/cli/args.ts); a numeric flag's meaning, range and default come from the
// settings table (src/settings/schema.ts), the other flags' from TEXT_FLAGS below. `lora-playground
// help` lists the commands; `lora-playground COMMAND --help` (or `help COMMAND`) lists one's flags.
import { LORA_INITS } from '../lora/lora-math.ts';
import { SETTINGS, type NumberSetting, type SettingName } from '../settings/schema.ts';
import { OPTIMIZERS } from '../train/optimizer.ts';
import { COMMAND_FLAGS } from './args.ts';

/** A flag that is not a number of the settings table: its value (none for a switch) and what it does. */
export interface TextFlag {
  value?: string;
  description: string;
}

export const TEXT_FLAGS: Record<string, TextFlag> = {
  help: { description: 'this help' },
  json: { description: 'print JSON instead of text' },
  quiet: { description: 'print only the last step and the summary' },
  preset: { value: 'NAME', description: 'a model from src/model/presets.ts (llama-2-7b, llama-3-8b, llama-3.2-1b, tinyllama-1.1b, smollm2-135m)' },
  config: { value: 'FILE', description: "a model's config.json" },
  targets: { value: 'LIST', description: 'target_modules: q_proj,v_proj,… or all-linear' },
  layers: { value: 'LIST', description: 'layers_to_transform: layer indices such as 0,1 (default: every layer)' },
  task: { value: 'low-rank-teacher|tiny-lm|text', description: 'what to train: the teacher layer, the bundled tiny Llama on corpus B, or --model on --text' },
  out: { value: 'DIR', description: 'where to write the results' },
  schedule: { value: 'constant|cosine', description: 'learning-rate schedule (cosine: linear --warmup, then decay to 0); default constant' },
  optimizer: { value: OPTIMIZERS.join('|'), description: 'optimizer; default adamw' },
  model: { value: 'DIR|hf:ORG/NAME[@REV]|URL', description: 'an HF Llama/Mistral/Qwen2 folder, or a Hub model (downloaded to ~/.cache/lora-playground/hub)' },
  'hub-endpoint': { value: 'URL', description: 'the Hub server for --model hf:… (default $HF_ENDPOINT or https://huggingface.co)' },
  'rank-pattern': { value: 'MODULE=R,…', description: "rank_pattern: another rank for modules whose path ends in MODULE" },
  'alpha-pattern': { value: 'MODULE=A,…', description: 'alpha_pattern: another alpha for modules whose path ends in MODULE' },
  'merged-dtype': { value: 'base|f32|f16|bf16', description: "dtype of the merged export (base: the checkpoint's own, the default)" },
  text: { value: 'FILE', description: 'a .txt file (one document) or .jsonl with a "text" field per line' },
  save: { value: 'NAME', description: 'save the adapter to the library under NAME' },
  library: { value: 'DIR', description: 'the adapter library (default ./adapters)' },
  'init-lora-weights': { value: LORA_INITS.join('|'), description: "PEFT's init_lora_weights: default (Kaiming-uniform A, zero B, the default), or PiSSA's or OLoRA's start" },
  rslora: { description: 'rank-stabilised LoRA: s = α/√r' },
  full: { description: 'full fine-tuning instead of LoRA (every weight trains), for comparison' },
  'use-dora': { description: "DoRA (PEFT's use_dora): a learned magnitude per output row" },
  loraplus: { description: 'LoRA+: B learns --loraplus-lr-ratio times faster than A' },
  recompute: { description: 'activation checkpointing (language models): each block keeps only its output and runs its forward again in the backward; fewer bytes, a slower step' },
  check: { description: 'retrain with the settings in pretrain.json and compare, writing nothing' },
  adapter: { value: 'DIR', description: 'a PEFT adapter folder to evaluate with (default: the base alone)' },
  logits: { value: 'FILE', description: "write the first sequence's logits as safetensors" },
  as: { value: 'NAME', description: 'the name of the new adapter' },
  how: { value: 'cat|linear', description: "how to combine (PEFT's add_weighted_adapter); default cat" },
  weights: { value: 'W1,W2', description: 'the weight of each adapter in a combination (default 1,1)' },
  'skip-real-shape': { description: 'leave out the measurement at a real model’s shape' },
  'real-shape-only': { description: 'measure only at a real model’s shape' },
  'real-layers': { value: 'N', description: 'layers of the real-shape measurement' },
  'real-steps': { value: 'N', description: 'steps of the real-shape measurement' },
  'real-seq-len': { value: 'N', description: 'sequence length of the real-shape measurement' },
};

interface CommandHelp {
  usage: string;
  summary: string;
  /** What a flag means or defaults to in this command, where it differs from its table. */
  notes?: Record<string, string>;
}

export const COMMAND_HELP: Record<string, CommandHelp> = {
  params: {
    usage: 'params --in N --out N --rank R | --preset NAME | --config FILE [--rank R --targets … --layers …]',
    summary: "trainable parameters of a LoRA on one linear layer, or on a whole model in PEFT's format",
    notes: { targets: 'target_modules for a model: q_proj,v_proj,… or all-linear (default q_proj,v_proj)' },
  },
  train: {
    usage: 'train --task low-rank-teacher|tiny-lm|text [flags]',
    summary: 'train on the GPU (Dawn): one JSON line per step; --out DIR gets the PEFT adapter (with train_lora.py for a cluster) and the merged weights',
    notes: { alpha: 'default 2·rank', lr: 'default 0.01 (tiny-lm: 0.02)', targets: 'target_modules: q_proj,v_proj,… or all-linear (the default)', out: 'write DIR/adapter, DIR/merged and checkpoints in DIR/checkpoints' },
  },
  pretrain: {
    usage: 'pretrain [--steps N --seed S --lr LR --out DIR --check]',
    summary: 'pretrain the bundled base (npm run pretrain)',
    notes: { steps: 'default: pretrain.json’s', seed: 'default: pretrain.json’s', lr: 'default: pretrain.json’s', out: 'the model folder (default public/models/byte-caps)' },
  },
  eval: {
    usage: 'eval --model DIR|hf:ORG/NAME --text FILE [--adapter DIR --logits OUT.safetensors --seq-len N --batch N]',
    summary: 'mean cross-entropy (nats per token) of the text, with or without an adapter',
    notes: { batch: 'default 1', 'seq-len': "default: the model's max_position_embeddings" },
  },
  adapters: {
    usage: 'adapters list | delete NAME | import DIR --as NAME | combine A B --as NAME [--how cat|linear --weights 1,1]',
    summary: 'the adapter library (--library DIR, default ./adapters)',
  },
  'bench-promises': {
    usage: 'bench-promises [--out FILE]',
    summary: "LoRA's step-time, memory and merge promises, measured (npm run bench)",
    notes: { out: 'the JSON file to write (default bench/promises.json)', batch: 'default 16', 'seq-len': 'default 32', dim: 'default 1024', tokens: 'default 256', steps: 'default 10' },
  },
  inspect: { usage: 'inspect FILE [--json]', summary: 'tensors and metadata of a safetensors file, or of each one in a .zip' },
  gpu: { usage: 'gpu', summary: 'the WebGPU adapter Node sees (Dawn)' },
  help: { usage: 'help [COMMAND]', summary: 'this list, or one command’s flags' },
};

function numberLine(setting: NumberSetting, note: string | undefined): string {
  const low = setting.minInclusive === false ? `> ${setting.min}` : `${setting.min}`;
  const kind = setting.kind === 'int' ? 'whole number' : 'number';
  return `${setting.description} (${kind} ${low} … ${setting.max}; ${note ?? `default ${setting.default}`})`;
}

/** One command's usage, summary and every flag it takes, or null for an unknown command. */
export function commandHelp(command: string): string | null {
  const spec = COMMAND_FLAGS[command];
  const help = COMMAND_HELP[command];
  if (!spec || !help) return null;
  const rows: [string, string][] = [
    ...spec.numbers.map((name): [string, string] => [`--${name} N`, numberLine(SETTINGS[name as SettingName], help.notes?.[name])]),
    ...[...spec.strings, ...spec.booleans, 'help'].map((name): [string, string] => {
      const flag = TEXT_FLAGS[name];
      const value = spec.strings.includes(name) ? ` ${flag?.value ?? 'VALUE'}` : '';
      return [`--${name}${value}`, help.notes?.[name] ?? flag?.description ?? ''];
    }),
  ];
  const width = Math.min(32, Math.max(...rows.map(([f]) => f.length)));
  const lines = rows.map(([flag, text]) => (flag.length > width ? `  ${flag}\n  ${' '.repeat(width)}  ${text}` : `  ${flag.padEnd(width)}  ${text}`));
  return [`usage: lora-playground ${help.usage}`, help.summary, '', 'flags:', ...lines].join('\n');
}

/** Every command, one or two lines each. */
export function usage(): string {
  const lines = Object.entries(COMMAND_HELP).map(([, h]) => `  ${h.usage}\n      ${h.summary}`);
  return ['usage: lora-playground <command> [flags]   (lora-playground <command> --help: its flags)', '', 'commands:', ...lines].join('\n');
}
