// What the UI knows about the GPU: plain data only (the device lives in the engine worker).
import { create } from 'zustand';
import type { GpuStatus } from '../engine/types.ts';

export type { GpuStatus };

export const useGpuStore = create<{ status: GpuStatus; setStatus(status: GpuStatus): void }>((set) => ({
  status: { state: 'pending' },
  setStatus: (status) => set({ status }),
}));
