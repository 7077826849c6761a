// The page controller: the main thread's side of the engine. UI actions become calls to the engine
// (the Session in the worker, through src/app/engine-client.ts — or in-process in the tests), and
// the Session's events become store updates. It keeps what belongs to this tab: the settings (URL
// and localStorage), the run records and their points (localStorage), downloads. The store is
// updated at most every UPDATE_MS while a run trains, so the page stays responsive however fast
// the GPU steps. State machine: idle → running → (pausing →) paused | idle; see docs/ARCHITECTURE.md.
import type { CombinationType } from '../adapters/combine.ts';
import type { Faults } from '../worker/faults.ts';
import type { EngineApi, HubRequest, ZipExport } from '../worker/protocol.ts';
import { hubModelName, parseHubModel, type HubProgress } from '../io/hub.ts';
import { allowedHubEndpoints, refuseUnlessAllowed } from '../io/hub-endpoints.ts';
import type { SessionEvent } from '../engine/types.ts';
import type { LlamaConfig } from '../model/config.ts';
import { settingsContextFor, type PlaygroundSettings, type SettingsContext } from '../settings/playground-settings.ts';
import { useGpuStore } from '../store/gpu-store.ts';
import { usePlayground } from '../store/playground-store.ts';
import { runLabel, useWorkbench, type RankSweep, type RunRecord } from '../store/workbench-store.ts';
import { TINY_BASE_CONFIG } from '../tasks/tiny-base.ts';
import type { StepMetrics } from '../train/trainer.ts';

const UPDATE_MS = 200;

/** The engine as the controller sees it: the worker protocol (all calls may be async). */
export type Engine = { [K in keyof EngineApi]: (...args: Parameters<EngineApi[K]>) => Promise<Awaited<ReturnType<EngineApi[K]>>> | ReturnType<EngineApi[K]> };

/** What the controller needs from the browser (replaced in the tests). */
export interface PageEnvironment {
  /** Mirrors the settings into the URL and localStorage; a message when storage refused. */
  saveSettings(s: PlaygroundSettings): string | null;
  saveRuns(runs: RunRecord[]): string | null;
  download(file: ZipExport): void;
  now(): number;
}

const workbench = () => useWorkbench.getState();
const playground = () => usePlayground.getState();

/** The config the language-model task uses: the loaded model's, or the bundled one's. */
export function languageModelConfig(): LlamaConfig {
  return playground().base?.config ?? TINY_BASE_CONFIG;
}

/** Limits the controls need to know: the targeted layers' sizes and the model's depth and context. */
export function settingsContext(s: PlaygroundSettings): SettingsContext {
  return settingsContextFor(s, languageModelConfig());
}

/** The ranks of the one-click sweep (issue 17): below, at and above the teacher's true rank 4. */
export const SWEEP_RANKS = [1, 2, 4, 8] as const;

/** How often the page asks for the spectra while a run trains (each answer waits for the end of a window). */
const SPECTRA_EVERY_MS = 1000;

export class PageController {
  /** Metrics not yet in the store, with the run they belong to. */
  private pending: { runId: string; m: StepMetrics }[] = [];
  /** The settings of the run the engine holds now (null: none). */
  private runSettings: PlaygroundSettings | null = null;
  private lastFlush = 0;
  /** Run id and label proposed by the last Train/Step; adopted when the engine reports a new run. */
  private proposal: { runId: string; label: string; settings: PlaygroundSettings } | null = null;

  constructor(private readonly engine: Engine, private readonly env: PageEnvironment) {}

  /** The engine's thread died: nothing will answer, so say so and stop waiting. */
  engineCrashed(message: string): void {
    useGpuStore.getState().setStatus({ state: 'unavailable', reason: 'error', message: `The engine stopped: ${message}. Reload the page; saved adapters and runs are kept.` });
    workbench().set({ status: 'idle', notice: { kind: 'error', text: `The engine stopped: ${message}. Reload the page; saved adapters and runs are kept.` } });
    playground().set({ busy: null });
  }

  /** Starts the engine (acquires the device), then looks for a run to resume. */
  async start(faults: Faults | null = null): Promise<void> {
    try {
      await this.engine.init((e: SessionEvent) => this.handle(e), faults);
    } catch (err) {
      useGpuStore.getState().setStatus({ state: 'unavailable', reason: 'error', message: `the engine could not start: ${(err as Error).message}` });
    }
    await Promise.all([this.findInterruptedRun(), this.refreshLibrary(), this.refreshHubCache()]);
  }

  // ── the rank sweep ───────────────────────────────────────────────────────────────────────

  /**
   * Trains the current settings at r = 1, 2, 4, 8 (α follows the lock), one fresh run each with
   * the same seed, then — for the language model — full fine-tuning, and records where each
   * loss ended. Pause stops the sweep after the run in progress; the settings come back after.
   */
  async rankSweep(ranks: readonly number[] = SWEEP_RANKS): Promise<void> {
    if (this.isActive() || workbench().sweep?.running) return;
    const current = workbench().runs.find((r) => r.id === workbench().currentRun);
    if (playground().active === 'unsaved' && current?.points.length) {
      // Each sweep run starts fresh, as Reset does: an adapter that is in no library would be lost.
      this.notify('error', `The rank sweep starts fresh runs and would drop ${current.label}, whose adapter is not saved: keep it in the library ("Keep the run's adapter") or press Reset first.`);
      return;
    }
    const original = workbench().settings;
    const withFull = original.task !== 'teacher';
    const sweep: RankSweep = { task: original.task, ranks: [...ranks], steps: original.steps, points: [], running: true, stopped: null };
    const update = (partial: Partial<RankSweep>) => workbench().set({ sweep: { ...workbench().sweep!, ...partial } });
    workbench().set({ sweep, notice: null });
    try {
      for (const rank of [...ranks, ...(withFull ? (['full'] as const) : [])]) {
        this.updateSettings(rank === 'full' ? { full: true } : { rank, full: false });
        await this.engine.reset(); // a fresh run even where the settings match the last one
        await this.train();
        const run = workbench().runs.find((r) => r.id === workbench().currentRun);
        const end = run?.points.at(-1);
        if (!run || !end || end.step < original.steps) {
          update({ stopped: workbench().notice?.text ?? (workbench().status === 'paused' ? 'paused' : 'the run did not finish') });
          break;
        }
        const loss = end.valLoss ?? end.loss;
        update({ points: [...workbench().sweep!.points, { rank, runId: run.id, loss, ...(run.floor !== undefined ? { floor: run.floor } : {}) }] });
      }
    } finally {
      update({ running: false });
      this.updateSettings({ rank: original.rank, alpha: original.alpha, full: original.full });
    }
  }

  // ── the learned update's spectra ─────────────────────────────────────────────────────────

  private spectra = { inFlight: false, again: false, at: -Infinity };

  /**
   * Reads the spectra of ΔW = s·B·A from the engine: after a window of steps at most once per
   * SPECTRA_EVERY_MS while training (the engine answers between two windows), and always when a
   * run stops or rolls back. One request at a time; a forced one asked meanwhile follows it.
   */
  private refreshSpectra(force = false): void {
    if (this.spectra.inFlight) {
      this.spectra.again ||= force;
      return;
    }
    if (!force && this.env.now() - this.spectra.at < SPECTRA_EVERY_MS) return;
    if (!workbench().currentRun) return;
    this.spectra = { inFlight: true, again: false, at: this.env.now() };
    void this.engine
      .spectra()
      .then((s) => {
        if (s.runId === workbench().currentRun) workbench().set({ spectra: s });
      })
      .catch(() => {
        // No run (reset meanwhile) or it changed: the next window asks again.
      })
      .finally(() => {
        const again = this.spectra.again;
        this.spectra = { ...this.spectra, inFlight: false, again: false };
        if (again) this.refreshSpectra(true);
      });
  }

  // ── events from the Session ──────────────────────────────────────────────────────────────

  handle(e: SessionEvent): void {
    switch (e.type) {
      case 'gpu':
        useGpuStore.getState().setStatus(e.status);
        break;
      case 'status':
        if (e.status !== 'running') this.flush(true);
        workbench().set({ status: e.status });
        if (e.status === 'idle' || e.status === 'paused') this.refreshSpectra(true);
        break;
      case 'run': {
        if (!e.run) {
          this.runSettings = null;
          this.flush(true);
          workbench().set({ currentRun: null, modules: [], frozenNames: [], norms: {}, fingerprint: null, generation: null, spectra: null });
          break;
        }
        const run = e.run;
        const settings = run.settings ?? workbench().settings;
        this.runSettings = settings;
        // Another run replaced the autosave slot: the offer to resume the old one is void.
        if (workbench().resumeOffer && workbench().resumeOffer!.runId !== run.runId) workbench().set({ resumeOffer: null });
        const known = workbench().runs.some((r) => r.id === run.runId);
        const isNew = workbench().currentRun !== run.runId;
        workbench().set({ currentRun: run.runId, modules: run.modules, frozenNames: run.frozenNames, ...(isNew ? { norms: {}, generation: null, merge: { merged: false, report: null }, spectra: null } : {}) });
        // A new run starts its accuracy afresh; the same one rebuilt (a lost device) keeps its points.
        const accuracy = workbench().accuracy;
        workbench().set({ accuracy: run.accuracy ? { runId: run.runId, plan: run.accuracy, points: accuracy?.runId === run.runId ? accuracy.points : [] } : null });
        if (!known) {
          const label = this.proposal?.runId === run.runId ? this.proposal.label : runLabel(settings);
          const colorIndex = workbench().runs.reduce((m, r, i) => Math.max(m, r.colorIndex ?? i), -1) + 1;
          this.persistRuns([...workbench().runs, { id: run.runId, label, settings, points: [], visible: true, colorIndex, ...(run.lossFloor !== undefined ? { floor: run.lossFloor } : {}) }]);
        }
        break;
      }
      case 'steps':
        for (const m of e.metrics) this.pending.push({ runId: e.runId, m });
        this.flush();
        this.refreshSpectra();
        break;
      case 'accuracy': {
        const accuracy = workbench().accuracy;
        if (accuracy?.runId !== e.runId) break;
        const points = [...accuracy.points.filter((p) => p.step !== e.point.step), e.point].sort((a, b) => a.step - b.step);
        workbench().set({ accuracy: { ...accuracy, points } });
        break;
      }
      case 'checkpoint':
        this.flush(true); // the run's points so far are kept with the checkpoint (a reload resumes both)
        break;
      case 'rolled-back': {
        this.flush(true);
        // Drop what came after the step; fill in what the engine kept and this tab had not stored yet.
        const fill = (points: RunRecord['points']) => {
          const kept = points.filter((p) => p.step <= e.step);
          const last = kept.at(-1)?.step ?? 0;
          return [...kept, ...(e.recent ?? []).filter((p) => p.step > last && p.step <= e.step)];
        };
        this.persistRuns(workbench().runs.map((r) => (r.id === e.runId ? { ...r, points: fill(r.points) } : r)));
        const accuracy = workbench().accuracy;
        if (accuracy?.runId === e.runId) workbench().set({ accuracy: { ...accuracy, points: accuracy.points.filter((p) => p.step <= e.step) } });
        this.refreshSpectra(true);
        break;
      }
      case 'fingerprint':
        workbench().set({ fingerprint: { initial: e.initial, current: e.current, atStep: e.atStep } });
        break;
      case 'merge':
        workbench().set({ merge: { merged: e.merged, report: e.report ?? (e.merged ? null : workbench().merge.report) } });
        break;
      case 'memory': {
        // Filed under the mode of the run that holds the memory, not of the controls (which may have changed since).
        const settings = this.runSettings;
        const mode = settings?.full ? 'full' : 'lora';
        const byMode = workbench().currentRun && settings?.task === 'tiny-lm' ? { ...workbench().memoryByMode, [mode]: e.memory } : workbench().memoryByMode;
        workbench().set({ memory: e.memory, memoryByMode: byMode });
        break;
      }
      case 'base':
        playground().set({ base: e.base, text: e.text });
        break;
      case 'active-adapter':
        playground().set({ active: e.name });
        this.refreshSpectra(true); // an adapter activated in place changed the run's A and B
        break;
      case 'library':
        playground().set({ library: e.adapters });
        break;
      case 'progress':
        playground().set({ busy: e.text });
        break;
      case 'notice':
        if (e.area === 'run') workbench().set({ notice: { kind: e.kind, text: e.text } });
        else playground().set({ message: { kind: e.kind, text: e.text } });
        break;
    }
  }

  private flush(force = false): void {
    const now = this.env.now();
    if (!this.pending.length) {
      if (force) this.persistRuns(workbench().runs);
      return;
    }
    if (!force && now - this.lastFlush < UPDATE_MS) return;
    this.lastFlush = now;
    const { runs, currentRun, norms } = workbench();
    const nextNorms = { ...norms };
    for (const { runId, m } of this.pending) {
      if (runId === currentRun) for (const [name, v] of Object.entries(m.gradNorms)) nextNorms[name] = [...(nextNorms[name] ?? []), v];
    }
    // Each point goes to the run the engine said it belongs to (not whatever the page shows now).
    const byRun = new Map<string, { step: number; loss: number; valLoss?: number }[]>();
    for (const { runId, m } of this.pending) {
      let points = byRun.get(runId);
      if (!points) byRun.set(runId, (points = []));
      points.push({ step: m.step, loss: m.loss, ...(m.valLoss !== undefined ? { valLoss: m.valLoss } : {}) });
    }
    this.pending = [];
    const nextRuns = runs.map((r) => (byRun.has(r.id) ? { ...r, points: [...r.points, ...byRun.get(r.id)!] } : r));
    workbench().set({ norms: nextNorms, runs: nextRuns });
    if (force) this.persistRuns(nextRuns);
  }

  private notify(kind: 'error' | 'info', text: string): void {
    workbench().set({ notice: { kind, text } });
  }

  private persistRuns(runs: RunRecord[]): void {
    workbench().set({ runs });
    const problem = this.env.saveRuns(runs);
    if (problem) this.notify('error', problem);
  }

  // ── settings and runs ────────────────────────────────────────────────────────────────────

  updateSettings(partial: Partial<PlaygroundSettings>): void {
    const next = { ...workbench().settings, ...partial };
    if (next.alphaLock && (partial.rank !== undefined || partial.alphaLock)) next.alpha = Math.min(128, 2 * next.rank);
    workbench().set({ settings: next });
    const problem = this.env.saveSettings(next);
    if (problem) this.notify('error', problem);
  }

  toggleRun(id: string): void {
    this.persistRuns(workbench().runs.map((r) => (r.id === id ? { ...r, visible: !r.visible } : r)));
  }

  deleteRun(id: string): void {
    const s = workbench();
    if (id === s.currentRun && (s.status === 'running' || s.status === 'pausing')) return;
    this.persistRuns(s.runs.filter((r) => r.id !== id));
  }

  // ── the run ──────────────────────────────────────────────────────────────────────────────

  private propose(): { runId: string; label: string } {
    const settings = workbench().settings;
    this.proposal = { runId: `run-${this.env.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`, label: runLabel(settings), settings };
    return { runId: this.proposal.runId, label: this.proposal.label };
  }

  private isActive(): boolean {
    const status = workbench().status;
    return status === 'running' || status === 'pausing';
  }

  async train(): Promise<void> {
    if (this.isActive()) return;
    workbench().set({ status: 'running', notice: null });
    await this.call(() => this.engine.train(workbench().settings, this.propose()));
    await this.statusSettled();
  }

  /**
   * Resolves once the engine's status event after a run has been handled. The engine's events
   * come through their own channel (a comlink proxy, src/app/engine-client.ts), so a call's answer
   * may overtake its last events; its status event follows its last steps, so once it is here the
   * run's points are too (the rank sweep reads them). Bounded, should an event never come.
   */
  private statusSettled(timeoutMs = 10_000): Promise<void> {
    if (!this.isActive()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const off = useWorkbench.subscribe((x) => x.status !== 'running' && x.status !== 'pausing' && done());
      const timer = setTimeout(done, timeoutMs);
    });
  }

  pause(): void {
    if (workbench().status !== 'running') return;
    workbench().set({ status: 'pausing' });
    void this.engine.pause();
  }

  async stepOnce(): Promise<void> {
    if (this.isActive()) return;
    workbench().set({ notice: null });
    await this.call(() => this.engine.step(workbench().settings, this.propose()));
  }

  /** The engine forgets the run (its chart stays): the page follows its 'run' and 'status' events, or its refusal. */
  reset(): void {
    if (this.isActive()) return;
    workbench().set({ notice: null });
    void this.engine.reset();
  }

  async mergeNow(): Promise<void> {
    if (this.isActive()) return;
    await this.call(() => this.engine.merge());
  }

  async unmergeNow(): Promise<void> {
    if (this.isActive()) return;
    await this.call(() => this.engine.unmerge());
  }

  /** `dtype`: the merged weights' (undefined: the base's own). */
  async exportFiles(what: 'adapter' | 'merged', dtype?: 'F32' | 'F16' | 'BF16'): Promise<void> {
    if (this.isActive()) return;
    const file = await this.call(() => this.engine.exportRun(what, dtype));
    if (file) this.env.download(file);
  }

  async generate(prompt: string, maxNew: number, temperature: number): Promise<void> {
    if (this.isActive()) return;
    const generation = await this.call(() => this.engine.generate(prompt, maxNew, temperature, this.env.now() & 0xffff));
    if (generation) workbench().set({ generation });
  }

  /** Engine calls of the run: a failure becomes the run's notice (the engine's state is unchanged by it). */
  private async call<T>(work: () => Promise<T> | T): Promise<T | undefined> {
    try {
      return await work();
    } catch (err) {
      this.notify('error', (err as Error).message);
      if (workbench().status === 'running') workbench().set({ status: 'idle' });
      return undefined;
    }
  }

  // ── autosave ─────────────────────────────────────────────────────────────────────────────

  /** At page load: offers to resume a run that was autosaved before it finished. */
  async findInterruptedRun(): Promise<void> {
    try {
      const saved = await this.engine.interruptedRun();
      if (saved && workbench().runs.some((r) => r.id === saved.runId)) {
        workbench().set({ resumeOffer: { runId: saved.runId, label: saved.label, step: saved.step } });
      }
    } catch (err) {
      this.notify('error', `could not read the autosaved run: ${(err as Error).message}`);
    }
  }

  async resumeInterruptedRun(): Promise<void> {
    if (this.isActive()) return;
    try {
      const offer = workbench().resumeOffer;
      if (!offer) return;
      const run = await this.engine.resumeInterruptedRun(offer.runId);
      const settings = run.settings ?? workbench().settings;
      workbench().set({ settings, resumeOffer: null, merge: { merged: false, report: null } });
      this.env.saveSettings(settings);
      const label = workbench().runs.find((r) => r.id === run.runId)?.label ?? runLabel(settings);
      this.notify('info', `resumed ${label} at step ${run.step}; press Train to continue`);
    } catch (err) {
      const message = (err as Error).message;
      // The offer stays unless there is nothing left to resume.
      if (/is gone|not made on this page/.test(message)) workbench().set({ resumeOffer: null });
      this.notify('error', `could not resume: ${message}`);
    }
  }

  async discardInterruptedRun(): Promise<void> {
    workbench().set({ resumeOffer: null });
    await Promise.resolve(this.engine.discardInterruptedRun()).catch((err: Error) => this.notify('error', `could not discard the autosave: ${err.message}`));
  }

  // ── the library section ──────────────────────────────────────────────────────────────────

  /** Library calls: the engine reports progress and failures as events; a thrown error is shown too. */
  private async library<T>(work: () => Promise<T> | T, o: { quiet?: boolean } = {}): Promise<T | undefined> {
    if (!o.quiet) playground().set({ message: null }); // a user's action replaces the last message
    try {
      return await work();
    } catch (err) {
      playground().set({ message: { kind: 'error', text: (err as Error).message }, busy: null });
      return undefined;
    }
  }

  refreshLibrary = () => this.library(() => this.engine.refreshLibrary(), { quiet: true });
  loadBuiltinModel = () => this.library(() => this.engine.loadBuiltinModel());
  loadModelFiles = (files: File[]) => this.library(() => this.engine.loadModelFiles(files));
  loadTextFile = (file: File) => this.library(() => this.engine.loadTextFile(file));
  saveActiveAdapter = (name: string) => this.library(() => this.engine.saveAdapter(name));
  activateAdapter = (name: string | null) => this.library(() => this.engine.activateAdapter(name));
  deleteAdapter = (name: string) => this.library(() => this.engine.deleteAdapter(name));
  combineStored = (a: string, b: string, how: CombinationType, weights: [number, number], name: string) => this.library(() => this.engine.combine(a, b, how, weights, name));
  importAdapterFiles = (files: File[], name: string) => this.library(() => this.engine.importAdapter(files, name));

  // ── models from the Hub ──────────────────────────────────────────────────────────────────

  /** The endpoints this build may reach (VITE_HF_ENDPOINT; the page's CSP allows the same), the default first. */
  static readonly hubEndpoints = allowedHubEndpoints((import.meta as { env?: Record<string, string | undefined> }).env?.VITE_HF_ENDPOINT);

  private setHub(partial: Partial<ReturnType<typeof playground>['hub']>): void {
    playground().set({ hub: { ...playground().hub, ...partial } });
  }

  /** Checks the id and endpoint here (one clear message, nothing sent), then fetches and loads in the worker. */
  async loadHubModel(request: HubRequest): Promise<void> {
    if (playground().hub.downloading) return;
    playground().set({ message: null });
    let label: string;
    try {
      const model = parseHubModel(request.model, { endpoint: request.endpoint, revision: request.revision });
      if (!PageController.hubEndpoints.includes(model.endpoint)) {
        throw new Error(refuseUnlessAllowed(PageController.hubEndpoints.map((e) => new URL(e).origin), `${model.endpoint}/`) ?? `${model.endpoint} is not allowed`);
      }
      label = hubModelName(model);
    } catch (err) {
      playground().set({ message: { kind: 'error', text: (err as Error).message } });
      return;
    }
    this.setHub({ downloading: label, files: [] });
    try {
      await this.library(() => this.engine.loadHubModel(request, (p: HubProgress) => this.hubProgress(p)), { quiet: true });
    } finally {
      this.setHub({ downloading: null });
      await this.refreshHubCache();
    }
  }

  private hubProgress(p: HubProgress): void {
    const files = playground().hub.files;
    const i = files.findIndex((f) => f.file === p.file);
    this.setHub({ files: i < 0 ? [...files, p] : files.map((f, j) => (j === i ? p : f)) });
  }

  cancelHubDownload = () => this.engine.cancelHubDownload();

  async refreshHubCache(): Promise<void> {
    const cached = await this.library(() => this.engine.listHubCache(), { quiet: true });
    if (cached) this.setHub({ cached });
  }

  async deleteHubCache(key: string): Promise<void> {
    const cached = await this.library(() => this.engine.deleteHubCache(key));
    if (cached) this.setHub({ cached });
  }

  async evaluateActive(): Promise<void> {
    const entry = await this.library(() => this.engine.evaluate());
    if (entry) playground().set({ evaluation: [...playground().evaluation.filter((e) => e.adapter !== entry.adapter), entry] });
  }

  async exportStoredAdapter(name: string): Promise<void> {
    const file = await this.library(() => this.engine.exportStoredAdapter(name));
    if (file) this.env.download(file);
  }

  async exportMerged(): Promise<void> {
    const file = await this.library(() => this.engine.exportActiveMerged());
    if (file) this.env.download(file);
  }

  /** For the robustness tests and for anyone curious (window.__loraPlayground). */
  loseDevice = (kind: 'destroy' | 'reset') => this.engine.loseDevice(kind);
  breakPass = (label: string) => this.engine.breakPass(label);
  memory = () => this.engine.memory();
}

let installed: PageController | null = null;

export function installController(c: PageController): PageController {
  installed = c;
  return c;
}

/** The page's controller (main.tsx installs it before the first render). */
export function controller(): PageController {
  if (!installed) throw new Error('the page controller is not installed yet');
  return installed;
}
