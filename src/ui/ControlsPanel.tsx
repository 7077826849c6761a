// Every training control, driven by the settings schema: values outside a control's range
// cannot be entered (sliders and bounded inputs), and a value the context forbids shows why.
import { controller, settingsContext } from '../app/controller.ts';
import { LINEAR_MODULES, type LinearModule } from '../model/config.ts';
import { CONTROLS, PAGE_TEACHER, settingsErrors, type PlaygroundSettings } from '../settings/playground-settings.ts';
import { usePlayground } from '../store/playground-store.ts';
import { useWorkbenchBlocked } from './busy.ts';
import { useWorkbench } from '../store/workbench-store.ts';
import { useGpuStore } from '../store/gpu-store.ts';
import { loraScaling } from '../lora/lora-math.ts';
import { parameterCounts } from './ParamsLivePanel.tsx';

/** What the settings cost, beside the knobs that set it (counts from the settings; details in Parameters). */
function TrainableLine({ s }: { s: PlaygroundSettings }) {
  usePlayground((x) => x.base); // another base model changes the counts
  let text: string;
  try {
    const c = parameterCounts(s);
    text = s.full && s.task !== 'teacher'
      ? `all ${c.base.toLocaleString('en-US')} parameters train`
      : `${c.trainable.toLocaleString('en-US')} trainable parameters: ${((100 * c.trainable) / c.all).toPrecision(3)} % of all (PEFT's trainable%)`;
  } catch (err) {
    text = (err as Error).message;
  }
  return <p className="note small trainable-line" data-testid="trainable-line">{text}</p>;
}

/**
 * The scale s that multiplies B·A, written out from the sliders (what the next run will use), and
 * the value the engine's LoRA layers hold for the current run: α changes nothing but s.
 */
function ScaleLine({ s }: { s: PlaygroundSettings }) {
  const modules = useWorkbench((x) => x.modules);
  const runSettings = useWorkbench((x) => x.runs.find((r) => r.id === x.currentRun)?.settings);
  const engineScale = modules.find((m) => m.scale !== null)?.scale ?? null;
  if (s.full && s.task !== 'teacher') return <p className="note scale-line" data-testid="scale-line">full fine-tuning: no adapter, no scale</p>;
  const value = loraScaling(s.alpha, s.rank, s.rslora);
  const formula = s.rslora ? `α/√r = ${s.alpha}/√${s.rank}` : `α/r = ${s.alpha}/${s.rank}`;
  const same = runSettings && runSettings.alpha === s.alpha && runSettings.rank === s.rank && runSettings.rslora === s.rslora;
  return (
    <p className="scale-line" data-testid="scale-line">
      scale s = {formula} = <strong data-testid="scale-s">{Number(value.toPrecision(4))}</strong>
      <span className="note small">
        {engineScale !== null
          ? <> · the current run's layers: s = <span data-testid="engine-scale">{Number(engineScale.toPrecision(4))}</span>{same ? '' : ' (the next run takes the new value)'}</>
          : ' · ΔW = s·B·A'}
      </span>
    </p>
  );
}

type NumberKey = keyof typeof CONTROLS;

/** One line naming the run's LoRA variant: the summary of the folded variant controls. */
function variantSummary(s: PlaygroundSettings): string {
  const parts = [s.dora ? 'DoRA' : null, s.init !== 'default' ? `${s.init === 'pissa' ? 'PiSSA' : 'OLoRA'} init` : null, s.loraplus ? `LoRA+ λ = ${s.loraplusRatio}` : null].filter(Boolean);
  return parts.length ? parts.join(', ') : 'plain LoRA';
}

/**
 * DoRA, PiSSA / OLoRA initialisation and LoRA+ (PEFT's use_dora, init_lora_weights and
 * loraplus_lr_ratio), folded so Train stays on the first screen; what a user must do with a
 * PiSSA / OLoRA adapter is said beside the choice.
 */
function VariantControls({ s, running, error }: { s: PlaygroundSettings; running: boolean; error?: string }) {
  return (
    <details className="more-settings" data-testid="variant-controls">
      <summary>variant: <span data-testid="variant-summary">{variantSummary(s)}</span></summary>
      <div className="row">
        <label title="W' = m ⊙ (W + s·B·A) / ‖W + s·B·A‖ per output row; m starts at ‖W‖ and trains">
          <input type="checkbox" aria-label="DoRA" checked={s.dora} disabled={running} onChange={(e) => updateSettings({ dora: e.target.checked })} /> DoRA (use_dora)
        </label>
        <label title="B learns λ times faster than A (PEFT's create_loraplus_optimizer)">
          <input type="checkbox" aria-label="LoRA+" checked={s.loraplus} disabled={running} onChange={(e) => updateSettings({ loraplus: e.target.checked })} /> LoRA+
        </label>
      </div>
      <div className="grid2">
        <label className="control">
          <span>init of A and B</span>
          <select aria-label="init" value={s.init} disabled={running} onChange={(e) => updateSettings({ init: e.target.value as PlaygroundSettings['init'] })}>
            <option value="default">default: A random, B = 0</option>
            <option value="pissa">PiSSA: W's top-r SVD</option>
            <option value="olora">OLoRA: W's QR</option>
          </select>
        </label>
        <label className="control">
          <span>LoRA+ ratio λ (lr of B = λ·lr)</span>
          <input type="number" aria-label="LoRA+ ratio" min={CONTROLS.loraplusRatio.min} max={CONTROLS.loraplusRatio.max} step={1} value={s.loraplusRatio} disabled={running || !s.loraplus}
            onChange={(e) => e.target.value !== '' && updateSettings({ loraplusRatio: Number(e.target.value) })} />
          {error && <span className="error" role="alert">{error}</span>}
        </label>
      </div>
      {s.init !== 'default' && (
        <p className="note small" data-testid="pissa-note">
          {s.init === 'pissa' ? 'PiSSA' : 'OLoRA'} takes A and B from W and trains on the base W − s·B₀·A₀. The merged download is exact. The adapter download is
          what PEFT writes with save_pretrained(…, path_initial_model_for_weight_conversion=…): a plain LoRA of rank 2r and α 2α for the original,
          unmodified base. Load it with PeftModel.from_pretrained(base, folder) on that base, as any LoRA (no init_lora_weights needed).
        </p>
      )}
      {s.dora && <p className="note small">DoRA trains a magnitude per output row (its adapter file holds lora_magnitude_vector); it runs without dropout, and its layers' base weights are kept in f32 (the rest of a BF16 checkpoint stays packed).</p>}
    </details>
  );
}
const updateSettings = (partial: Partial<PlaygroundSettings>) => controller().updateSettings(partial);

export function ControlsPanel() {
  const s = useWorkbench((x) => x.settings);
  const status = useWorkbench((x) => x.status);
  const base = usePlayground((x) => x.base); // the language-model task trains the loaded model (bundled by default)
  const ctx = settingsContext(s);
  const errors = settingsErrors(s, ctx);
  const sweeping = useWorkbench((x) => !!x.sweep?.running);
  const running = status === 'running' || status === 'pausing' || sweeping; // the rank sweep owns the settings while it runs
  const isTeacher = s.task === 'teacher';
  const slider = (key: NumberKey, label: string, max = CONTROLS[key].max, step = 1, locked: string | null = null) => (
    <label className="control" title={locked ?? undefined}>
      <span>{label} <output data-testid={`value-${key}`}>{s[key]}</output>{locked && <span className="note small"> ({locked})</span>}</span>
      <input type="range" aria-label={label} min={CONTROLS[key].min} max={max} step={step} value={s[key]} disabled={running || !!locked}
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
  const gpu = useGpuStore((x) => x.status);
  const noGpu = gpu.state === 'unavailable' ? 'no WebGPU in this browser: see the message at the top' : null;
  const invalid = Object.keys(errors).length > 0 || !!blocked || !!noGpu;
  return (
    <section className="panel" aria-labelledby="controls-title">
      <h2 id="controls-title">Train</h2>
      {/* First in the panel: Train stays on the first screen whatever the settings below hold. */}
      <div className="row buttons">
        <button type="button" onClick={() => void controller().train()} disabled={running || invalid} title={noGpu ?? undefined}>Train</button>
        <button type="button" onClick={() => controller().pause()} disabled={!running}>Pause</button>
        <button type="button" onClick={() => void controller().stepOnce()} disabled={running || invalid} title={noGpu ?? undefined}>Step</button>
        <button type="button" onClick={() => controller().reset()} disabled={running || !!blocked} title={running ? 'pause first' : blocked ?? undefined}>Reset</button>
        <span className="note" data-testid="run-status">{status}</span>
      </div>
      {blocked && <p className="note">{blocked}</p>}
      <label className="control">
        <span>task</span>
        <select aria-label="task" value={s.task} disabled={running} onChange={(e) => updateSettings({ task: e.target.value as PlaygroundSettings['task'] })}>
          <option value="teacher">{`low-rank teacher (${PAGE_TEACHER.dim}×${PAGE_TEACHER.dim}, rank ${PAGE_TEACHER.trueRank})`}</option>
          <option value="tiny-lm">{base && base.name !== 'byte-caps' ? `${base.name} on your text` : 'tiny Llama: one pair per line'}</option>
        </select>
      </label>
      {slider('rank', 'rank r', Math.min(CONTROLS.rank.max, ctx.maxRank))}
      {slider('alpha', 'alpha α', CONTROLS.alpha.max, 1, s.alphaLock ? 'locked to 2r: untick α = 2r to set it' : null)}
      <ScaleLine s={s} />
      <div className="row">
        <label><input type="checkbox" checked={s.alphaLock} disabled={running} onChange={(e) => updateSettings({ alphaLock: e.target.checked })} /> α = 2r</label>
        <label><input type="checkbox" checked={s.rslora} disabled={running} onChange={(e) => updateSettings({ rslora: e.target.checked })} /> rsLoRA (s = α/√r)</label>
        {!isTeacher && (
          <label title="train every weight instead of an adapter, to compare">
            <input type="checkbox" aria-label="full fine-tuning" checked={s.full} disabled={running} onChange={(e) => updateSettings({ full: e.target.checked })} /> full fine-tuning
          </label>
        )}
      </div>
      <TrainableLine s={s} />
      {isTeacher && <p className="note small">The teacher is one {PAGE_TEACHER.dim}×{PAGE_TEACHER.dim} layer W₀ + ΔW* with ΔW* of rank {PAGE_TEACHER.trueRank}: the adapter learns ΔW*. Target modules, layers, dropout, batch and sequence belong to the language-model task.</p>}
      {!isTeacher && <fieldset className="targets" disabled={running}>
        <legend>target modules</legend>
        <label><input type="checkbox" checked={s.targets === 'all-linear'} onChange={(e) => updateSettings({ targets: e.target.checked ? 'all-linear' : ['q_proj', 'v_proj'] })} /> all-linear</label>
        {LINEAR_MODULES.map((m) => (
          <label key={m}><input type="checkbox" aria-label={m} checked={targets.includes(m)} onChange={() => toggleTarget(m)} /> {m}</label>
        ))}
        {errors.targets && <span className="error" role="alert">{errors.targets}</span>}
      </fieldset>}
      <div className="grid2">
        {!isTeacher && number('layerFrom', 'first layer', 1)}
        {!isTeacher && number('layerTo', 'last layer', 1)}
        {!isTeacher && number('dropout', 'dropout', 0.05)}
        <label className="control">
          <span>optimizer</span>
          <select aria-label="optimizer" value={s.optimizer} disabled={running} onChange={(e) => updateSettings({ optimizer: e.target.value as PlaygroundSettings['optimizer'] })}>
            <option value="adamw">AdamW (steps of about lr)</option>
            <option value="sgd">SGD (steps of lr × gradient)</option>
          </select>
        </label>
        {number('lr', 'learning rate', 0.001)}
        {number('maxGradNorm', 'clip grad norm (0 = off)', 0.1)}
        {!isTeacher && number('batch', 'batch size', 1)}
        {!isTeacher && number('seq', 'sequence length', 1)}
        {number('steps', 'steps')}
        {number('seed', 'seed')}
      </div>
      {!(s.full && !isTeacher) && <VariantControls s={s} running={running} error={errors.loraplusRatio} />}
      {/* Folded: the schedule settings would push Train further down the first screen. */}
      <details className="more-settings">
        <summary>schedule: {s.schedule === 'cosine' ? `warmup ${s.warmup}, cosine` : 'constant'}{s.weightDecay > 0 ? `, weight decay ${s.weightDecay}` : ''}{!isTeacher && s.recompute ? ', activation checkpointing' : ''}</summary>
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
        {!isTeacher && (
          <div className="row">
            <label title="Each decoder block keeps only its output; the backward runs the block's forward again first. The memory panel shows the bytes saved, the step time what it costs.">
              <input type="checkbox" aria-label="activation checkpointing" checked={s.recompute} disabled={running} onChange={(e) => updateSettings({ recompute: e.target.checked })} /> activation checkpointing (recompute each block in the backward)
            </label>
          </div>
        )}
      </details>
    </section>
  );
}
