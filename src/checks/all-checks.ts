// Every kernel check, in a stable order: the list Node and the browser both run.
import type { KernelCheck } from './check.ts';
import { biasChecks } from './bias-checks.ts';
import { groupChecks } from './group-checks.ts';
import { helperChecks } from './helper-checks.ts';
import { loraChecks } from './lora-checks.ts';
import { matmulChecks } from './matmul-checks.ts';
import { packedChecks } from './packed-checks.ts';
import { transformerChecks } from './transformer-checks.ts';
import { variantChecks } from './variant-checks.ts';

/** `device.quadKernels`: whether the device runs the quad matmul and attention, whose checks are then included. */
export function allKernelChecks(device: { quadKernels: boolean }): KernelCheck[] {
  return [...matmulChecks(device.quadKernels), ...loraChecks(), ...groupChecks(), ...helperChecks(), ...transformerChecks(device.quadKernels), ...biasChecks(), ...packedChecks(device.quadKernels), ...variantChecks()];
}
