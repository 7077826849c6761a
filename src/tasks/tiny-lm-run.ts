import type { ParsedArgs } from '../cli/args.ts';
import type { Gpu } from '../gpu/device.ts';
import type { TaskRun } from './task-run.ts';

export async function createTinyLmRun(_gpu: Gpu, _args: ParsedArgs): Promise<TaskRun> {
  throw new Error('tiny-lm: not built yet');
}
