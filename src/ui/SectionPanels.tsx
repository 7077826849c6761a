// The panels of the sections below the first screen (src/ui/App.tsx): one chunk, fetched after
// the first screen shows (src/ui/Deferred.tsx), so the first load carries only the instrument.
import type { ComponentType } from 'react';
import { AdapterPanel } from './AdapterPanel.tsx';
import { InspectorPanel } from './InspectorPanel.tsx';
import { InspectPanel } from './InspectPanel.tsx';
import { LibraryPanel } from './LibraryPanel.tsx';
import { MemoryPanel } from './MemoryPanel.tsx';
import { MergePanel } from './MergePanel.tsx';
import { ModelPanel } from './ModelPanel.tsx';
import { ParameterPanel } from './ParameterPanel.tsx';
import { SaveRunPanel } from './SaveRunPanel.tsx';
import { ScalePanel } from './ScalePanel.tsx';
import { TryPanel } from './TryPanel.tsx';

const PANELS = {
  parameters: [MemoryPanel, ScalePanel],
  merge: [MergePanel, TryPanel],
  gradients: [InspectorPanel],
  'your-model': [ModelPanel, SaveRunPanel, LibraryPanel, InspectPanel, AdapterPanel, ParameterPanel],
} satisfies Record<string, ComponentType[]>;

export type SectionId = keyof typeof PANELS;

export default function SectionPanels({ id }: { id: SectionId }) {
  return (
    <div className="panels">
      {PANELS[id].map((Panel, i) => <Panel key={i} />)}
    </div>
  );
}
