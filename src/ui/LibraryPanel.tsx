// The adapter library (IndexedDB): every saved adapter with its config, steps and final loss;
// switch the active one without reloading the base, evaluate, export, delete, import, combine.
import { useLibraryBlocked } from './busy.ts';
import { useState } from 'react';
import { controller } from '../app/controller.ts';
import { usePlayground } from '../store/playground-store.ts';

export function LibraryPanel() {
  const base = usePlayground((s) => s.base);
  const library = usePlayground((s) => s.library);
  const active = usePlayground((s) => s.active);
  const busy = useLibraryBlocked();
  const evaluation = usePlayground((s) => s.evaluation);
  const [combine, setCombine] = useState({ a: '', b: '', how: 'cat' as 'cat' | 'linear', wa: 1, wb: 1, name: 'combined' });
  const [importName, setImportName] = useState('imported');
  const names = library.map((l) => l.name);
  return (
    <section className="panel panel-wide" aria-labelledby="library-title">
      <h2 id="library-title">Adapter library</h2>
      <p className="note">Kept in this browser (IndexedDB). Active: <strong data-testid="active-adapter">{active ?? 'base model'}</strong></p>
      {!base && library.length > 0 && <p className="note">Load a model (Model and text) to activate, evaluate or merge these adapters.</p>}
      {library.length === 0 ? <p className="note">No saved adapters yet.</p> : (
        <table className="table" aria-label="saved adapters">
          <thead><tr><th>name</th><th>r</th><th>α</th><th>targets</th><th>modules</th><th>steps</th><th>final loss</th><th>from</th><th /></tr></thead>
          <tbody>
            {library.map((l) => (
              <tr key={l.name} data-testid={`adapter-${l.name}`}>
                <td>{l.name}</td><td>{l.r}</td><td>{l.alpha}</td><td>{l.targets}</td><td>{l.modules}</td>
                <td>{l.training.steps ?? ''}</td><td>{l.training.final_loss?.toFixed(4) ?? ''}</td>
                <td>{l.training.combined_from ? `${l.training.combination}(${l.training.combined_from.join(', ')})` : l.training.task ?? ''}</td>
                <td className="actions">
                  <button type="button" disabled={!!busy || !base || active === l.name || l.base.startsWith('low-rank teacher')}
                    title={!base ? 'load a model first (Model and text)' : l.base.startsWith('low-rank teacher') ? "the teacher's adapter fits its 64×64 layer, not a language model" : undefined}
                    onClick={() => void controller().activateAdapter(l.name)} aria-label={`activate ${l.name}`}>Activate</button>
                  <button type="button" disabled={!!busy} onClick={() => void controller().exportStoredAdapter(l.name)} aria-label={`export ${l.name}`}>Export</button>
                  <button type="button" disabled={!!busy} onClick={() => window.confirm(`Delete ${l.name}? Export it first to keep a copy.`) && void controller().deleteAdapter(l.name)} aria-label={`delete ${l.name}`}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {base && (
        <div className="fields">
          <button type="button" disabled={!!busy || active === null} onClick={() => void controller().activateAdapter(null)}>Use the base model</button>
          <button type="button" disabled={!!busy} onClick={() => void controller().evaluateActive()}>Evaluate on the text</button>
          <button type="button" disabled={!!busy} onClick={() => void controller().exportMerged()}>Export merged model</button>
        </div>
      )}
      {evaluation.length > 0 && (
        <ul className="note" aria-label="evaluation">
          {evaluation.map((e) => <li key={e.adapter ?? 'base'} data-testid={`eval-${e.adapter ?? 'base'}`}>{e.adapter ?? 'base model'}: {e.loss.toFixed(4)} nats/token over {e.tokens.toLocaleString('en-US')} tokens</li>)}
        </ul>
      )}
      <fieldset className="fields" disabled={!!busy || names.length < 2}>
        <legend>Combine two adapters (PEFT add_weighted_adapter)</legend>
        <label className="field">first<select aria-label="first adapter" value={combine.a} onChange={(e) => setCombine({ ...combine, a: e.target.value })}><option value="" />{names.map((n) => <option key={n}>{n}</option>)}</select></label>
        <label className="field">weight<input type="number" aria-label="first weight" step={0.1} value={combine.wa} onChange={(e) => setCombine({ ...combine, wa: Number(e.target.value) })} /></label>
        <label className="field">second<select aria-label="second adapter" value={combine.b} onChange={(e) => setCombine({ ...combine, b: e.target.value })}><option value="" />{names.map((n) => <option key={n}>{n}</option>)}</select></label>
        <label className="field">weight<input type="number" aria-label="second weight" step={0.1} value={combine.wb} onChange={(e) => setCombine({ ...combine, wb: Number(e.target.value) })} /></label>
        <label className="field">how<select aria-label="combination" value={combine.how} onChange={(e) => setCombine({ ...combine, how: e.target.value as 'cat' | 'linear' })}><option>cat</option><option>linear</option></select></label>
        <label className="field">new name<input aria-label="combined name" value={combine.name} onChange={(e) => setCombine({ ...combine, name: e.target.value })} /></label>
        <button type="button" disabled={!combine.a || !combine.b} onClick={() => void controller().combineStored(combine.a, combine.b, combine.how, [combine.wa, combine.wb], combine.name)}>Combine</button>
      </fieldset>
      <fieldset className="fields" disabled={!!busy}>
        <legend>Import a PEFT adapter (adapter_config.json + adapter_model.safetensors, or a .zip)</legend>
        <label className="field">name<input aria-label="import name" value={importName} onChange={(e) => setImportName(e.target.value)} /></label>
        <label className="field">files<input type="file" aria-label="adapter files" multiple accept=".json,.safetensors,.zip" onChange={(e) => e.target.files?.length && void controller().importAdapterFiles([...e.target.files], importName)} /></label>
      </fieldset>
    </section>
  );
}
