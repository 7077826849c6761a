// The workbench's buttons: Train / Pause / Step / Reset, merge and unmerge, export, generate,
// settings and runs. A run keeps going until its steps are done or Pause; the store is updated
// at most every UPDATE_MS so the page stays responsive however fast the GPU steps.
import { CONTROLS, settingsErrors, trainerSettings, type PlaygroundSettings, type SettingsContext } from '../settings/playground-settings.ts';
import { deviceGeneration, onDeviceRecovered, onUncapturedError, readyGpu } from '../engine.ts';
import { usePlayground } from '../store/playground-store.ts';
import { runLabel, useWorkbench, type RunRecord } from '../store/workbench-store.ts';
import type { StepMetrics } from '../train/trainer.ts';
import { GpuStepError, NonFiniteError } from '../train/trainer.ts';
import { baseAndText, languageModelConfig } from './actions.ts';
import { downloadFiles } from './files.ts';
import { clearCheckpoint, readCheckpoint, writeCheckpoint } from './autosave.ts';
import { saveRuns, saveSettings } from './persistence.ts';
import { createLmWorkbench, createTeacherWorkbench, PAGE_TEACHER, type Workbench } from './workbench.ts';

const UPDATE_MS = 200;
const FINGERPRINT_EVERY = 10;
/** The adapter is copied to memory this often (and on pause), to survive a lost device. */
const CHECKPOINT_EVERY = 10;

let bench: Workbench | null = null;
/** The last adapter checkpoint of the current run, in CPU memory. */
let checkpoint: { runId: string; step: number; tensors: Float32Array[] } | null = null;
/** Settings the workbench was built with: a change means the next Train starts a new run. */
let builtWith: string | null = null;

/** What makes a run: everything but steps, learning rate and clipping (changing those continues it), plus the model and text it trains on. */
function buildKey(s: PlaygroundSettings, modelAndText: unknown[]): string {
  return JSON.stringify([{ ...s, steps: 0, lr: 0, maxGradNorm: 0 }, s.task === 'tiny-lm' ? modelAndText : null]);
}

const state = () => useWorkbench.getState();
/** A run's loop is going (or finishing its last step after Pause). */
const isActive = () => state().status === 'running' || state().status === 'pausing';

function notify(kind: 'error' | 'info', text: string) {
  state().set({ notice: { kind, text } });
}

/** Limits the controls need to know: the targeted layers' sizes and the model's depth and context. */
export function settingsContext(s: PlaygroundSettings): SettingsContext {
  if (s.task === 'teacher') return { maxRank: PAGE_TEACHER.dim, layers: CONTROLS.layerTo.max + 1, context: CONTROLS.seq.max }; // layers and sequences do not apply
  const c = languageModelConfig();
  const hd = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  const sizes: Record<string, number> = {
    q_proj: Math.min(c.hidden_size, c.num_attention_heads * hd), k_proj: Math.min(c.hidden_size, c.num_key_value_heads * hd), v_proj: Math.min(c.hidden_size, c.num_key_value_heads * hd),
    o_proj: Math.min(c.hidden_size, c.num_attention_heads * hd), gate_proj: Math.min(c.hidden_size, c.intermediate_size), up_proj: Math.min(c.hidden_size, c.intermediate_size), down_proj: Math.min(c.hidden_size, c.intermediate_size),
  };
  const targets = s.targets === 'all-linear' ? Object.keys(sizes) : s.targets;
  return { maxRank: Math.min(...targets.map((t) => sizes[t])), layers: c.num_hidden_layers, context: c.max_position_embeddings };
}

export function updateSettings(partial: Partial<PlaygroundSettings>): void {
  const before = state().settings;
  const next = { ...before, ...partial };
  if (next.alphaLock && (partial.rank !== undefined || partial.alphaLock)) next.alpha = Math.min(128, 2 * next.rank);
  state().set({ settings: next });
  const problem = saveSettings(next);
  if (problem) notify('error', problem);
}

function persistRuns(runs: RunRecord[]) {
  state().set({ runs });
  const problem = saveRuns(runs);
  if (problem) notify('error', problem);
}

async function buildWorkbench(s: PlaygroundSettings): Promise<Workbench> {
  const gpu = await readyGpu();
  if (!gpu) throw new Error('no GPU: this page could not get a WebGPU device (see the GPU panel)');
  if (s.task === 'teacher') return createTeacherWorkbench(gpu, s);
  const { base, tokens } = await baseAndText();
  return createLmWorkbench(gpu, base, tokens, s);
}

async function saveCheckpoint(b: Workbench): Promise<void> {
  const runId = state().currentRun;
  if (!runId || b.completed === 0) return;
  flush(true); // the run's points so far go to localStorage with the checkpoint
  checkpoint = { runId, step: b.completed, tensors: await b.checkpoint() };
  const s = state().settings;
  const run = state().runs.find((r) => r.id === runId);
  try {
    await writeCheckpoint({ runId, label: run?.label ?? runLabel(s), settings: s, step: b.completed, finished: b.completed >= s.steps, tensors: checkpoint.tensors });
  } catch (err) {
    notify('error', `autosave failed: ${(err as Error).message}; the run goes on, but a reload would lose its progress`);
  }
}

/** At page load: offers to resume a run that was autosaved before it finished. */
export async function findInterruptedRun(): Promise<void> {
  try {
    const saved = await readCheckpoint();
    if (saved && !saved.finished && state().runs.some((r) => r.id === saved.runId)) {
      state().set({ resumeOffer: { runId: saved.runId, label: saved.label, step: saved.step } });
    }
  } catch (err) {
    notify('error', `could not read the autosaved run: ${(err as Error).message}`);
  }
}

/** Rebuilds the interrupted run with its settings and writes its adapter back at its step. */
export async function resumeInterruptedRun(): Promise<void> {
  if (isActive()) return;
  try {
    const saved = await readCheckpoint();
    if (!saved) throw new Error('the autosaved run is gone');
    bench?.destroy();
    bench = null;
    state().set({ settings: saved.settings, resumeOffer: null });
    saveSettings(saved.settings);
    if (saved.settings.task === 'tiny-lm') await baseAndText();
    bench = await buildWorkbench(saved.settings);
    const { base, text } = usePlayground.getState();
    builtWith = buildKey(saved.settings, [base?.name, text?.name, text?.tokens]);
    bench.restore(saved.tensors, saved.step);
    checkpoint = { runId: saved.runId, step: saved.step, tensors: saved.tensors };
    persistRuns(state().runs.map((r) => (r.id === saved.runId ? { ...r, points: r.points.filter((p) => p.step <= saved.step) } : r)));
    const fp = await bench.fingerprint();
    state().set({
      currentRun: saved.runId, status: 'paused', modules: bench.modules, frozenNames: bench.frozenNames, norms: {}, generation: null,
      fingerprint: { initial: fp, current: fp, atStep: saved.step }, merge: { merged: false, report: null },
      notice: { kind: 'info', text: `resumed ${saved.label} at step ${saved.step} (autosaved ${saved.savedAt}); press Train to continue` },
    });
  } catch (err) {
    notify('error', `could not resume: ${(err as Error).message}`);
  }
}

export async function discardInterruptedRun(): Promise<void> {
  state().set({ resumeOffer: null });
  await clearCheckpoint().catch((err) => notify('error', `could not discard the autosave: ${(err as Error).message}`));
}

async function ensureWorkbench(): Promise<Workbench> {
  const s = state().settings;
  if (s.task === 'tiny-lm') await baseAndText(); // loads the bundled model the first time
  const { base, text } = usePlayground.getState();
  const key = buildKey(s, [base?.name, text?.name, text?.tokens]);
  if (bench && builtWith === key) {
    bench.adjust(trainerSettings(s)); // a lowered rate or clipping after a divergence continues the same run
    return bench;
  }
  const errors = Object.values(settingsErrors(s, settingsContext(s)));
  if (errors.length) throw new Error(`fix the settings first: ${errors.join('; ')}`);
  const gpu = await readyGpu();
  if (!gpu) throw new Error('no GPU: this page could not get a WebGPU device (see the GPU panel)');
  bench?.destroy();
  bench = null;
  bench = await buildWorkbench(s);
  builtWith = key;
  checkpoint = null;
  const run: RunRecord = { id: `run-${Date.now().toString(36)}`, label: runLabel(s), settings: s, points: [], visible: true };
  const fp = await bench.fingerprint();
  state().set({
    currentRun: run.id, modules: bench.modules, frozenNames: bench.frozenNames, norms: {}, generation: null,
    fingerprint: { initial: fp, current: fp, atStep: 0 }, merge: { merged: false, report: null },
  });
  persistRuns([...state().runs, run]);
  return bench;
}

let pending: StepMetrics[] = [];
let lastFlush = 0;

function flush(force = false) {
  const now = performance.now();
  if (!pending.length || (!force && now - lastFlush < UPDATE_MS)) return;
  lastFlush = now;
  const { runs, currentRun, norms } = state();
  const nextNorms = { ...norms };
  for (const m of pending) for (const [name, v] of Object.entries(m.gradNorms)) nextNorms[name] = [...(nextNorms[name] ?? []), v];
  const points = pending.map((m) => ({ step: m.step, loss: m.loss, ...(m.valLoss !== undefined ? { valLoss: m.valLoss } : {}) }));
  pending = [];
  const nextRuns = runs.map((r) => (r.id === currentRun ? { ...r, points: [...r.points, ...points] } : r));
  state().set({ norms: nextNorms, runs: nextRuns });
  if (force) persistRuns(nextRuns);
}

/** GPU errors no scope caught (the optimizer's pass, a fingerprint...), since the last step. */
let uncaught: string[] = [];

class UncaughtGpuError extends Error {}

onUncapturedError((message) => {
  if (isActive()) uncaught.push(message); // the loop stops at its next step and restores the checkpoint
  else notify('error', `The GPU reported an error: ${message}`);
});

/** Up to `limit` steps (a window of at most 10: one readback), then checkpoint and fingerprint when due. */
async function someSteps(b: Workbench, limit: number): Promise<void> {
  const metrics = await b.steps(limit);
  const last = metrics.at(-1)?.step ?? b.completed;
  if (uncaught.length) throw new UncaughtGpuError(`The GPU reported an error during the run (noticed after step ${last}): ${uncaught.join('; ')}`);
  pending.push(...metrics);
  if (metrics.some((m) => m.step % CHECKPOINT_EVERY === 0)) await saveCheckpoint(b);
  if (metrics.some((m) => m.step % FINGERPRINT_EVERY === 0)) {
    const fp = state().fingerprint;
    if (fp) state().set({ fingerprint: { ...fp, current: await b.fingerprint(), atStep: last } });
  }
  flush();
}

async function guardedRun(work: (b: Workbench) => Promise<void>): Promise<void> {
  const started = deviceGeneration();
  uncaught = [];
  try {
    const b = await ensureWorkbench();
    if (b.merged) throw new Error('the adapter is merged: unmerge before training');
    await work(b);
    await saveCheckpoint(b);
  } catch (err) {
    // A lost device fails the step in flight; the recovery below reports it and restores.
    if (deviceGeneration() !== started) return;
    if (err instanceof UncaughtGpuError) {
      notify('error', `${err.message}. ${restoreCheckpoint()}`);
      state().set({ status: bench ? 'paused' : 'idle' });
    } else {
      notify('error', (err as Error).message);
      if (err instanceof NonFiniteError || err instanceof GpuStepError) state().set({ status: 'paused' });
    }
  } finally {
    if (deviceGeneration() === started) {
      flush(true);
      if (bench) {
        const fp = state().fingerprint;
        if (fp) state().set({ fingerprint: { ...fp, current: await bench.fingerprint(), atStep: bench.completed } });
      }
    }
  }
}

/** After a GPU error the adapter may hold a half-applied update: back to the last checkpoint. */
function restoreCheckpoint(): string {
  flush(true);
  const cp = checkpoint;
  if (!bench || !cp || cp.runId !== state().currentRun) {
    bench?.destroy();
    bench = null;
    builtWith = null;
    return 'This run had no checkpoint yet: the next Train starts a new run (the chart keeps this one).';
  }
  bench.restore(cp.tensors, cp.step);
  persistRuns(state().runs.map((r) => (r.id === cp.runId ? { ...r, points: r.points.filter((p) => p.step <= cp.step) } : r)));
  return `The adapter was restored from its checkpoint at step ${cp.step}; press Train to continue.`;
}

/**
 * A new device after a loss: rebuild the workbench from the same settings (the base weights are
 * regenerated or re-uploaded from memory), write the last adapter checkpoint back, and drop the
 * run's points after it. The user resumes with Train; no run and no saved adapter is lost.
 */
onDeviceRecovered(async (_gpu, loss) => {
  const lostAt = bench?.completed ?? 0;
  bench = null; // its buffers died with the device
  builtWith = null;
  pending = [];
  const wasActive = state().status !== 'idle' || state().currentRun !== null;
  state().set({ status: 'idle' });
  if (!wasActive) return;
  const cp = checkpoint;
  try {
    const s = state().settings;
    bench = await buildWorkbench(s);
    const { base, text } = usePlayground.getState();
    builtWith = buildKey(s, [base?.name, text?.name, text?.tokens]);
    const restoredStep = cp && cp.runId === state().currentRun ? cp.step : 0;
    if (cp && restoredStep > 0) bench.restore(cp.tensors, restoredStep);
    const runs = state().runs.map((r) => (r.id === state().currentRun ? { ...r, points: r.points.filter((p) => p.step <= restoredStep) } : r));
    persistRuns(runs);
    const fp = await bench.fingerprint();
    state().set({
      status: restoredStep > 0 ? 'paused' : 'idle', modules: bench.modules, merge: { merged: false, report: null },
      fingerprint: { initial: state().fingerprint?.initial ?? fp, current: fp, atStep: restoredStep },
    });
    notify('error', `The GPU device was lost at step ${lostAt} (${loss.reason}: ${loss.message}). A new device was acquired and the adapter restored from step ${restoredStep}; press Train to resume.`);
  } catch (err) {
    notify('error', `The GPU device was lost (${loss.reason}) and the run could not be rebuilt: ${(err as Error).message}. Your runs are kept; press Reset and Train to start again.`);
  }
});

export async function train(): Promise<void> {
  if (isActive()) return;
  state().set({ status: 'running', notice: null });
  await guardedRun(async (b) => {
    const steps = state().settings.steps;
    while (state().status === 'running' && b.completed < steps) await someSteps(b, steps - b.completed);
  });
  const stopped = state().status;
  state().set({ status: stopped === 'pausing' || stopped === 'paused' ? 'paused' : 'idle' });
}

export function pause(): void {
  if (state().status === 'running') state().set({ status: 'pausing' }); // the loop finishes its step, saves a checkpoint, then 'paused'
}

export async function stepOnce(): Promise<void> {
  if (isActive()) return;
  state().set({ notice: null });
  await guardedRun(async (b) => someSteps(b, 1));
  state().set({ status: bench ? 'paused' : 'idle' });
}

export function reset(): void {
  if (isActive()) return;
  bench?.destroy();
  bench = null;
  builtWith = null;
  state().set({ status: 'idle', currentRun: null, modules: [], norms: {}, fingerprint: null, merge: { merged: false, report: null }, generation: null, notice: null });
}

export async function mergeNow(): Promise<void> {
  if (!bench || isActive()) return;
  try {
    const report = await bench.merge();
    state().set({ merge: { merged: true, report } });
    const fp = state().fingerprint;
    // Merging writes W + s·B·A into the base buffers: the fingerprint changes, and comes back on unmerge.
    if (fp) state().set({ fingerprint: { ...fp, current: await bench.fingerprint() } });
  } catch (err) {
    notify('error', (err as Error).message);
  }
}

export async function unmergeNow(): Promise<void> {
  if (!bench || isActive()) return;
  bench.unmerge();
  const fp = state().fingerprint;
  state().set({ merge: { merged: false, report: state().merge.report }, ...(fp ? { fingerprint: { ...fp, current: await bench.fingerprint() } } : {}) });
}

export async function exportFiles(what: 'adapter' | 'merged'): Promise<void> {
  if (!bench || isActive()) return;
  try {
    const files = what === 'adapter' ? await bench.adapterFiles() : await bench.mergedFiles();
    const name = `${state().settings.task}-r${state().settings.rank}-${what}`;
    downloadFiles(`${name}.zip`, Object.fromEntries(Object.entries(files).map(([n, c]) => [`${name}/${n}`, c])));
  } catch (err) {
    notify('error', (err as Error).message);
  }
}

export async function generate(prompt: string, maxNew: number, temperature: number): Promise<void> {
  if (!bench?.generate || isActive()) return;
  try {
    state().set({ generation: await bench.generate(prompt, maxNew, temperature, Date.now() & 0xffff) });
  } catch (err) {
    notify('error', (err as Error).message);
  }
}

export function toggleRun(id: string): void {
  persistRuns(state().runs.map((r) => (r.id === id ? { ...r, visible: !r.visible } : r)));
}

export function deleteRun(id: string): void {
  if (id === state().currentRun && isActive()) return;
  persistRuns(state().runs.filter((r) => r.id !== id));
}
