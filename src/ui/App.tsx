// The playground page: the GPU, LoRA's parameter savings, a model and text, training, the
// adapter library, and a safetensors inspector.
import { AdapterPanel } from './AdapterPanel.tsx';
import { InspectPanel } from './InspectPanel.tsx';
import { LibraryPanel } from './LibraryPanel.tsx';
import { ModelPanel } from './ModelPanel.tsx';
import { ParameterPanel } from './ParameterPanel.tsx';
import { StatusBar } from './StatusBar.tsx';
import { TrainPanel } from './TrainPanel.tsx';

export function App() {
  return (
    <main className="app">
      <header className="app-header">
        <h1>LoRA Playground</h1>
        <p>Fine-tune a transformer with LoRA on your own GPU, and see every claim of the method.</p>
      </header>
      <StatusBar />
      <div className="panels">
        <AdapterPanel />
        <ParameterPanel />
        <ModelPanel />
        <TrainPanel />
        <LibraryPanel />
        <InspectPanel />
      </div>
      <footer className="app-footer">
        <a href="/kernel-check.html">Check every GPU kernel against its CPU reference in this browser →</a>
      </footer>
    </main>
  );
}
