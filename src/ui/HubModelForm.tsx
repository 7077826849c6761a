// A model from the Hugging Face Hub (or a server with its URL layout): an id or URL, the endpoint
// (only those the build allows: the page's Content-Security-Policy names them), a revision; each
// file's progress (bytes, rate, time left), Cancel (what was received is kept and resumed), and
// the models cached in this browser with their sizes, Load and Delete.
import { useState } from 'react';
import { controller, PageController } from '../app/controller.ts';
import { loadHubForm, saveHubForm } from '../app/persistence.ts';
import { describeProgress } from '../io/hub.ts';
import { usePlayground } from '../store/playground-store.ts';
import { formatBytes } from '../util/format-bytes.ts';

export function HubModelForm({ busy }: { busy: string | null }) {
  const hub = usePlayground((s) => s.hub);
  const [form, setForm] = useState(() => loadHubForm({ model: '', endpoint: PageController.hubEndpoints[0], revision: 'main' }));
  const [name, setName] = useState('');
  const downloading = hub.downloading !== null;
  const submit = () => {
    saveHubForm(form);
    void controller().loadHubModel({ ...form, name: name || undefined });
  };
  return (
    <fieldset className="hub" aria-label="model from the Hub">
      <legend>Or a model from the Hugging Face Hub</legend>
      <form className="fields" onSubmit={(e) => { e.preventDefault(); submit(); }}>
        <label className="field hub-model">
          Model id or URL
          <input aria-label="Hub model id or URL" placeholder="ORG/NAME or https://huggingface.co/ORG/NAME" value={form.model}
            spellCheck={false} autoComplete="off" onChange={(e) => setForm({ ...form, model: e.target.value })} />
        </label>
        <label className="field">
          Revision
          <input aria-label="revision" className="hub-short" value={form.revision} spellCheck={false} onChange={(e) => setForm({ ...form, revision: e.target.value })} />
        </label>
        <label className="field hub-endpoint">
          Endpoint
          <input aria-label="Hub endpoint" value={form.endpoint} spellCheck={false} list="hub-endpoints" onChange={(e) => setForm({ ...form, endpoint: e.target.value })} />
          <datalist id="hub-endpoints">{PageController.hubEndpoints.map((e) => <option key={e} value={e} />)}</datalist>
        </label>
        <label className="field hub-model">
          Name in adapter files (optional)
          <input aria-label="base model name" placeholder="the Hub id" value={name} spellCheck={false} onChange={(e) => setName(e.target.value)} />
        </label>
        <div className="row hub-buttons">
          <button type="submit" disabled={!!busy || downloading || !form.model.trim()}>Download and load</button>
          {downloading && <button type="button" onClick={() => void controller().cancelHubDownload()}>Cancel</button>}
        </div>
      </form>
      {hub.files.length > 0 && (
        <ul className="hub-files" aria-label="download progress" data-testid="hub-progress">
          {hub.downloading && <li className="busy">Downloading {hub.downloading}…</li>}
          {hub.files.map((p) => (
            <li key={p.file} data-testid={`hub-file-${p.file}`} data-state={p.state}>
              <span className="mono">{p.file}</span>: {describeProgress(p, formatBytes)}
            </li>
          ))}
        </ul>
      )}
      <p className="note">Only {PageController.hubEndpoints.join(', ')} can be reached (the page's Content-Security-Policy); no access token is sent, so gated and private models are refused.</p>
      {hub.cached.length > 0 && (
        <table className="table" aria-label="cached models">
          <thead><tr><th>cached model</th><th>size</th><th /></tr></thead>
          <tbody>
            {hub.cached.map((c) => (
              <tr key={c.key} data-testid={`cached-${c.repo}`}>
                <td className="mono" title={`${c.endpoint} · ${c.revision}`}>{c.repo}{c.revision !== 'main' ? `@${c.revision}` : ''}{c.complete ? '' : ' (incomplete)'}</td>
                <td className="hub-size" data-testid="cached-size">{formatBytes(c.bytes)}</td>
                <td className="actions">
                  <button type="button" disabled={!!busy || downloading} aria-label={`load ${c.repo}`}
                    onClick={() => void controller().loadHubModel({ model: c.repo, endpoint: c.endpoint, revision: c.revision })}>{c.complete ? 'Load' : 'Resume'}</button>
                  <button type="button" disabled={downloading} aria-label={`delete cached ${c.repo}`}
                    onClick={() => window.confirm(`Delete ${c.repo} (${formatBytes(c.bytes)}) from this browser's cache?`) && void controller().deleteHubCache(c.key)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </fieldset>
  );
}
