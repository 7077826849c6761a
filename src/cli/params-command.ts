// `lora-playground params`: what a LoRA trains.
//   --in N --out N --rank R                   one linear layer (the seed's example)
//   --preset NAME | --config config.json      a whole Llama-architecture model, with --rank,
//                                             --targets and --layers; prints PEFT's line
import { readFileSync } from 'node:fs';
import { parseTargetModules } from '../lora/injection.ts';
import { summarizeLayerParameters, validateLoRAShape } from '../lora/lora-math.ts';
import { modelParameterSummary, peftTrainableLine } from '../lora/model-params.ts';
import { ConfigError, validateLlamaConfig, type LlamaConfig } from '../model/config.ts';
import { PRESETS } from '../model/presets.ts';
import { SettingError } from '../settings/schema.ts';
import { UsageError, type ParsedArgs } from './args.ts';
import { numberFlag, stringFlag } from './flags.ts';

const n = (x: number) => x.toLocaleString('en-US');

export function paramsCommand(args: ParsedArgs): string {
  if (args.flags.has('preset') || args.flags.has('config')) return modelParams(args);
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
  const fewer = Number.isInteger(s.fewer) ? n(s.fewer) : s.fewer.toFixed(1);
  return [
    `Linear layer ${n(outDim)} × ${n(inDim)} (out × in), LoRA rank ${rank}`,
    `  full layer:      ${n(s.full)} parameters (frozen)`,
    `  LoRA trainable:  ${n(s.trainable)} parameters = r·(in + out) = ${rank}·(${n(inDim)} + ${n(outDim)})`,
    `  trainable share: ${s.percent.toFixed(2)} % of the layer`,
    `  ${fewer}× fewer trainable parameters than fine-tuning the layer`,
  ].join('\n');
}

function loadConfig(args: ParsedArgs): { name: string; config: LlamaConfig } {
  const preset = stringFlag(args, 'preset');
  if (preset !== undefined) {
    const config = PRESETS[preset];
    if (!config) throw new UsageError(`unknown preset '${preset}' (known: ${Object.keys(PRESETS).join(', ')})`);
    return { name: preset, config };
  }
  const path = stringFlag(args, 'config')!;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return { name: path, config: validateLlamaConfig(JSON.parse(text)) };
  } catch (err) {
    if (err instanceof SyntaxError) throw new UsageError(`${path} is not valid JSON: ${err.message}`);
    if (err instanceof ConfigError) throw new UsageError(`${path}: ${err.message}`);
    throw err;
  }
}

function modelParams(args: ParsedArgs): string {
  const { name, config } = loadConfig(args);
  const rank = numberFlag(args, 'rank');
  const targets = parseTargetModules(stringFlag(args, 'targets') ?? 'q_proj,v_proj');
  const layersText = stringFlag(args, 'layers');
  const layers = layersText === undefined ? null : layersText.split(',').map(Number);
  let s;
  try {
    s = modelParameterSummary(config, { targetModules: targets, r: rank, loraAlpha: 2 * rank, layersToTransform: layers });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (args.flags.has('json')) return JSON.stringify({ model: name, rank, targets, ...s });
  const modules = Object.entries(s.perModule).filter(([, v]) => v > 0);
  return [
    `${name}: ${n(s.base)} base parameters, LoRA rank ${rank} on ${targets === 'all-linear' ? 'all-linear' : targets.join(', ')}`,
    ...modules.map(([m, v]) => `  ${m.padEnd(10)} ${n(v)}`),
    peftTrainableLine(s),
  ].join('\n');
}
