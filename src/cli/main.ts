// The `lora-playground` command: the engine in Node, no React. Errors are one line and a
// non-zero exit, never a stack trace.
import { GpuError } from '../gpu/errors.ts';
import { InjectionError } from '../lora/injection.ts';
import { SettingError } from '../settings/schema.ts';
import { parseArgs, UsageError } from './args.ts';
import { gpuCommand } from './gpu-command.ts';
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

const USAGE = `usage: lora-playground <command> [flags]

commands:
  params --in N --out N --rank R [--json]   trainable parameters of a LoRA on one linear layer
  params --preset NAME | --config FILE [--rank R --targets q_proj,v_proj|all-linear --layers 0,1]
                                            the same for a whole model, in PEFT's format
  train --task low-rank-teacher|tiny-lm [--rank R --alpha A --targets q_proj,v_proj --steps N
        --seed S --lr LR --optimizer adamw|sgd --max-grad-norm G --out DIR ...]
                                            train on the GPU; one JSON line per step
  pretrain [--steps N --seed S --out DIR --check]
                                            pretrain the bundled base (npm run pretrain)
  train --task text --model DIR|hf:ORG/NAME[@REV]|URL --text FILE [--save NAME --library DIR ...]
                                            LoRA on your own HF Llama folder (or a Hub model, downloaded
                                            to ~/.cache/lora-playground/hub; --hub-endpoint URL) and text
  eval --model DIR|hf:ORG/NAME [--adapter DIR] --text FILE [--logits OUT.safetensors] [--seq-len N --batch N]
                                            mean cross-entropy (nats/token) with or without an adapter
  adapters list | delete NAME | import DIR --as NAME | combine A B --as NAME --how cat|linear [--weights 1,1]
                                            the adapter library (--library DIR, default ./adapters)
  bench-promises [--out FILE]               LoRA's step-time, memory and merge promises, measured (npm run bench)
  inspect FILE [--json]                     tensors and metadata of a safetensors file, or of each in a .zip
  gpu                                       the WebGPU adapter Node sees (Dawn)`;

/** Errors caused by what the user gave us: one line naming the problem, exit 2. */
const USER_ERRORS = [
  UsageError, SettingError, InjectionError, GpuError, RangeError, ConfigError, SafetensorsError, AdapterFormatError, AdapterMismatchError,
  CombineError, MemoryBudgetError, TextDataError, TokenizerError, AdapterNameError, HubError,
];

/** Runs one command; returns the exit code. */
export async function main(argv: readonly string[], out = console.log, err = console.error): Promise<number> {
  try {
    const args = parseArgs(argv);
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
      case undefined:
      case 'help':
      case '--help':
        out(USAGE);
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
