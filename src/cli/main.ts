// The `lora-playground` command: the engine in Node, no React. Errors are one line and a
// non-zero exit, never a stack trace.
import { GpuError } from '../gpu/errors.ts';
import { InjectionError } from '../lora/injection.ts';
import { SettingError } from '../settings/schema.ts';
import { parseArgs, UsageError } from './args.ts';
import { gpuCommand } from './gpu-command.ts';
import { commandHelp, usage } from './help.ts';
import { inspectCommand } from './inspect-command.ts';
import { paramsCommand } from './params-command.ts';
import { pretrainCommand } from './pretrain-command.ts';
import { trainCommand } from './train-command.ts';
import { NonFiniteError } from '../train/trainer.ts';
import { CombineError } from '../adapters/combine.ts';
import { AdapterNameError } from '../adapters/names.ts';
import { AdapterMismatchError } from '../adapters/model-adapter.ts';
import { TextDataError } from '../data/text-dataset.ts';
import { TokenizerError } from '../data/tokenizer.ts';
import { AdapterFormatError } from '../io/peft.ts';
import { SafetensorsError } from '../io/safetensors.ts';
import { HubError } from '../io/hub.ts';
import { ConfigError } from '../model/config.ts';
import { MemoryBudgetError } from '../model/memory-estimate.ts';
import { adaptersCommand } from './adapters-command.ts';
import { benchPromisesCommand } from './bench-promises-command.ts';
import { evalCommand } from './eval-command.ts';

/** Errors caused by what the user gave us: one line naming the problem, exit 2. */
const USER_ERRORS = [
  UsageError, SettingError, InjectionError, GpuError, RangeError, ConfigError, SafetensorsError, AdapterFormatError, AdapterMismatchError,
  CombineError, MemoryBudgetError, TextDataError, TokenizerError, AdapterNameError, HubError,
];

/** Runs one command; returns the exit code. */
export async function main(argv: readonly string[], out = console.log, err = console.error): Promise<number> {
  try {
    const args = parseArgs(argv);
    // `COMMAND --help` (even among other flags): that command's flags, nothing run.
    if (args.command !== undefined && args.flags.has('help')) {
      out(commandHelp(args.command) ?? usage());
      return 0;
    }
    switch (args.command) {
      case 'params':
        out(paramsCommand(args));
        return 0;
      case 'train':
        return await trainCommand(args, out);
      case 'eval':
        return await evalCommand(args, out);
      case 'bench-promises':
        return await benchPromisesCommand(args, out);
      case 'adapters':
        out(adaptersCommand(args));
        return 0;
      case 'inspect':
        out(await inspectCommand(args));
        return 0;
      case 'pretrain':
        return await pretrainCommand(args, out);
      case 'gpu':
        out(await gpuCommand());
        return 0;
      case 'help': {
        const about = args.positional[0];
        const text = about === undefined ? usage() : commandHelp(about);
        if (text === null) throw new UsageError(`no command '${about}' (try: lora-playground help)`);
        out(text);
        return 0;
      }
      case undefined:
      case '--help':
      case '-h':
        out(usage());
        return args.command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${args.command}' (try: lora-playground help)`);
    }
  } catch (error) {
    if (error instanceof HubError && error.kind === 'cancelled') {
      err(`lora-playground: ${error.message}`);
      return 130;
    }
    if (error instanceof NonFiniteError) {
      err(`lora-playground: ${error.message}`);
      return 3;
    }
    if (USER_ERRORS.some((kind) => error instanceof kind)) {
      err(`lora-playground: ${(error as Error).message}`);
      return 2;
    }
    err(`lora-playground: unexpected error: ${(error as Error).message ?? error}`);
    return 1;
  }
}
