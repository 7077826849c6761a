// The page controller's state machine without a browser: the real controller and stores, driving
// a real Session (Dawn in Node) through the same EngineApi the worker exposes — only the worker
// boundary, IndexedDB and the browser's storage and downloads are replaced by in-memory ones.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Session } from '../engine/session.ts';
import type { AdapterLibrary, CheckpointStore, Generation, SavedCheckpoint, StoredAdapter } from '../engine/types.ts';
import { acquireNodeGpu } from '../gpu/node-gpu.ts';
import { folderReader } from '../cli/folder-reader.ts';
import { readZip } from '../io/zip.ts';
import { parseSafetensors } from '../io/safetensors.ts';
import { DEFAULT_SETTINGS, TRY_PROMPT, type PlaygroundSettings } from '../settings/playground-settings.ts';
import { usePlayground } from '../store/playground-store.ts';
import { useWorkbench } from '../store/workbench-store.ts';
import { TINY_BASE_DIR } from '../tasks/tiny-base.ts';
import { createEngineApi } from '../worker/engine-api.ts';
import type { ZipExport } from '../worker/protocol.ts';
import { PageController } from './controller.ts';

function memoryLibrary(): AdapterLibrary {
  const items = new Map<string, StoredAdapter>();
  return {
    list: async () => [...items.values()],
    get: async (name) => items.get(name),
    add: async (a) => {
      if (items.has(a.name)) throw new Error(`an adapter named ${a.name} already exists`);
      items.set(a.name, a);
    },
    delete: async (name) => void items.delete(name),
  };
}

function memoryCheckpoints(): CheckpointStore & { saved: SavedCheckpoint | undefined } {
  const store = {
    saved: undefined as SavedCheckpoint | undefined,
    write: async (c: Omit<SavedCheckpoint, 'savedAt'>) => void (store.saved = { ...c, savedAt: 'now' }),
    read: async () => store.saved,
    clear: async () => void (store.saved = undefined),
  };
  return store;
}

const wb = () => useWorkbench.getState();
const pg = () => usePlayground.getState();
const points = () => wb().runs.find((r) => r.id === wb().currentRun)?.points.length ?? 0;
/** What the engine returned to "Try it" (the controller stores it whole). */
const generation = () => wb().generation as Generation;
/** The fingerprint of the run's base weights as they are now on the GPU (the Session's own check). */
const gpuFingerprint = () => (session as unknown as { run: { fingerprint(): Promise<string> } }).run.fingerprint();

async function until(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let session: Session;
let controller: PageController;
let downloads: ZipExport[];
let checkpoints: ReturnType<typeof memoryCheckpoints>;

const settings = (s: Partial<PlaygroundSettings>) => controller.updateSettings({ ...DEFAULT_SETTINGS, ...s });

beforeAll(async () => {
  checkpoints = memoryCheckpoints();
  session = new Session({ acquireGpu: acquireNodeGpu, builtinModel: { name: 'byte-caps', read: await folderReader(TINY_BASE_DIR) }, library: memoryLibrary(), checkpoints });
  downloads = [];
  controller = new PageController(createEngineApi(session), { saveSettings: () => null, saveRuns: () => null, download: (f) => downloads.push(f), now: () => Date.now() });
  await controller.start();
  expect(useWorkbench.getState().status).toBe('idle');
});

afterAll(() => session?.close());

beforeEach(() => {
  controller.reset();
  wb().set({ runs: [], notice: null, settings: DEFAULT_SETTINGS });
});

describe('page controller', () => {
  it('train: idle → running → idle, one run record holding every step, base gradient null from the engine, fingerprint unchanged', async () => {
    settings({ task: 'teacher', steps: 12, lr: 0.02 });
    const statuses: string[] = [];
    const off = useWorkbench.subscribe((s, before) => s.status !== before.status && statuses.push(s.status));
    await controller.train();
    off();
    expect(statuses).toEqual(['running', 'idle']);
    expect(wb().runs).toHaveLength(1);
    expect(points()).toBe(12);
    expect(wb().modules).toEqual([expect.objectContaining({ path: 'student', rank: 4, baseGrad: null })]);
    expect(wb().norms['student.lora_B.weight']).toHaveLength(12);
    expect(wb().fingerprint!.current).toBe(wb().fingerprint!.initial);
    expect(wb().memory!.parts.adapters).toBeGreaterThan(0);
    expect(wb().memory!.parts.gradients).toBe(2 * 4 * 64 * 4); // dA and dB: r·64 floats each
    expect(checkpoints.saved?.step).toBe(12); // autosaved at step 10 and at the end
  });

  it('rank sweep: one fresh run per rank with the same seed, each ending at its last step with the floor its run carried; the settings come back', async () => {
    settings({ task: 'teacher', rank: 3, alpha: 6, steps: 8, lr: 0.05 });
    wb().set({ sweep: null });
    await controller.rankSweep([1, 2]);
    const sweep = wb().sweep!;
    expect(sweep).toMatchObject({ running: false, stopped: null, task: 'teacher' });
    expect(sweep.points.map((p) => p.rank)).toEqual([1, 2]);
    expect(new Set(sweep.points.map((p) => p.runId)).size).toBe(2);
    for (const p of sweep.points) {
      const run = wb().runs.find((r) => r.id === p.runId)!;
      expect(run.settings).toMatchObject({ rank: p.rank, alpha: 2 * (p.rank as number), seed: DEFAULT_SETTINGS.seed });
      const end = run.points.at(-1)!;
      expect(end.step).toBe(8);
      expect(p.loss).toBe(end.valLoss ?? end.loss);
      expect(p.floor).toBe(run.floor);
    }
    expect(sweep.points[0].floor!).toBeGreaterThan(sweep.points[1].floor!); // (k − r)/k of the untrained loss
    expect(wb().settings).toMatchObject({ rank: 3, alpha: 6 });
  });

  it('rank sweep: refused, with the reason, while the current run holds an adapter that is in no library', async () => {
    settings({ task: 'tiny-lm', steps: 3, lr: 0.02 });
    wb().set({ sweep: null });
    await controller.stepOnce();
    expect(pg().active).toBe('unsaved');
    const run = wb().currentRun;
    await controller.rankSweep([1]);
    expect(wb().notice?.text).toContain('whose adapter is not saved');
    expect(wb().sweep).toBeNull();
    expect(wb().currentRun).toBe(run);
    expect(points()).toBe(1);
  });

  it('pause and step: the loop stops after its window, Step adds one step to the same run', async () => {
    settings({ task: 'teacher', steps: 100_000, lr: 0.01 });
    const training = controller.train();
    await until('a few steps', () => points() >= 3);
    controller.pause();
    expect(wb().status).toBe('pausing');
    await training;
    expect(wb().status).toBe('paused');
    const paused = points();
    await controller.stepOnce();
    expect(points()).toBe(paused + 1);
    expect(wb().runs).toHaveLength(1);
    expect(wb().status).toBe('paused');
  });

  it('Step: the page shows the engine busy from the click until the engine lets go (the checkpoint and the base fingerprint come after the chart point), then clears it', async () => {
    settings({ task: 'teacher', steps: 100, lr: 0.01 });
    const busyTexts: (string | null)[] = [];
    const off = usePlayground.subscribe((s, prev) => s.busy !== prev.busy && busyTexts.push(s.busy));
    let busyWhenThePointCame: string | null | undefined;
    const offPoints = useWorkbench.subscribe(() => {
      if (busyWhenThePointCame === undefined && points() > 0) busyWhenThePointCame = pg().busy;
    });
    try {
      await controller.stepOnce();
    } finally {
      off();
      offPoints();
    }
    expect(busyTexts[0]).toBe('a step');
    expect(busyTexts).toContain('checking that the base weights did not change');
    expect(busyWhenThePointCame).not.toBeNull(); // the chart has the step, the engine is not done yet
    expect(pg().busy).toBeNull();
    // A second Step right away is taken, not refused with "wait for: a step".
    await controller.stepOnce();
    expect(points()).toBe(2);
    expect(wb().notice).toBeNull();
  });

  it('merge, export, unmerge: parity within float32, a merged download that parses, and the base fingerprint back bit for bit', async () => {
    settings({ task: 'teacher', steps: 5, lr: 0.05 });
    await controller.train();
    const initial = wb().fingerprint!.initial;
    // The merge and the export hold the engine: the page is told (its other buttons wait), then let go.
    const busyTexts: (string | null)[] = [];
    const off = usePlayground.subscribe((x, prev) => x.busy !== prev.busy && busyTexts.push(x.busy));
    try {
      await controller.mergeNow();
    } finally {
      off();
    }
    expect(busyTexts).toEqual(['merging on the GPU', null]);
    expect(wb().merge.merged).toBe(true);
    expect(wb().merge.report!.maxAbsDiff).toBeLessThan(1e-3);
    // Forward times: a median of several timed runs each, with their spread.
    const { ms } = wb().merge.report!;
    for (const t of [ms.base, ms.unmerged, ms.merged]) {
      expect(t.runs).toBeGreaterThanOrEqual(5);
      expect(t.min).toBeLessThanOrEqual(t.median);
      expect(t.median).toBeLessThanOrEqual(t.max);
    }
    expect(wb().fingerprint!.current).not.toBe(initial);
    const offExport = usePlayground.subscribe((x, prev) => x.busy !== prev.busy && busyTexts.push(x.busy));
    try {
      await controller.exportFiles('merged');
    } finally {
      offExport();
    }
    expect(busyTexts.slice(2)).toEqual(['merging and exporting', null]);
    // One 64×64 tensor, not a model checkpoint: the file names say so.
    expect(downloads.at(-1)!.name).toBe('teacher-r4-merged-layer-64x64.zip');
    const merged = await readZip(downloads.at(-1)!.zip);
    expect([...merged.keys()]).toEqual(['teacher-r4-merged-layer-64x64/merged-layer-64x64.safetensors']);
    expect(parseSafetensors([...merged.values()][0]).tensors.map((t) => t.shape)).toEqual([[64, 64]]);
    // Another dtype on request (the page's select): the same tensor, stored as F16.
    await controller.exportFiles('merged', 'F16');
    const asF16 = await readZip(downloads.at(-1)!.zip);
    expect(parseSafetensors([...asF16.values()][0]).tensors.map((t) => t.dtype)).toEqual(['F16']);
    await controller.unmergeNow();
    expect(wb().merge.merged).toBe(false);
    expect(wb().fingerprint!.current).toBe(initial);
    // Exporting the merged weights without merging first also leaves the base as it was.
    await controller.exportFiles('merged');
    expect(wb().fingerprint!.current).toBe(initial);
    // Training while merged is refused with a message, not a silent no-op.
    await controller.mergeNow();
    await controller.stepOnce();
    expect(wb().notice?.text).toContain('unmerge before training');
    await controller.unmergeNow();
  });

  it('save: the run of the one trainer goes to the library and becomes the active adapter; full fine-tuning has none to save', async () => {
    settings({ task: 'tiny-lm', steps: 2, batch: 2, seq: 16, lr: 0.02 });
    await controller.train();
    expect(pg().active).toBe('unsaved');
    await controller.saveActiveAdapter('first');
    expect(pg().library.map((a) => a.name)).toEqual(['first']);
    expect(pg().library[0]).toMatchObject({ r: 4, modules: 14, training: { steps: 2 } });
    expect(pg().active).toBe('first');
    expect(wb().memory!.baseCopies).toBe(1);

    settings({ task: 'tiny-lm', steps: 1, batch: 2, seq: 16, full: true });
    await controller.train();
    expect(wb().modules.every((m) => m.baseGrad !== null && m.rank === null)).toBe(true);
    expect(wb().memory!.baseCopies).toBe(1); // the LoRA run's model was freed first
    await controller.saveActiveAdapter('second');
    expect(pg().message?.text).toContain('full fine-tuning has no adapter');
    expect(pg().library.map((a) => a.name)).toEqual(['first']);
  });

  it("one operation at a time, and an unsaved run is never overwritten by the library", async () => {
    settings({ task: 'tiny-lm', steps: 2, batch: 2, seq: 16, lr: 0.02 });
    await controller.loadBuiltinModel();
    await controller.train();
    // Switching to the base would zero the run's B matrices: refused until the run is saved.
    await controller.activateAdapter(null);
    expect(pg().message?.text).toContain('is not in the library: save it, or press Reset');
    expect(pg().active).toBe('unsaved');
    await controller.loadBuiltinModel();
    expect(pg().message?.text).toContain('before you load another model');
    // Two Steps at once: the second is refused while the first runs, and one step is added.
    const before = points();
    await Promise.all([controller.stepOnce(), session.step(wb().settings, { runId: 'other', label: 'other' })]);
    expect(points()).toBe(before + 1);
    expect(wb().memory!.baseCopies).toBe(1);
    await controller.saveActiveAdapter('kept');
    await controller.activateAdapter(null);
    expect(pg().active).toBe(null);
  });

  it("Try it after the page's default tiny-Llama run: the default prompt tells base and adapter apart; merged, the base column still comes from the base weights; a completion cut by the sequence length says where", async () => {
    settings({ task: 'tiny-lm' }); // the page's defaults: 60 steps, batch 4, seq 16, lr 0.01, seed 0
    await controller.train();
    await controller.generate(TRY_PROMPT, 8, 0);
    const before = generation();
    expect(before).toMatchObject({ merged: false, requested: 8, generated: 8 });
    // The default prompt shows what the adapter learnt: the base ends the pair as corpus A does (a
    // space, more pairs on the line), the adapter as corpus B does (a newline).
    expect(before.base!.slice(0, 2)).toBe('Z ');
    expect(before.adapted.slice(0, 2)).toBe('Z\n');

    await controller.mergeNow();
    const mergedPrint = wb().fingerprint!.current;
    expect(mergedPrint).not.toBe(wb().fingerprint!.initial);
    await controller.generate(TRY_PROMPT, 8, 0);
    const after = generation();
    expect(after.merged).toBe(true);
    expect(after.base).toBe(before.base); // the base itself, not the merged model with its adapter switched off
    expect(after.adapted).not.toBe(after.base);
    expect(await gpuFingerprint()).toBe(mergedPrint); // merged again afterwards: the same bits as Merge on GPU wrote
    await controller.unmergeNow();
    expect(wb().fingerprint!.current).toBe(wb().fingerprint!.initial);

    // 7 prompt bytes + 20 new ones do not fit the run's 16: the engine says where it stopped, and why.
    await controller.generate(TRY_PROMPT, 20, 0);
    expect(generation()).toMatchObject({ requested: 20, generated: 9, context: 16, modelContext: 64, promptTokens: 7, promptDropped: 0 });
    expect(generation().adapted).toHaveLength(9);
  });

  it("the teacher's adapter imported into the tiny Llama's library is refused at import, saying why and what to do; the library keeps what it had, and a Llama adapter is still taken", async () => {
    settings({ task: 'tiny-lm', steps: 1, batch: 2, seq: 16 });
    await controller.train();
    await controller.saveActiveAdapter('llama-kept');
    await controller.exportStoredAdapter('llama-kept');
    const llamaZip = downloads.at(-1)!;
    settings({ task: 'teacher', steps: 2, lr: 0.05 });
    await controller.train();
    await controller.exportFiles('adapter');
    const teacherZip = downloads.at(-1)!;
    const library = pg().library;
    expect(pg().base?.name).toBe('byte-caps');

    await controller.importAdapterFiles([new File([teacherZip.zip], teacherZip.name)], 'teacher-import');
    expect(pg().message?.kind).toBe('error');
    expect(pg().message?.text).toBe(
      "teacher-import was not imported: this adapter does not fit byte-caps, the base model the library works with: its module layer (64×64) is not a linear layer of a language model (model.layers.N.self_attn.q_proj … mlp.down_proj): it is the low-rank teacher's adapter, for its one layer, which no language model has. Import an adapter trained on byte-caps (the same target modules and layer shapes), or load the model it was trained for first. The library is unchanged.",
    );
    expect(pg().library).toEqual(library);
    expect(await session.storedAdapterFiles('llama-kept')).toBeTruthy();

    await controller.importAdapterFiles([new File([llamaZip.zip], llamaZip.name)], 'llama-copy');
    expect(pg().library.map((a) => a.name)).toEqual([...library.map((a) => a.name), 'llama-copy']);
  });

  it('device loss: reported, a new device, the run rebuilt and restored from its last checkpoint, Step continues it', async () => {
    settings({ task: 'teacher', steps: 100_000, lr: 0.01 });
    const training = controller.train();
    await until('past the checkpoint at step 20', () => points() > 24);
    controller.loseDevice('destroy');
    await training;
    await until('the recovery notice', () => /restored from step \d+/.test(wb().notice?.text ?? ''));
    const restored = Number(/restored from step (\d+)/.exec(wb().notice!.text)![1]);
    expect(restored).toBeGreaterThanOrEqual(20);
    expect(restored % 10).toBe(0);
    expect(wb().status).toBe('paused');
    expect(points()).toBe(restored);
    await controller.stepOnce();
    expect(points()).toBe(restored + 1);
    expect(wb().runs).toHaveLength(1);
    expect(wb().fingerprint!.current).toBe(wb().fingerprint!.initial);
  });
});
