// Reads schema settings from parsed CLI flags: one place turns `--name value` into a validated
// number, with the schema's default when the flag is absent.
import { parseSetting, SETTINGS, SettingError, type SettingName } from '../settings/schema.ts';
import { LORA_INITS, type LoraInit } from '../lora/lora-math.ts';
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

/** The LoRA variant: `--use-dora` and `--init-lora-weights default|pissa|olora` (PEFT's names). */
export function loraVariantFlags(args: ParsedArgs): { useDora: boolean; init: LoraInit } {
  const init = stringFlag(args, 'init-lora-weights') ?? 'default';
  if (!(LORA_INITS as readonly string[]).includes(init)) throw new SettingError(`--init-lora-weights must be ${LORA_INITS.join(', ')}, got ${init}`);
  return { useDora: args.flags.has('use-dora'), init: init as LoraInit };
}

/** LoRA+: `--loraplus` turns it on, `--loraplus-lr-ratio λ` (16 when absent) sets B's factor; null when off. */
export function loraplusFlag(args: ParsedArgs): number | null {
  if (!args.flags.has('loraplus')) {
    if (args.flags.has('loraplus-lr-ratio')) throw new SettingError('--loraplus-lr-ratio needs --loraplus');
    return null;
  }
  return numberFlag(args, 'loraplus-lr-ratio');
}

/** `--optimizer adamw|sgd` (AdamW when absent). */
export function optimizerFlag(args: ParsedArgs): OptimizerKind {
  const raw = stringFlag(args, 'optimizer') ?? 'adamw';
  if (!(OPTIMIZERS as readonly string[]).includes(raw)) throw new SettingError(`--optimizer must be ${OPTIMIZERS.join(' or ')}, got ${raw}`);
  return raw as OptimizerKind;
}
