// `inspect` in the page: the tensors and metadata of any safetensors file, or why it is invalid.
import { useState } from 'react';
import { parseSafetensors, type SafetensorsFile } from '../io/safetensors.ts';

export function InspectPanel() {
  const [result, setResult] = useState<{ name: string; file?: SafetensorsFile; error?: string } | null>(null);
  const open = async (f: File) => {
    try {
      setResult({ name: f.name, file: parseSafetensors(new Uint8Array(await f.arrayBuffer())) });
    } catch (err) {
      setResult({ name: f.name, error: (err as Error).message });
    }
  };
  return (
    <section className="panel" aria-labelledby="inspect-title">
      <h2 id="inspect-title">Inspect a safetensors file</h2>
      <label className="field">file<input type="file" aria-label="safetensors file" accept=".safetensors" onChange={(e) => e.target.files?.[0] && void open(e.target.files[0])} /></label>
      {result?.error && <p className="error" role="alert">{result.name} is not a valid safetensors file: {result.error}</p>}
      {result?.file && (
        <div style={{ overflowX: 'auto', maxHeight: '24em' }}>
        <table className="table" aria-label="tensors">
          <thead><tr><th>name</th><th>dtype</th><th>shape</th><th>bytes</th></tr></thead>
          <tbody>
            {result.file.tensors.map((t) => (
              <tr key={t.name}><td className="mono">{t.name}</td><td>{t.dtype}</td><td>[{t.shape.join(', ')}]</td><td>{(t.end - t.begin).toLocaleString('en-US')}</td></tr>
            ))}
          </tbody>
          <caption>{Object.entries(result.file.metadata).map(([k, v]) => `${k}: ${v}`).join(' · ') || 'no metadata'}</caption>
        </table>
        </div>
      )}
    </section>
  );
}
