// Merge that comes back bit for bit: saves each base weight, folds the adapter in (W ← W + s·B·A,
// the merge kernel), refuses (restoring the saved weights) if any merged weight is non-finite, and
// unmerges by copying the saved weights back. Arithmetic unmerge (W − s·B·A) in float32 need not
// return W exactly, so every merge that must be undone (export, the page's merge) goes through here.
import { copyTensor, createTensorLike, readTensor, type GpuTensor } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import type { LoRALinear } from './lora-linear.ts';

export class ExactMerge {
  private saved: { lora: LoRALinear; copy: GpuTensor }[] = [];
  constructor(private readonly gpu: Gpu, private readonly layers: { path: string; lora: LoRALinear }[]) {}

  get merged(): boolean {
    return this.saved.length > 0;
  }

  async merge(): Promise<void> {
    if (this.merged) return;
    const unmergedLayers = this.layers.filter((l) => !l.lora.merged);
    for (const l of unmergedLayers) {
      const copy = await createTensorLike(this.gpu, `${l.path}.weight.saved`, l.lora.weight); // packed stays packed
      copyTensor(this.gpu, l.lora.weight, copy);
      this.saved.push({ lora: l.lora, copy });
    }
    for (const l of unmergedLayers) l.lora.merge();
    for (const l of unmergedLayers) {
      const w = await readTensor(this.gpu, l.lora.weight);
      if (!w.every(Number.isFinite)) {
        this.unmerge();
        throw new Error(`merge refused: ${l.path} would hold non-finite weights; the base is unchanged`);
      }
    }
  }

  unmerge(): void {
    for (const { lora, copy } of this.saved) {
      lora.restoreBase(copy);
      copy.buffer.destroy();
    }
    this.saved = [];
  }
}
