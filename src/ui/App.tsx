// The playground page: train with LoRA and watch every claim (controls, live parameter counts,
// loss, gradient inspector, merge, try it, scale), then bring your own model, text and adapters.
import { AdapterPanel } from './AdapterPanel.tsx';
import { ControlsPanel } from './ControlsPanel.tsx';
import { InspectorPanel } from './InspectorPanel.tsx';
import { InspectPanel } from './InspectPanel.tsx';
import { LibraryPanel } from './LibraryPanel.tsx';
import { LossPanel } from './LossPanel.tsx';
import { MergePanel } from './MergePanel.tsx';
import { MemoryPanel } from './MemoryPanel.tsx';
import { ModelPanel } from './ModelPanel.tsx';
import { ParameterPanel } from './ParameterPanel.tsx';
import { ParamsLivePanel } from './ParamsLivePanel.tsx';
import { ScalePanel } from './ScalePanel.tsx';
import { StatusBar } from './StatusBar.tsx';
import { SaveRunPanel } from './SaveRunPanel.tsx';
import { TryPanel } from './TryPanel.tsx';
import { WorkbenchNotice } from './WorkbenchNotice.tsx';

export function App() {
  return (
    <main className="app">
      <header className="app-header">
        <h1>LoRA Playground</h1>
        <p>Fine-tune a transformer with LoRA on your own GPU, and see every claim of the method.</p>
      </header>
      <WorkbenchNotice />
      <div className="workbench">
        <ControlsPanel />
        <div className="workbench-main">
          <LossPanel />
          <ParamsLivePanel />
          <MergePanel />
          <TryPanel />
        </div>
      </div>
      <div className="panels">
        <InspectorPanel />
        <MemoryPanel />
        <ScalePanel />
      </div>
      <h2 className="section-title">Your model, your text, your adapters</h2>
      <StatusBar />
      <div className="panels">
        <ModelPanel />
        <SaveRunPanel />
        <LibraryPanel />
        <InspectPanel />
        <AdapterPanel />
        <ParameterPanel />
      </div>
      <footer className="app-footer">
        <a href="/kernel-check.html">Check every GPU kernel against its CPU reference in this browser →</a>
      </footer>
    </main>
  );
}
