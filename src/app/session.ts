// One base model on the page's GPU, and the LoRA model built on it: train a new adapter, switch
// to a library adapter (written in place when its layout matches, otherwise the LoRA layers are
// rebuilt from the base weights held in memory — the base files are never read again), evaluate,
// and export. Owns GPU objects; the store only ever sees plain data.
import { adapterMode, clearAdapter, layoutDifference, mergedCheckpointFiles, readAdapter, writeAdapter } from '../adapters/model-adapter.ts';
import { consecutiveBatches } from '../data/text-dataset.ts';
import type { TextTokenizer } from '../data/tokenizer.ts';
import { withAllocationScope, type Allocation } from '../gpu/allocations.ts';
import type { Gpu } from '../gpu/device.ts';
import { llamaCheckpointFiles } from '../io/hf-checkpoint.ts';
import { adapterFolderFiles, type AdapterConfigFields, type ParsedAdapter } from '../io/peft.ts';
import type { LlamaConfig } from '../model/config.ts';
import type { PlaygroundSettings } from '../settings/playground-settings.ts';
import { LlamaModel, type TrainingMode } from '../model/llama-model.ts';
import { checkRunFitsDevice } from '../model/memory-estimate.ts';
import { createTextTask, meanLoss } from '../tasks/text-task.ts';
import { Trainer, type StepMetrics } from '../train/trainer.ts';

export interface BaseModel {
  name: string;
  config: LlamaConfig;
  weights: Map<string, Float32Array>;
  tokenizer: TextTokenizer;
  tokenizerFiles: Record<string, string>;
}

/** What training an adapter in the library section needs: the page's settings without the layer range. */
export type TrainSettings = Pick<PlaygroundSettings, 'rank' | 'alpha' | 'rslora' | 'targets' | 'dropout' | 'lr' | 'batch' | 'seq' | 'steps' | 'seed'>;

export class PlaygroundSession {
  private model: LlamaModel | null = null;
  /** The config fields of what the LoRA layers hold now (null: only the base). */
  private fields: AdapterConfigFields | null = null;
  private stopRequested = false;
  /** The last trainer's buffers (Adam moments, rollback copies), freed with the model. */
  private trainerBuffers: Allocation[] = [];

  constructor(private readonly gpu: Gpu, readonly base: BaseModel) {}

  private async build(batch: number, seq: number, mode: TrainingMode): Promise<LlamaModel> {
    checkRunFitsDevice(this.gpu, this.base.config, { batch, seq, mode, training: true });
    this.dispose();
    this.model = await LlamaModel.create(this.gpu, this.base.config, this.base.weights, { batch, seq, mode });
    return this.model;
  }

  /** Trains a fresh adapter on `tokens`; onStep sees every step's metrics. */
  async train(s: TrainSettings, tokens: Uint32Array, onStep: (m: StepMetrics) => void): Promise<StepMetrics | null> {
    const mode: TrainingMode = { kind: 'lora', lora: { targetModules: s.targets, r: s.rank, loraAlpha: s.alpha, useRslora: s.rslora, loraDropout: s.dropout, seed: s.seed } };
    const model = await this.build(s.batch, s.seq, mode);
    this.fields = {
      r: s.rank, loraAlpha: s.alpha, targetModules: s.targets === 'all-linear' ? 'all-linear' : [...s.targets], useRslora: s.rslora,
      layersToTransform: null, rankPattern: {}, alphaPattern: {}, loraDropout: s.dropout, baseModelNameOrPath: this.base.name,
    };
    const task = createTextTask(model, tokens, s.seed);
    const { value: trainer, allocations } = await withAllocationScope(this.gpu, () => Trainer.create(this.gpu, task, { steps: s.steps, lr: s.lr, evalEvery: s.steps }));
    this.trainerBuffers = allocations;
    let last: StepMetrics | null = null;
    this.stopRequested = false;
    await trainer.run((m) => {
      last = m;
      onStep(m);
    }, () => this.stopRequested);
    return last;
  }

  stop(): void {
    this.stopRequested = true;
  }

  /** Makes `adapter` the active one (null: the base alone). */
  async activate(adapter: ParsedAdapter | null, batch = 4, seq = Math.min(32, this.base.config.max_position_embeddings)): Promise<{ rebuilt: boolean }> {
    if (!adapter) {
      if (this.model) clearAdapter(this.gpu, this.model);
      else await this.build(batch, seq, { kind: 'frozen' });
      this.fields = null;
      return { rebuilt: false };
    }
    let rebuilt = false;
    if (!this.model || layoutDifference(this.model, adapter) !== null) {
      await this.build(this.model?.options.batch ?? batch, this.model?.options.seq ?? seq, adapterMode(adapter));
      rebuilt = true;
    }
    writeAdapter(this.gpu, this.model!, adapter);
    this.fields = {
      r: adapter.r, loraAlpha: adapter.loraAlpha, targetModules: adapter.targetModules, useRslora: adapter.useRslora, layersToTransform: adapter.layersToTransform,
      rankPattern: adapter.rankPattern, alphaPattern: adapter.alphaPattern, loraDropout: adapter.loraDropout, baseModelNameOrPath: adapter.baseModelNameOrPath,
    };
    return { rebuilt };
  }

  /** Mean next-token loss (nats per token) of the current model over `tokens`. */
  async evaluate(tokens: Uint32Array): Promise<number> {
    const model = this.model ?? (await this.build(4, Math.min(32, this.base.config.max_position_embeddings), { kind: 'frozen' }));
    return meanLoss(model, consecutiveBatches(tokens, model.options.batch, model.options.seq).slice(0, 64));
  }

  get hasAdapter(): boolean {
    return this.fields !== null && !!this.model?.linears.some((l) => l.lora);
  }

  /** The active adapter as a PEFT folder's files. */
  async adapterFiles(): Promise<Record<string, string | Uint8Array>> {
    if (!this.model || !this.fields) throw new Error('there is no adapter to export yet: train one or activate one from the library');
    return adapterFolderFiles(await readAdapter(this.gpu, this.model, this.fields));
  }

  async currentAdapter(): Promise<ParsedAdapter> {
    if (!this.model || !this.fields) throw new Error('there is no adapter yet');
    return readAdapter(this.gpu, this.model, this.fields);
  }

  /** The merged model (base + active adapter, folded on the GPU) as HF files, with the tokenizer. */
  async mergedFiles(): Promise<Record<string, string | Uint8Array>> {
    const model = this.model;
    if (!model) return { ...llamaCheckpointFiles(this.base.config, this.base.weights), ...this.base.tokenizerFiles };
    return mergedCheckpointFiles(this.gpu, model, 'F32', this.base.tokenizerFiles);
  }

  dispose(): void {
    this.model?.destroy();
    this.model = null;
    for (const a of this.trainerBuffers) a.buffer.destroy();
    this.trainerBuffers = [];
  }
}
