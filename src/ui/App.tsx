// The playground page. The first screen is the instrument: the controls with Train, the loss of
// the current task with the run's key numbers, and what the settings cost; everything else sits
// in labelled sections below, reachable from the bar at the top, where status and errors show.
import { lazy } from 'react';
import { AccuracyPanel } from './AccuracyPanel.tsx';
import { ControlsPanel } from './ControlsPanel.tsx';
import { Deferred } from './Deferred.tsx';
import { LossPanel } from './LossPanel.tsx';
import { ParamsLivePanel } from './ParamsLivePanel.tsx';
import { RankSweepPanel } from './RankSweepPanel.tsx';
import { SpectrumPanel } from './SpectrumPanel.tsx';
import { useWorkbench } from '../store/workbench-store.ts';
import { TopStatus } from './TopStatus.tsx';

// The sections below the first screen come in one chunk, fetched after the first screen shows.
const SectionPanels = lazy(() => import('./SectionPanels.tsx'));

const SECTIONS = [
  ['parameters', 'Memory and scale'],
  ['merge', 'Merge, export, try it'],
  ['gradients', 'Gradients'],
  ['your-model', 'Your model and adapters'],
] as const;

function LiveSpectrum() {
  const spectra = useWorkbench((x) => x.spectra);
  return <SpectrumPanel spectra={spectra} />;
}

export function App() {
  return (
    <main className="app">
      <header className="app-header">
        <h1>LoRA Playground</h1>
        <p>Fine-tune a transformer with LoRA on your own GPU, and see every claim of the method.</p>
        <nav aria-label="sections" className="section-nav">
          {SECTIONS.map(([id, title]) => <a key={id} href={`#${id}`}>{title}</a>)}
        </nav>
      </header>
      <TopStatus />
      <div className="workbench">
        <ControlsPanel />
        <div className="workbench-main">
          <LossPanel />
          <AccuracyPanel />
          <LiveSpectrum />
          <RankSweepPanel />
          <ParamsLivePanel />
        </div>
      </div>
      <h2 className="section-title" id="parameters">Memory and scale</h2>
      <Deferred><SectionPanels id="parameters" /></Deferred>
      <h2 className="section-title" id="merge">Merge, export, try it</h2>
      <Deferred><SectionPanels id="merge" /></Deferred>
      <h2 className="section-title" id="gradients">Gradients: the base gets none</h2>
      <Deferred><SectionPanels id="gradients" /></Deferred>
      <h2 className="section-title" id="your-model">Your model, your text, your adapters</h2>
      <Deferred><SectionPanels id="your-model" /></Deferred>
      <footer className="app-footer">
        <a href="kernel-check.html">Check every GPU kernel against its CPU reference in this browser →</a>
      </footer>
    </main>
  );
}
