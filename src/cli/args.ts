// Flag parsing for the CLI: node:util's parseArgs, strict, its options generated from one table of
// each command's flags. Numeric flags are the settings table's (src/settings/schema.ts): parsed as
// text here and checked by the table in flags.ts; the help text (help.ts) is written from the same
// tables. `--name value`, `--name=value` and boolean `--flag`; every command takes --help; a
// negative number is a value (`--weights -1,1`), so the table's range check can name it.
import { parseArgs as parseNodeArgs, type ParseArgsConfig } from 'node:util';
import type { SettingName } from '../settings/schema.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  command: string | undefined;
  flags: Map<string, string | true>;
  positional: string[];
}

interface CommandFlags {
  /** Numeric flags: names of the settings table. */
  numbers: SettingName[];
  /** Flags that take text (paths, names, lists). */
  strings: string[];
  booleans: string[];
}

const TRAIN_NUMBERS: SettingName[] = ['rank', 'alpha', 'steps', 'lr', 'seed', 'dim', 'true-rank', 'tokens', 'batch', 'seq-len', 'weight-decay', 'max-grad-norm', 'warmup', 'eval-every', 'dropout', 'gpu-memory', 'checkpoint-every', 'loraplus-lr-ratio'];

/** Every command's flags: the one place a flag is declared (its help: SETTINGS, or TEXT_FLAGS in help.ts). */
export const COMMAND_FLAGS: Record<string, CommandFlags> = {
  params: { numbers: ['in', 'out', 'rank'], strings: ['preset', 'config', 'targets', 'layers'], booleans: ['json'] },
  train: {
    numbers: TRAIN_NUMBERS,
    strings: ['task', 'targets', 'layers', 'out', 'schedule', 'model', 'hub-endpoint', 'rank-pattern', 'alpha-pattern', 'merged-dtype', 'text', 'save', 'library', 'optimizer', 'init-lora-weights'],
    booleans: ['rslora', 'full', 'quiet', 'use-dora', 'loraplus', 'recompute'],
  },
  pretrain: { numbers: ['steps', 'lr', 'seed'], strings: ['out'], booleans: ['quiet', 'check'] },
  eval: { numbers: ['batch', 'seq-len', 'gpu-memory'], strings: ['model', 'hub-endpoint', 'adapter', 'text', 'logits'], booleans: [] },
  adapters: { numbers: [], strings: ['library', 'as', 'how', 'weights'], booleans: ['json'] },
  'bench-promises': { numbers: ['batch', 'seq-len', 'dim', 'tokens', 'steps'], strings: ['out', 'real-layers', 'real-steps', 'real-seq-len'], booleans: ['skip-real-shape', 'real-shape-only'] },
  inspect: { numbers: [], strings: [], booleans: ['json'] },
  gpu: { numbers: [], strings: [], booleans: [] },
  help: { numbers: [], strings: [], booleans: [] },
};

function flagList(spec: CommandFlags): string {
  return [...spec.numbers, ...spec.strings, ...spec.booleans, 'help'].map((k) => `--${k}`).join(', ');
}

/** Splits argv into the command and its flags, refusing unknown, repeated or valueless flags in one line. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command, ...rest] = argv;
  const spec = command !== undefined ? COMMAND_FLAGS[command] : undefined;
  if (!spec) return { command, flags: new Map(), positional: rest.filter((a) => !a.startsWith('--')) }; // main names the unknown command
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const name of [...spec.numbers, ...spec.strings]) options[name] = { type: 'string' };
  for (const name of [...spec.booleans, 'help']) options[name] = { type: 'boolean' };
  // A value that starts with a dash (a negative number) is joined to its flag, so it stays a value.
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const name = rest[i].startsWith('--') ? rest[i].slice(2) : null;
    if (name && options[name]?.type === 'string' && /^-[\d.]/.test(rest[i + 1] ?? '')) args.push(`${rest[i]}=${rest[++i]}`);
    else args.push(rest[i]);
  }
  let parsed: ReturnType<typeof parseNodeArgs<{ args: string[]; options: typeof options; strict: true; allowPositionals: true; tokens: true }>>;
  try {
    parsed = parseNodeArgs({ args, options, strict: true, allowPositionals: true, tokens: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const flag = /'(-{1,2}[^' <]+)/.exec(e.message)?.[1] ?? '';
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown flag ${flag} (known: ${flagList(spec)})`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = flag.replace(/^-+/, '');
      throw new UsageError(options[name]?.type === 'boolean' ? `--${name} takes no value` : `--${name} needs a value`);
    }
    throw new UsageError(e.message);
  }
  const flags = new Map<string, string | true>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (flags.has(token.name)) throw new UsageError(`--${token.name} given twice`);
    flags.set(token.name, token.value ?? true);
  }
  return { command, flags, positional: parsed.positionals };
}

/** Throws on any flag not in `known` (a command whose sub-commands take fewer flags than it declares). */
export function rejectUnknownFlags(args: ParsedArgs, known: readonly string[]): void {
  for (const name of args.flags.keys()) {
    if (!known.includes(name)) throw new UsageError(`unknown flag --${name} (known: ${known.map((k) => `--${k}`).join(', ')})`);
  }
}

