// Reads schema settings from parsed CLI flags: one place turns `--name value` into a validated
// number, with the schema's default when the flag is absent.
import { parseSetting, SETTINGS, SettingError, type SettingName } from '../settings/schema.ts';
import { OPTIMIZERS, type OptimizerKind } from '../train/optimizer.ts';
import type { ParsedArgs } from './args.ts';

export function numberFlag(args: ParsedArgs, name: SettingName, fallback?: number): number {
  const raw = args.flags.get(name);
  if (raw === true) throw new SettingError(`--${name} needs a value`);
  if (raw === undefined) return fallback ?? SETTINGS[name].default;
  return parseSetting(SETTINGS[name], raw);
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const raw = args.flags.get(name);
  if (raw === true) throw new SettingError(`--${name} needs a value`);
  return raw;
}

/** `--optimizer adamw|sgd` (AdamW when absent). */
export function optimizerFlag(args: ParsedArgs): OptimizerKind {
  const raw = stringFlag(args, 'optimizer') ?? 'adamw';
  if (!(OPTIMIZERS as readonly string[]).includes(raw)) throw new SettingError(`--optimizer must be ${OPTIMIZERS.join(' or ')}, got ${raw}`);
  return raw as OptimizerKind;
}
