// `lora-playground params --in 4096 --out 4096 --rank 8`: what a LoRA on one linear layer trains.
import { summarizeLayerParameters, validateLoRAShape } from '../lora/lora-math.ts';
import { SettingError } from '../settings/schema.ts';
import { rejectUnknownFlags, type ParsedArgs } from './args.ts';
import { numberFlag } from './flags.ts';

const FLAGS = ['in', 'out', 'rank', 'json'];

export function paramsCommand(args: ParsedArgs): string {
  rejectUnknownFlags(args, FLAGS);
  const [inDim, outDim, rank] = [numberFlag(args, 'in'), numberFlag(args, 'out'), numberFlag(args, 'rank')];
  try {
    validateLoRAShape(inDim, outDim, rank);
  } catch (err) {
    throw new SettingError((err as Error).message);
  }
  const s = summarizeLayerParameters(inDim, outDim, rank);
  if (args.flags.has('json')) {
    return JSON.stringify({ in: inDim, out: outDim, rank, full: s.full, trainable: s.trainable, percent: s.percent, fewer: s.fewer });
  }
  const n = (x: number) => x.toLocaleString('en-US');
  const fewer = Number.isInteger(s.fewer) ? n(s.fewer) : s.fewer.toFixed(1);
  return [
    `Linear layer ${n(outDim)} × ${n(inDim)} (out × in), LoRA rank ${rank}`,
    `  full layer:      ${n(s.full)} parameters (frozen)`,
    `  LoRA trainable:  ${n(s.trainable)} parameters = r·(in + out) = ${rank}·(${n(inDim)} + ${n(outDim)})`,
    `  trainable share: ${s.percent.toFixed(2)} % of the layer`,
    `  ${fewer}× fewer trainable parameters than fine-tuning the layer`,
  ].join('\n');
}
