import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { installController, PageController } from './app/controller.ts';
import { downloadZip } from './app/download.ts';
import { startEngineWorker } from './app/engine-client.ts';
import { loadRuns, loadSettings, saveRuns, saveSettings } from './app/persistence.ts';
import { useWorkbench } from './store/workbench-store.ts';
import type { Faults } from './worker/faults.ts';
import { App } from './ui/App.tsx';
import './ui/styles.css';

// The last configuration (a shared link wins over what this browser saved) and earlier runs.
const { settings, problems } = loadSettings();
useWorkbench.getState().set({ settings, settingsProblems: problems, runs: loadRuns() });

// The engine runs in a worker; this thread keeps React, the stores and the controller.
const controller = installController(
  new PageController(startEngineWorker((message) => controller.engineCrashed(message)), { saveSettings, saveRuns, download: (f) => downloadZip(f.name, f.zip), now: () => Date.now() }),
);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
// Robustness tests set window.__loraFaults before the page loads: the worker applies them to its own globals.
const w = window as unknown as { __loraFaults?: Faults; __loraPlayground: object };
void controller.start(w.__loraFaults ?? null);
// For the robustness tests and for anyone curious: window.__loraPlayground.loseDevice('destroy' | 'reset').
w.__loraPlayground = { loseDevice: controller.loseDevice, breakPass: controller.breakPass, memory: controller.memory };
