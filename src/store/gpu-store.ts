// What the UI knows about the GPU: plain data only (no GPU objects live in the store).
import { create } from 'zustand';
import type { AdapterSummary } from '../gpu/device.ts';
import type { UnavailableReason } from '../gpu/errors.ts';

export type GpuStatus =
  | { state: 'pending' }
  | { state: 'ready'; adapter: AdapterSummary }
  | { state: 'unavailable'; reason: UnavailableReason | 'error'; message: string };

export const useGpuStore = create<{ status: GpuStatus; setStatus(status: GpuStatus): void }>((set) => ({
  status: { state: 'pending' },
  setStatus: (status) => set({ status }),
}));
