// The live GPU-memory breakdown: every storage buffer alive on the device (the registry in
// src/gpu/allocations.ts), sorted into the kinds the memory estimate uses by its label. Labels
// come from the code that allocates: HF weight names for weights, `.lora_A`/`.lora_B` (and DoRA's
// `.lora_magnitude_vector`) for adapters, `.grad` for gradients, `.adam.m`/`.adam.v` for Adam's moments, and the trainer's
// rollback copies (`.windowStart`, `.lastFinite`) and the merge's saved bases (`.weight.saved`).
import type { Allocation } from '../gpu/allocations.ts';
import type { MemoryBreakdown } from './types.ts';

export type MemoryKind = keyof MemoryBreakdown['parts'];

export function memoryKind(label: string): MemoryKind {
  if (/\.grad$/.test(label)) return 'gradients';
  if (/\.adam\.[mv]$/.test(label)) return 'optimizer';
  if (/\.(windowStart|lastFinite)$/.test(label) || /\.weight\.saved$/.test(label)) return 'trainer copies';
  if (/\.(lora_[AB]|lora_magnitude_vector)$/.test(label)) return 'adapters'; // DoRA's magnitude m is adapter state too
  if (/\.weight$/.test(label) || /^teacher\.(W|A\*|B\*)$/.test(label)) return 'base weights';
  return 'activations';
}

/** One copy of a language model's base holds exactly one embedding table. */
const BASE_MARKER = 'model.embed_tokens.weight';

export function memoryBreakdown(allocations: readonly Allocation[]): MemoryBreakdown {
  const parts: MemoryBreakdown['parts'] = { 'base weights': 0, adapters: 0, gradients: 0, optimizer: 0, activations: 0, 'trainer copies': 0 };
  let baseCopies = 0;
  for (const a of allocations) {
    parts[memoryKind(a.label)] += a.bytes;
    if (a.label === BASE_MARKER) baseCopies++;
  }
  return { parts, total: allocations.reduce((s, a) => s + a.bytes, 0), buffers: allocations.length, baseCopies };
}
