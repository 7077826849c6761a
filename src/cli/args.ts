// Minimal flag parsing for the CLI: `--name value`, `--name=value` and boolean `--flag`.

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

export function parseArgs(argv: readonly string[], booleanFlags: ReadonlySet<string> = new Set()): ParsedArgs {
  const [command, ...rest] = argv;
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!name) throw new UsageError(`bad flag '${arg}'`);
    if (flags.has(name)) throw new UsageError(`--${name} given twice`);
    if (eq !== -1) flags.set(name, arg.slice(eq + 1));
    else if (booleanFlags.has(name)) flags.set(name, true);
    else if (i + 1 < rest.length && !/^--[a-z]/i.test(rest[i + 1])) flags.set(name, rest[++i]);
    else throw new UsageError(`--${name} needs a value`);
  }
  return { command, flags, positional };
}

/** Throws on any flag not in `known`, suggesting the list. */
export function rejectUnknownFlags(args: ParsedArgs, known: readonly string[]): void {
  for (const name of args.flags.keys()) {
    if (!known.includes(name)) throw new UsageError(`unknown flag --${name} (known: ${known.map((k) => `--${k}`).join(', ')})`);
  }
}
