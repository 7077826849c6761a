// What the current rank and targets mean for real models (dimensions from their published
// config.json): trainable parameters as PEFT prints them, and training memory for weights,
// gradients and Adam's two moments, full fine-tuning against LoRA, at fp32 and fp16/bf16.
import { modelParameterSummary, peftTrainableLine } from '../lora/model-params.ts';
import { PRESETS } from '../model/presets.ts';
import { useMemo } from 'react';
import type { LinearModule } from '../model/config.ts';
import { useWorkbench } from '../store/workbench-store.ts';

const GB = (bytes: number) => `${(bytes / 1e9).toFixed(bytes < 1e9 ? 3 : 1)} GB`;

export function memoryRow(base: number, trainable: number, bytesPerValue: number) {
  return {
    weights: base * bytesPerValue,
    full: { gradients: base * bytesPerValue, adam: 2 * base * bytesPerValue },
    lora: { gradients: trainable * bytesPerValue, adam: 2 * trainable * bytesPerValue },
  };
}

export function ScalePanel() {
  const task = useWorkbench((x) => x.settings.task);
  const rank = useWorkbench((x) => x.settings.rank);
  const alpha = useWorkbench((x) => x.settings.alpha);
  const chosen = useWorkbench((x) => x.settings.targets);
  const targets = task === 'teacher' ? 'all-linear' : chosen;
  return useMemo(() => <ScaleTable rank={rank} alpha={alpha} targets={targets} />, [rank, alpha, targets]);
}

function ScaleTable({ rank, alpha, targets }: { rank: number; alpha: number; targets: 'all-linear' | LinearModule[] }) {
  const s = { rank, alpha };
  return (
    <section className="panel panel-wide" aria-labelledby="scale-title">
      <h2 id="scale-title">At scale: rank {s.rank} on {targets === 'all-linear' ? 'all linear layers' : targets.join(', ')}</h2>
      <table className="table" aria-label="scale calculator">
        <thead>
          <tr><th>model</th><th>PEFT's line</th><th>precision</th><th>weights</th><th>full FT: gradients + Adam</th><th>LoRA: gradients + Adam</th></tr>
        </thead>
        <tbody>
          {Object.entries(PRESETS).flatMap(([name, config]) => {
            const summary = modelParameterSummary(config, { targetModules: targets, r: s.rank, loraAlpha: s.alpha });
            return ([['fp32', 4], ['fp16/bf16', 2]] as const).map(([precision, bytes], i) => {
              const m = memoryRow(summary.base, summary.trainable, bytes);
              return (
                <tr key={`${name}-${precision}`} data-testid={`scale-${name}-${bytes}`}>
                  {i === 0 && <td rowSpan={2}>{name}</td>}
                  {i === 0 && <td rowSpan={2} className="mono small">{peftTrainableLine(summary)}</td>}
                  <td>{precision}</td>
                  <td>{GB(m.weights)}</td>
                  <td>{GB(m.full.gradients)} + {GB(m.full.adam)}</td>
                  <td>{GB(m.lora.gradients)} + {GB(m.lora.adam)}</td>
                </tr>
              );
            });
          })}
        </tbody>
      </table>
      <p className="note">Full fine-tuning of a 7B model in fp16 holds about 14 GB of weight updates (gradients) plus 28 GB of Adam state on top of the weights; LoRA keeps the weights frozen and needs those only for A and B.</p>
    </section>
  );
}
