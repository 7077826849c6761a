// Trainable parameters of a LoRA on one linear layer, updated as the inputs change.
import { useState } from 'react';
import { summarizeLayerParameters, validateLoRAShape } from '../lora/lora-math.ts';
import { parseSetting, SETTINGS, type SettingName } from '../settings/schema.ts';

type LayerInputs = Record<'in' | 'out' | 'rank', string>;

export function ParameterPanel() {
  const [inputs, setInputs] = useState<LayerInputs>({ in: '4096', out: '4096', rank: '8' });
  let error = '';
  let summary = null;
  try {
    const [inDim, outDim, rank] = (['in', 'out', 'rank'] as const).map((name) => parseSetting(SETTINGS[name], inputs[name]));
    validateLoRAShape(inDim, outDim, rank);
    summary = summarizeLayerParameters(inDim, outDim, rank);
  } catch (err) {
    error = (err as Error).message;
  }
  const field = (name: SettingName & keyof LayerInputs, label: string) => (
    <label className="field">
      <span>{label}</span>
      <input
        type="number"
        name={name}
        value={inputs[name]}
        min={SETTINGS[name].min}
        max={SETTINGS[name].max}
        onChange={(e) => setInputs({ ...inputs, [name]: e.target.value })}
        aria-describedby="param-error"
      />
    </label>
  );
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    <section className="panel">
      <h2>What LoRA trains on one layer</h2>
      <div className="fields">
        {field('in', 'in features')}
        {field('out', 'out features')}
        {field('rank', 'rank r')}
      </div>
      {summary ? (
        <dl className="facts" data-testid="param-summary">
          <dt>Full layer (frozen)</dt>
          <dd>{n(summary.full)}</dd>
          <dt>LoRA trainable r·(in+out)</dt>
          <dd>{n(summary.trainable)}</dd>
          <dt>Trainable share</dt>
          <dd>{summary.percent.toFixed(2)} %</dd>
          <dt>Fewer trainable parameters</dt>
          <dd>{Number.isInteger(summary.fewer) ? n(summary.fewer) : summary.fewer.toFixed(1)}×</dd>
        </dl>
      ) : (
        <p id="param-error" className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
