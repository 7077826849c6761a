// The playground page. For now: what the GPU is, and what LoRA saves on one layer.
import { AdapterPanel } from './AdapterPanel.tsx';
import { ParameterPanel } from './ParameterPanel.tsx';

export function App() {
  return (
    <main className="app">
      <header className="app-header">
        <h1>LoRA Playground</h1>
        <p>Fine-tune a transformer with LoRA on your own GPU, and see every claim of the method.</p>
      </header>
      <div className="panels">
        <AdapterPanel />
        <ParameterPanel />
      </div>
      <footer className="app-footer">
        <a href="/kernel-check.html">Check every GPU kernel against its CPU reference in this browser →</a>
      </footer>
    </main>
  );
}
