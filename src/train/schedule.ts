// Learning-rate schedules: constant, or linear warmup then cosine decay to zero (as
// transformers' get_cosine_schedule_with_warmup).

export type Schedule = { kind: 'constant' } | { kind: 'cosine'; warmupSteps: number };

/** The learning rate for step t (0-based) of `total`. */
export function learningRateAt(schedule: Schedule, baseLr: number, t: number, total: number): number {
  if (schedule.kind === 'constant') return baseLr;
  const warmup = Math.max(0, Math.floor(schedule.warmupSteps));
  if (t < warmup) return (baseLr * (t + 1)) / warmup;
  const progress = total > warmup ? (t - warmup) / (total - warmup) : 1;
  return baseLr * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}
