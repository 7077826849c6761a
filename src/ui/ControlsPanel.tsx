// Every training control, driven by the settings schema: values outside a control's range
// cannot be entered (sliders and bounded inputs), and a value the context forbids shows why.
import { controller, settingsContext } from '../app/controller.ts';
import { LINEAR_MODULES, type LinearModule } from '../model/config.ts';
import { CONTROLS, settingsErrors, type PlaygroundSettings } from '../settings/playground-settings.ts';
import { usePlayground } from '../store/playground-store.ts';
import { useWorkbenchBlocked } from './busy.ts';
import { useWorkbench } from '../store/workbench-store.ts';

type NumberKey = keyof typeof CONTROLS;
const updateSettings = (partial: Partial<PlaygroundSettings>) => controller().updateSettings(partial);

export function ControlsPanel() {
  const s = useWorkbench((x) => x.settings);
  const status = useWorkbench((x) => x.status);
  const problems = useWorkbench((x) => x.settingsProblems);
  const base = usePlayground((x) => x.base); // the language-model task trains the loaded model (bundled by default)
  const ctx = settingsContext(s);
  const errors = settingsErrors(s, ctx);
  const running = status === 'running' || status === 'pausing';
  const isTeacher = s.task === 'teacher';
  const slider = (key: NumberKey, label: string, max = CONTROLS[key].max, step = 1) => (
    <label className="control">
      <span>{label} <output data-testid={`value-${key}`}>{s[key]}</output></span>
      <input type="range" aria-label={label} min={CONTROLS[key].min} max={max} step={step} value={s[key]} disabled={running}
        onChange={(e) => updateSettings({ [key]: Number(e.target.value) } as Partial<PlaygroundSettings>)} />
      {errors[key] && <span className="error" role="alert">{errors[key]}</span>}
    </label>
  );
  const number = (key: NumberKey, label: string, step = 1, disabled = false) => (
    <label className="control">
      <span>{label}</span>
      <input type="number" aria-label={label} min={CONTROLS[key].min} max={CONTROLS[key].max} step={step} value={s[key]} disabled={running || disabled}
        onChange={(e) => e.target.value !== '' && updateSettings({ [key]: Number(e.target.value) } as Partial<PlaygroundSettings>)} />
      {errors[key] && <span className="error" role="alert">{errors[key]}</span>}
    </label>
  );
  const targets = s.targets === 'all-linear' ? [...LINEAR_MODULES] : s.targets;
  const toggleTarget = (m: LinearModule) => {
    const next = targets.includes(m) ? targets.filter((t) => t !== m) : [...targets, m];
    updateSettings({ targets: next.length === LINEAR_MODULES.length ? 'all-linear' : LINEAR_MODULES.filter((t) => next.includes(t)) });
  };
  const blocked = useWorkbenchBlocked();
  const invalid = Object.keys(errors).length > 0 || !!blocked;
  return (
    <section className="panel" aria-labelledby="controls-title">
      <h2 id="controls-title">Train</h2>
      <label className="control">
        <span>task</span>
        <select aria-label="task" value={s.task} disabled={running} onChange={(e) => updateSettings({ task: e.target.value as PlaygroundSettings['task'] })}>
          <option value="teacher">low-rank teacher (one 64×64 layer, true rank 4)</option>
          <option value="tiny-lm">{base && base.name !== 'byte-caps' ? `language model: ${base.name} on the loaded text` : 'tiny Llama: adapt byte-caps to one pair per line'}</option>
        </select>
      </label>
      {slider('rank', 'rank r', Math.min(CONTROLS.rank.max, ctx.maxRank))}
      {slider('alpha', 'alpha α')}
      <div className="row">
        <label><input type="checkbox" checked={s.alphaLock} disabled={running} onChange={(e) => updateSettings({ alphaLock: e.target.checked })} /> α = 2r</label>
        <label><input type="checkbox" checked={s.rslora} disabled={running} onChange={(e) => updateSettings({ rslora: e.target.checked })} /> rsLoRA (s = α/√r)</label>
        <label title={isTeacher ? 'the language-model task only' : 'train every weight instead of an adapter, to compare'}>
          <input type="checkbox" aria-label="full fine-tuning" checked={s.full && !isTeacher} disabled={running || isTeacher} onChange={(e) => updateSettings({ full: e.target.checked })} /> full fine-tuning
        </label>
      </div>
      <fieldset className="targets" disabled={running || isTeacher}>
        <legend>target modules{isTeacher && ' (the teacher has one layer)'}</legend>
        <label><input type="checkbox" checked={s.targets === 'all-linear'} onChange={(e) => updateSettings({ targets: e.target.checked ? 'all-linear' : ['q_proj', 'v_proj'] })} /> all-linear</label>
        {LINEAR_MODULES.map((m) => (
          <label key={m}><input type="checkbox" aria-label={m} checked={targets.includes(m)} onChange={() => toggleTarget(m)} /> {m}</label>
        ))}
        {errors.targets && <span className="error" role="alert">{errors.targets}</span>}
      </fieldset>
      <div className="grid2">
        {number('layerFrom', 'first layer', 1, isTeacher)}
        {number('layerTo', 'last layer', 1, isTeacher)}
        {number('dropout', 'dropout', 0.05, isTeacher)}
        <label className="control">
          <span>optimizer</span>
          <select aria-label="optimizer" value={s.optimizer} disabled={running} onChange={(e) => updateSettings({ optimizer: e.target.value as PlaygroundSettings['optimizer'] })}>
            <option value="adamw">AdamW (steps of about lr)</option>
            <option value="sgd">SGD (steps of lr × gradient)</option>
          </select>
        </label>
        {number('lr', 'learning rate', 0.001)}
        {number('maxGradNorm', 'clip grad norm (0 = off)', 0.1)}
        {number('batch', 'batch size', 1, isTeacher)}
        {number('seq', 'sequence length', 1, isTeacher)}
        {number('steps', 'steps')}
        {number('seed', 'seed')}
      </div>
      {/* Folded: the schedule settings would push Train further down the first screen. */}
      <details className="more-settings">
        <summary>schedule: {s.schedule === 'cosine' ? `warmup ${s.warmup}, cosine` : 'constant'}{s.weightDecay > 0 ? `, weight decay ${s.weightDecay}` : ''}</summary>
        <div className="grid2">
          <label className="control">
            <span>schedule</span>
            <select aria-label="schedule" value={s.schedule} disabled={running} onChange={(e) => updateSettings({ schedule: e.target.value as PlaygroundSettings['schedule'] })}>
              <option value="constant">constant</option>
              <option value="cosine">warmup, then cosine</option>
            </select>
          </label>
          {number('warmup', 'warmup (updates)', 1, s.schedule !== 'cosine')}
          {number('weightDecay', 'weight decay', 0.01, s.optimizer !== 'adamw')}
        </div>
      </details>
      {blocked && <p className="note">{blocked}</p>}
      {problems.length > 0 && <p className="error" role="alert">The link had values that were not used: {problems.join('; ')}</p>}
      <div className="row buttons">
        <button type="button" onClick={() => void controller().train()} disabled={running || invalid}>Train</button>
        <button type="button" onClick={() => controller().pause()} disabled={!running}>Pause</button>
        <button type="button" onClick={() => void controller().stepOnce()} disabled={running || invalid}>Step</button>
        <button type="button" onClick={() => controller().reset()} disabled={running} title={running ? 'pause first' : undefined}>Reset</button>
        <span className="note" data-testid="run-status">{status}</span>
      </div>
    </section>
  );
}
