// Train a fresh LoRA adapter on the loaded text, then keep it in the library.
import { useLibraryBlocked } from './busy.ts';
import { useState } from 'react';
import { saveActiveAdapter, stopTraining, trainAdapter } from '../app/actions.ts';
import type { LinearModule } from '../model/config.ts';
import { usePlayground } from '../store/playground-store.ts';

const TARGET_CHOICES: Record<string, LinearModule[] | 'all-linear'> = { 'all-linear': 'all-linear', 'q_proj,v_proj': ['q_proj', 'v_proj'] };

export function TrainPanel() {
  const base = usePlayground((s) => s.base);
  const training = usePlayground((s) => s.training);
  const active = usePlayground((s) => s.active);
  const busy = useLibraryBlocked();
  const [form, setForm] = useState({ rank: 4, alpha: 8, targets: 'all-linear', steps: 40, lr: 0.02, batch: 8, seq: 32 });
  const [name, setName] = useState('my-adapter');
  if (!base) return null;
  const number = (key: keyof typeof form, label: string, min: number, max: number, step = 1) => (
    <label className="field">
      {label}
      <input type="number" aria-label={`${label} (library)`} min={min} max={max} step={step} value={form[key]}
        onChange={(e) => setForm({ ...form, [key]: Number(e.target.value) })} />
    </label>
  );
  const last = training?.points.at(-1);
  const first = training?.points[0];
  return (
    <section className="panel" aria-labelledby="train-title">
      <h2 id="train-title">Train an adapter on this text</h2>
      <div className="fields">
        {number('rank', 'rank', 1, 64)}
        {number('alpha', 'alpha', 1, 128)}
        <label className="field">
          targets
           <select aria-label="targets (library)" value={form.targets} onChange={(e) => setForm({ ...form, targets: e.target.value })}>
            {Object.keys(TARGET_CHOICES).map((k) => <option key={k}>{k}</option>)}
          </select>
        </label>
        {number('steps', 'steps', 1, 10000)}
        {number('lr', 'learning rate', 0.0001, 1, 0.001)}
        {number('batch', 'batch', 1, 64)}
        {number('seq', 'sequence length', 2, base.context)}
      </div>
      <div className="fields">
        <button type="button" disabled={!!busy}
          onClick={() => void trainAdapter({ ...form, seq: Math.min(form.seq, base.context), targets: TARGET_CHOICES[form.targets], rslora: false, dropout: 0, seed: 0 })}>Train adapter</button>
        <button type="button" disabled={!training?.running} onClick={stopTraining}>Stop</button>
      </div>
      {training && first && last && (
        <p className="note" data-testid="train-progress">
          step {last.step} of {training.steps}: loss {first.loss.toFixed(4)} → {last.loss.toFixed(4)}
          {last.valLoss !== undefined && `, validation ${last.valLoss.toFixed(4)}`}
        </p>
      )}
      {active === 'unsaved' && !training?.running && (
        <div className="fields">
          <label className="field">
            adapter name
            <input aria-label="adapter name" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <button type="button" disabled={!!busy} onClick={() => void saveActiveAdapter(name)}>Save to library</button>
        </div>
      )}
    </section>
  );
}
