import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startEngine } from './engine.ts';
import { App } from './ui/App.tsx';
import './ui/styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void startEngine();
