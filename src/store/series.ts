// Loss series helpers: TensorBoard-style smoothing, and downsampling for drawing (what is stored
// keeps every point; what is drawn keeps each bucket's first, lowest and highest).
export interface LossPoint {
  step: number;
  loss: number;
  valLoss?: number;
}

/** Exponential moving average with bias correction (early points are not dragged toward 0). */
export function smooth(values: number[], weight = 0.9): number[] {
  let ema = 0;
  return values.map((v, i) => {
    ema = weight * ema + (1 - weight) * v;
    return ema / (1 - weight ** (i + 1));
  });
}

/** At most about `max` points: per bucket its first, min-loss and max-loss points; validation points always kept. */
export function downsample(points: LossPoint[], max: number): LossPoint[] {
  if (points.length <= max) return points;
  const per = Math.ceil(points.length / Math.floor(max / 3));
  const out: LossPoint[] = [];
  for (let start = 0; start < points.length; start += per) {
    const bucket = points.slice(start, start + per);
    let lo = bucket[0];
    let hi = bucket[0];
    for (const p of bucket) {
      if (p.loss < lo.loss) lo = p;
      if (p.loss > hi.loss) hi = p;
    }
    const keep = new Set([bucket[0], lo, hi, ...bucket.filter((p) => p.valLoss !== undefined)]);
    out.push(...[...keep].sort((a, b) => a.step - b.step));
  }
  const last = points[points.length - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}
