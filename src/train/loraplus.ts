// LoRA+ (Hayou et al. 2024): B learns λ times faster than A. PEFT's create_loraplus_optimizer
// (peft/optimizers/loraplus.py) puts every lora_B and every 1-D parameter (DoRA's magnitude
// vector, biases) in the group with learning rate λ·lr, everything else at lr; its docs suggest
// loraplus_lr_ratio = 16. λ = 1 is plain LoRA.

/** PEFT docs' suggested loraplus_lr_ratio. */
export const LORAPLUS_DEFAULT_RATIO = 16;

/** The factor on the learning rate of one trainable tensor under LoRA+ with ratio λ (null: off). */
export function loraplusLrScale(p: { name: string; param: { shape: readonly number[] } }, ratio: number | null): number {
  if (ratio === null) return 1;
  if (!(Number.isFinite(ratio) && ratio > 0)) throw new RangeError(`loraplus_lr_ratio must be a positive number, got ${ratio}`);
  return p.name.includes('lora_B') || p.param.shape.length === 1 ? ratio : 1;
}
