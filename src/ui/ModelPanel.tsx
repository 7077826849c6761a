// The base model and the text: the bundled byte-level model, or your own HF Llama folder
// (config.json, weights, tokenizer.json) and .txt/.jsonl text, all read locally.
import { formatBytes } from '../util/format-bytes.ts';
import { useLibraryBlocked } from './busy.ts';
import { HubModelForm } from './HubModelForm.tsx';
import { controller } from '../app/controller.ts';
import { usePlayground } from '../store/playground-store.ts';

export function ModelPanel() {
  const base = usePlayground((s) => s.base);
  const text = usePlayground((s) => s.text);
  const busy = useLibraryBlocked();
  return (
    <section className="panel" aria-labelledby="model-title">
      <h2 id="model-title">Model and text</h2>
      {busy && <p className="note" data-testid="library-blocked">{busy}</p>}
      <div className="fields">
        <button type="button" onClick={() => void controller().loadBuiltinModel()} disabled={!!busy}>Load the bundled model</button>
        <label className="field">
          Your HF Llama folder (config.json, model.safetensors or shards + index, tokenizer.json; or a .zip)
          <input type="file" multiple accept=".json,.safetensors,.zip" disabled={!!busy}
            onChange={(e) => e.target.files?.length && void controller().loadModelFiles([...e.target.files])} />
        </label>
      </div>
      <HubModelForm busy={busy} />
      {base && (
        <dl className="facts" aria-label="base model">
          <div className="fact-row"><dt>model</dt><dd data-testid="base-name">{base.name}</dd></div>
          <div className="fact-row"><dt>shape</dt><dd>{base.config.num_hidden_layers} layers × {base.config.hidden_size} hidden, vocabulary {base.config.vocab_size}, context {base.config.max_position_embeddings}</dd></div>
          <div className="fact-row"><dt>parameters</dt><dd data-testid="base-params">{base.parameters.toLocaleString('en-US')} ({base.dtypes.join(', ')} on disk; {base.packed ? 'frozen weights kept packed on the GPU' : 'f32 on the GPU'})</dd></div>
          <div className="fact-row"><dt>GPU estimate</dt><dd data-testid="base-estimate">LoRA r = 8 on q_proj, v_proj at {base.estimate.batch} × {base.estimate.seq} tokens: {formatBytes(base.estimate.total)} (base weights {formatBytes(base.estimate.baseWeights)}{base.packed ? `; ${formatBytes(base.estimate.f32Total)} with an f32 base` : ''})</dd></div>
          <div className="fact-row"><dt>text</dt><dd data-testid="text-name">{text ? `${text.name}: ${text.tokens.toLocaleString('en-US')} tokens` : 'none'}</dd></div>
        </dl>
      )}
      {base && (
        <label className="field">
          Your text (.txt, or .jsonl with a "text" field)
          <input type="file" accept=".txt,.jsonl" disabled={!!busy} onChange={(e) => e.target.files?.[0] && void controller().loadTextFile(e.target.files[0])} />
        </label>
      )}
    </section>
  );
}
