// The `lora-playground` command: the engine in Node, no React. Errors are one line and a
// non-zero exit, never a stack trace.
import { GpuError } from '../gpu/errors.ts';
import { SettingError } from '../settings/schema.ts';
import { parseArgs, UsageError } from './args.ts';
import { gpuCommand } from './gpu-command.ts';
import { paramsCommand } from './params-command.ts';
import { TRAIN_BOOLEAN_FLAGS, trainCommand } from './train-command.ts';
import { NonFiniteError } from '../train/trainer.ts';

const USAGE = `usage: lora-playground <command> [flags]

commands:
  params --in N --out N --rank R [--json]   trainable parameters of a LoRA on one linear layer
  train --task low-rank-teacher|tiny-lm [--rank R --alpha A --targets q_proj,v_proj --steps N
        --seed S --lr LR --out DIR ...]        train on the GPU; one JSON line per step
  gpu                                       the WebGPU adapter Node sees (Dawn)`;

/** Runs one command; returns the exit code. */
export async function main(argv: readonly string[], out = console.log, err = console.error): Promise<number> {
  try {
    const args = parseArgs(argv, new Set(['json', 'help', ...TRAIN_BOOLEAN_FLAGS]));
    switch (args.command) {
      case 'params':
        out(paramsCommand(args));
        return 0;
      case 'train':
        return await trainCommand(args, out);
      case 'gpu':
        out(await gpuCommand());
        return 0;
      case undefined:
      case 'help':
      case '--help':
        out(USAGE);
        return args.command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${args.command}' (try: lora-playground help)`);
    }
  } catch (error) {
    if (error instanceof NonFiniteError) {
      err(`lora-playground: ${error.message}`);
      return 3;
    }
    if (error instanceof UsageError || error instanceof SettingError || error instanceof GpuError || error instanceof RangeError) {
      err(`lora-playground: ${error.message}`);
      return 2;
    }
    err(`lora-playground: unexpected error: ${(error as Error).message ?? error}`);
    return 1;
  }
}
