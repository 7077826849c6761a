// Every kernel check, in a stable order: the list Node and the browser both run.
import type { KernelCheck } from './check.ts';
import { helperChecks } from './helper-checks.ts';
import { loraChecks } from './lora-checks.ts';
import { matmulChecks } from './matmul-checks.ts';
import { transformerChecks } from './transformer-checks.ts';

export function allKernelChecks(): KernelCheck[] {
  return [...matmulChecks(), ...loraChecks(), ...helperChecks(), ...transformerChecks()];
}
