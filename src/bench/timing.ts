// Timing helpers for the benchmark: warm-up, alternating sides, medians.

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Times two contenders on the same work: one warm-up each, then `reps` rounds that alternate
 * which side goes first, so drift (thermal, other load) hits both equally. Milliseconds.
 */
export async function timeSideBySide(
  ours: () => Promise<void>,
  peer: () => Promise<void>,
  reps: number,
): Promise<{ oursMs: number; peerMs: number; oursAll: number[]; peerAll: number[] }> {
  await ours();
  await peer();
  const oursAll: number[] = [];
  const peerAll: number[] = [];
  const timeOne = async (fn: () => Promise<void>, into: number[]) => {
    const start = performance.now();
    await fn();
    into.push(performance.now() - start);
  };
  for (let i = 0; i < reps; i++) {
    if (i % 2 === 0) {
      await timeOne(ours, oursAll);
      await timeOne(peer, peerAll);
    } else {
      await timeOne(peer, peerAll);
      await timeOne(ours, oursAll);
    }
  }
  return { oursMs: median(oursAll), peerMs: median(peerAll), oursAll, peerAll };
}

/**
 * Runs `work` with queue.submit held back: returns the command buffers of each submission it
 * made, in order, for the caller to submit (and time) as it likes. Buffer writes `work` makes
 * still reach the queue at once.
 */
export function holdSubmissions(queue: GPUQueue, work: () => void): GPUCommandBuffer[][] {
  const submit = queue.submit;
  const held: GPUCommandBuffer[][] = [];
  queue.submit = (buffers: Iterable<GPUCommandBuffer>) => void held.push([...buffers]);
  try {
    work();
  } finally {
    queue.submit = submit;
  }
  return held;
}

/**
 * Main-thread time to encode `work`'s command buffers, `reps` times: the submissions are held
 * until the clock stops (on a CPU "GPU" the work they start would slow the encoding of the rest).
 */
export async function encodingTimes(queue: GPUQueue, work: () => void, reps: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    const held = holdSubmissions(queue, work);
    times.push(performance.now() - started);
    for (const buffers of held) queue.submit(buffers);
    await queue.onSubmittedWorkDone();
  }
  return times;
}
