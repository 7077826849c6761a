import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { loadRuns, loadSettings } from './app/persistence.ts';
import { findInterruptedRun } from './app/workbench-actions.ts';
import { loseDevice, startEngine } from './engine.ts';
import { useWorkbench } from './store/workbench-store.ts';
import { App } from './ui/App.tsx';
import './ui/styles.css';

// The last configuration (a shared link wins over what this browser saved) and earlier runs.
const { settings, problems } = loadSettings();
useWorkbench.getState().set({ settings, settingsProblems: problems, runs: loadRuns() });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void startEngine();
void findInterruptedRun();
// For the robustness tests and for anyone curious: window.__loraPlayground.loseDevice('destroy' | 'reset').
(window as unknown as { __loraPlayground: object }).__loraPlayground = { loseDevice };
