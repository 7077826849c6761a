// `inspect` in the page: the tensors and metadata of any safetensors file, or why it is invalid;
// for a .zip (known by its first bytes), its files and the tensors of each safetensors file in it.
// Only headers are read, from the picked file on disk (src/io/inspect-file.ts, loaded on first use).
import { useState } from 'react';
import type { Inspection, SafetensorsSummary } from '../io/inspect-file.ts';

function TensorTable({ file, label }: { file: SafetensorsSummary; label: string }) {
  return (
    <div style={{ overflowX: 'auto', maxHeight: '24em' }}>
      <table className="table" aria-label={label}>
        <thead><tr><th>name</th><th>dtype</th><th>shape</th><th>bytes</th></tr></thead>
        <tbody>
          {file.tensors.map((t) => (
            <tr key={t.name}><td className="mono">{t.name}</td><td>{t.dtype}</td><td>[{t.shape.join(', ')}]</td><td>{(t.end - t.begin).toLocaleString('en-US')}</td></tr>
          ))}
        </tbody>
        <caption>{Object.entries(file.metadata).map(([k, v]) => `${k}: ${v}`).join(' · ') || 'no metadata'}</caption>
      </table>
    </div>
  );
}

export function InspectPanel() {
  const [result, setResult] = useState<{ name: string; inspection?: Inspection; error?: string } | null>(null);
  const open = async (f: File) => {
    try {
      const { inspectFile } = await import('../io/inspect-file.ts');
      setResult({ name: f.name, inspection: await inspectFile(f, f.name) });
    } catch (err) {
      const e = err as Error;
      setResult({ name: f.name, error: e.name === 'SafetensorsError' ? `${f.name} is not a valid safetensors file: ${e.message}` : e.message });
    }
  };
  const inspection = result?.inspection;
  return (
    <section className="panel" aria-labelledby="inspect-title">
      <h2 id="inspect-title">Inspect a safetensors file (or a .zip of them)</h2>
      <label className="field">file<input type="file" aria-label="safetensors file" accept=".safetensors,.zip" onChange={(e) => e.target.files?.[0] && void open(e.target.files[0])} /></label>
      {result?.error && <p className="error" role="alert">{result.error}</p>}
      {inspection?.kind === 'safetensors' && <TensorTable file={inspection.file} label="tensors" />}
      {inspection?.kind === 'zip' && (
        <>
          <table className="table" aria-label="files in the archive">
            <caption>{result!.name}: a ZIP archive of {inspection.members.length} files</caption>
            <thead><tr><th>file</th><th>bytes</th><th>method</th></tr></thead>
            <tbody>
              {inspection.members.map((m) => (
                <tr key={m.name}><td className="mono">{m.name}</td><td>{m.size.toLocaleString('en-US')}</td><td>{m.method}</td></tr>
              ))}
            </tbody>
          </table>
          {inspection.members.filter((m) => m.safetensors || m.error).map((m) => (
            <div key={m.name}>
              <h3 className="mono">{m.name}</h3>
              {m.safetensors ? <TensorTable file={m.safetensors} label={`tensors of ${m.name}`} /> : <p className="error" role="alert">{m.name} is not a valid safetensors file: {m.error}</p>}
            </div>
          ))}
        </>
      )}
    </section>
  );
}
