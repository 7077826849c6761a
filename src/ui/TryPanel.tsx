// Try it: completions from the current model, base and adapted side by side, greedy or sampled.
// Each column says which weights wrote it (merged or not), and a completion cut short by the
// run's sequence length says so, with the engine's numbers.
import { useState } from 'react';
import { controller } from '../app/controller.ts';
import type { Generation } from '../engine/types.ts';
import { TRY_PROMPT } from '../settings/playground-settings.ts';
import { useWorkbench } from '../store/workbench-store.ts';
import { useWorkbenchBlocked } from './busy.ts';
import { contextNote } from './report-text.ts';

export function TryPanel() {
  const task = useWorkbench((x) => x.settings.task);
  const built = useWorkbench((x) => x.modules.length > 0);
  const status = useWorkbench((x) => x.status);
  // The controller stores what the engine returned: a Generation (src/engine/types.ts).
  const result = useWorkbench((x) => x.generation) as Generation | null;
  const [prompt, setPrompt] = useState(TRY_PROMPT);
  const [temperature, setTemperature] = useState(0);
  const [length, setLength] = useState(8);
  const blocked = useWorkbenchBlocked(); // the engine's other work first (a Step's checks, a merge, an export)
  if (task !== 'tiny-lm') return null;
  const disabled = !built || status === 'running' || status === 'pausing' || !!blocked;
  const note = result && contextNote(result);
  return (
    <section className="panel" aria-labelledby="try-title">
      <h2 id="try-title">Try it</h2>
      <label className="control"><span>prompt</span><textarea aria-label="prompt" rows={3} value={prompt} onChange={(e) => setPrompt(e.target.value)} /></label>
      <div className="row">
        <label className="control"><span>new tokens</span><input type="number" aria-label="new tokens" min={1} max={32} value={length} onChange={(e) => setLength(Math.max(1, Math.min(32, Number(e.target.value) || 1)))} /></label>
        <label className="control"><span>temperature (0 = greedy)</span><input type="number" aria-label="temperature" min={0} max={2} step={0.1} value={temperature} onChange={(e) => setTemperature(Math.max(0, Math.min(2, Number(e.target.value) || 0)))} /></label>
        <button type="button" disabled={disabled} title={blocked ?? (disabled ? 'train or step first, and pause' : undefined)} onClick={() => void controller().generate(prompt, length, temperature)}>Generate</button>
      </div>
      {result && (
        <>
          <div className="side-by-side">
            <figure>
              <figcaption data-testid="gen-base-caption">{result.base === null ? 'base' : result.merged ? 'base model (its own weights: the merge set aside for this completion)' : 'base model (adapter off)'}</figcaption>
              {result.base === null
                ? <p className="note" data-testid="gen-base">Full fine-tuning trained the base weights themselves: the base model is not kept on the GPU.</p>
                : <pre data-testid="gen-base">{prompt}<mark data-testid="gen-base-new">{result.base}</mark></pre>}
            </figure>
            <figure>
              <figcaption data-testid="gen-adapted-caption">{result.base === null ? 'fine-tuned' : result.merged ? 'merged model (W + s·B·A in the weights)' : 'with the adapter (base + s·B·A, unmerged)'}</figcaption>
              <pre data-testid="gen-adapted">{prompt}<mark data-testid="gen-adapted-new">{result.adapted}</mark></pre>
            </figure>
          </div>
          {note && <p className="note" data-testid="gen-context">{note}</p>}
        </>
      )}
    </section>
  );
}
