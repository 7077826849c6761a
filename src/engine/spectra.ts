// Spectra of a run's adapters: A and B of every LoRA layer read back in one snapshot, the
// spectrum of ΔW = s·B·A from the factors (src/lora/spectrum.ts, never the dense ΔW), ‖ΔW‖/‖W‖
// per layer, and for the low-rank teacher the true ΔW* beside it. Asked for on request (the
// Session serves it between windows of steps), never every step.
import { readTensors } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import type { LoRALinear } from '../lora/lora-linear.ts';
import { leadingColumns, loraSpectrum, principalAngles, type Spectrum } from '../lora/spectrum.ts';
import { teacherLossFloor, type TeacherTask } from '../tasks/low-rank-teacher.ts';
import type { ModuleSpectrum, Spectra, TeacherSpectrum } from './types.ts';

export type RunSpectra = Omit<Spectra, 'runId'>;

export interface SpectraSource {
  layers: { path: string; lora: LoRALinear }[];
  /** True while the adapters are folded into their bases (W then holds W + ΔW). */
  merged(): boolean;
  step(): number;
  teacher?: { truth: TeacherTask['truth']; expected: TeacherTask['expected'] };
}

/** Returns the function a Run exposes as spectra(); base norms (frozen) are read once and kept. */
export function spectraReader(gpu: Gpu, source: SpectraSource): () => Promise<RunSpectra> {
  const baseNorms = new Map<string, number>();
  let truth: { spectrum: Spectrum; dense: Float32Array } | null = null;
  return async () => {
    const { layers } = source;
    const step = source.step();
    // One submission: A and B of every layer at the same step.
    const factors = await readTensors(gpu, layers.flatMap((l) => [l.lora.loraA, l.lora.loraB]));
    const modules: ModuleSpectrum[] = [];
    const spectra: Spectrum[] = [];
    for (const [i, { path, lora }] of layers.entries()) {
      const { inFeatures: inDim, outFeatures: outDim, rank } = lora.config;
      const [a, b] = [factors[2 * i], factors[2 * i + 1]];
      const scale = lora.scaling;
      const spectrum = loraSpectrum({ a, b, outDim, rank, inDim, scale }, !!source.teacher);
      spectra.push(spectrum);
      let baseNorm = baseNorms.get(path);
      if (baseNorm === undefined) {
        // Checked and read in the same turn: the readback is queued before any later merge.
        const merged = source.merged();
        const [w] = await readTensors(gpu, [lora.weight]);
        baseNorm = frobenius(w, merged ? { a, b, outDim, rank, inDim, scale } : null);
        baseNorms.set(path, baseNorm);
      }
      const deltaNorm = spectrum.frobenius;
      modules.push({
        path, rank, scale, singularValues: spectrum.singularValues, effectiveRank: spectrum.effectiveRank, numericalRank: spectrum.numericalRank,
        deltaNorm, baseNorm, ratio: baseNorm > 0 ? deltaNorm / baseNorm : 0,
      });
    }
    let teacher: TeacherSpectrum | null = null;
    if (source.teacher && layers.length === 1) {
      const { truth: t, expected } = source.teacher;
      const { inFeatures: d, rank } = layers[0].lora.config;
      if (!truth) {
        const spectrum = loraSpectrum({ a: t.a, b: t.b, outDim: d, rank: t.trueRank, inDim: d, scale: 1 }, true);
        truth = { spectrum, dense: dense(t.b, t.a, d, t.trueRank, d, 1) };
      }
      const learned = spectra[0];
      const k = t.trueRank;
      const m = Math.min(rank, k);
      // Directions ΔW holds at all (σ above the numerical-rank threshold), up to m; the rest count as π/2.
      const kept = Math.min(m, learned.numericalRank);
      const width = learned.singularValues.length;
      const angles = (mine: Float64Array, theirs: Float64Array) => {
        const found = principalAngles(leadingColumns(mine, d, width, kept), theirs, d, kept, k);
        return [...found, ...Array<number>(m - found.length).fill(Math.PI / 2)];
      };
      teacher = {
        trueRank: k,
        trueSingularValues: truth.spectrum.singularValues,
        columnAngles: angles(learned.u!, truth.spectrum.u!),
        rowAngles: angles(learned.v!, truth.spectrum.v!),
        heatmap: { rows: d, cols: d, learned: dense(factors[1], factors[0], d, rank, d, layers[0].lora.scaling), truth: truth.dense },
        initialLoss: expected.initialLoss,
        floor: expected.floor,
        floorFromSpectrum: teacherLossFloor(truth.spectrum.singularValues, rank, d),
      };
    }
    return { step, modules, teacher };
  };
}

/** ‖W‖_F in float64; with `merged` the buffer holds W + s·B·A, and ΔW is taken off first. */
function frobenius(w: Float32Array, merged: { a: Float32Array; b: Float32Array; outDim: number; rank: number; inDim: number; scale: number } | null): number {
  let sum = 0;
  if (!merged) {
    for (const x of w) sum += x * x;
    return Math.sqrt(sum);
  }
  const { a, b, outDim, rank, inDim, scale } = merged;
  for (let i = 0; i < outDim; i++) {
    for (let j = 0; j < inDim; j++) {
      let delta = 0;
      for (let k = 0; k < rank; k++) delta += b[i * rank + k] * a[k * inDim + j];
      sum += (w[i * inDim + j] - scale * delta) ** 2;
    }
  }
  return Math.sqrt(sum);
}

/**
 * scale·B·A as a dense (out, in) f32 matrix (the teacher's 64×64 heatmap). Written here, not taken
 * from src/reference/svd.ts's loraDeltaReference: the reference is the specification the tests
 * check this against, and shares no code with what the page shows.
 */
function dense(b: ArrayLike<number>, a: ArrayLike<number>, outDim: number, rank: number, inDim: number, scale: number): Float32Array {
  const out = new Float32Array(outDim * inDim);
  for (let i = 0; i < outDim; i++) {
    for (let j = 0; j < inDim; j++) {
      let sum = 0;
      for (let k = 0; k < rank; k++) sum += b[i * rank + k] * a[k * inDim + j];
      out[i * inDim + j] = scale * sum;
    }
  }
  return out;
}
