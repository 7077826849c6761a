// Figures for a real model's size (issue 16's table): a checkpoint folder loaded as the page and
// the CLI load it (headers only, then tensor by tensor onto the GPU), with the load time, GPU
// bytes against the estimate and against f32 storage, the peak of JavaScript memory while
// loading, one LoRA training step, a merge, and the merged export's size in the base's dtype.
import { mergedCheckpointFiles } from '../adapters/model-adapter.ts';
import { totalBytes, withAllocationScope } from '../gpu/allocations.ts';
import type { Gpu } from '../gpu/device.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import type { OpenFile } from '../io/random-access.ts';
import type { Dtype } from '../io/safetensors.ts';
import { storesHalves } from '../io/weight-source.ts';
import { ExactMerge } from '../lora/exact-merge.ts';
import type { LinearModule } from '../model/config.ts';
import { LlamaModel, type TrainingMode } from '../model/llama-model.ts';
import { estimateMemory } from '../model/memory-estimate.ts';
import { createTextTask } from '../tasks/text-task.ts';
import { Trainer } from '../train/trainer.ts';

export interface RealModelOptions {
  rank: number;
  targets: 'all-linear' | LinearModule[];
  batch: number;
  seq: number;
  /** Training steps timed after one warm-up step. */
  steps: number;
  text: string;
  /** 'checkpoint' keeps BF16/F16 packed; 'f32' widens on upload (the baseline). */
  baseStorage: 'checkpoint' | 'f32';
  /** The JavaScript memory in use now (Node: heap + array buffers; a browser: its heap), sampled while loading. */
  jsMemory: () => number;
  /** Writes the merged export somewhere and returns its bytes (not kept in memory). */
  exportBytes?: boolean;
}

export async function measureRealModel(gpu: Gpu, open: OpenFile, o: RealModelOptions): Promise<Record<string, unknown>> {
  let peak = o.jsMemory();
  const startMemory = peak;
  const sampler = setInterval(() => (peak = Math.max(peak, o.jsMemory())), 10);
  const t0 = performance.now();
  const folder = await loadModelFolder(open);
  const headersMs = performance.now() - t0;
  if (!folder.tokenizer) throw new Error('the folder has no tokenizer.json');
  const mode: TrainingMode = { kind: 'lora', lora: { targetModules: o.targets, r: o.rank, loraAlpha: 2 * o.rank } };
  const packedBase = o.baseStorage === 'checkpoint' && storesHalves(folder.weights);
  const estimate = estimateMemory(folder.config, { batch: o.batch, seq: o.seq, mode, training: true, packedBase });
  const estimateF32 = estimateMemory(folder.config, { batch: o.batch, seq: o.seq, mode, training: true, packedBase: false });
  const t1 = performance.now();
  const model = await LlamaModel.create(gpu, folder.config, folder.weights, { batch: o.batch, seq: o.seq, mode, baseStorage: o.baseStorage });
  await gpu.device.queue.onSubmittedWorkDone();
  const uploadMs = performance.now() - t1;
  clearInterval(sampler);
  peak = Math.max(peak, o.jsMemory());

  const tokens = Uint32Array.from(folder.tokenizer.encode(o.text));
  const task = createTextTask(model, tokens, 1);
  const { value: trainer, allocations } = await withAllocationScope(gpu, () => Trainer.create(gpu, task, { lr: 1e-3 }));
  await trainer.trainStep(); // warm-up: pipelines compile
  const t2 = performance.now();
  let loss = NaN;
  for (let i = 0; i < o.steps; i++) loss = (await trainer.trainStep()).loss;
  const stepMs = (performance.now() - t2) / o.steps;

  const lora = model.linears.filter((l) => l.lora).map((l) => ({ path: l.path, lora: l.lora! }));
  const merging = new ExactMerge(gpu, lora);
  const t3 = performance.now();
  await merging.merge();
  await gpu.device.queue.onSubmittedWorkDone();
  const mergeMs = performance.now() - t3;
  merging.unmerge();

  const dtype: Dtype = folder.dtypes.length === 1 ? (folder.dtypes[0] as Dtype) : 'F32';
  let exportBytes: number | null = null;
  let exportMs: number | null = null;
  if (o.exportBytes) {
    const t4 = performance.now();
    const files = await mergedCheckpointFiles(gpu, model, dtype);
    exportMs = performance.now() - t4;
    exportBytes = Object.values(files).reduce((n, f) => n + (typeof f === 'string' ? new TextEncoder().encode(f).length : f.byteLength), 0);
  }
  const gpuBytes = model.allocatedBytes + totalBytes(allocations);
  trainer.destroy();
  model.destroy();
  const parameters = [...folder.weights.tensors.values()].reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  return {
    model: { parameters, dtypes: folder.dtypes, files: folder.files, largest_file_bytes: folder.largestFileBytes, layers: folder.config.num_hidden_layers, hidden: folder.config.hidden_size, vocab: folder.config.vocab_size },
    run: { rank: o.rank, targets: o.targets, batch: o.batch, seq: o.seq, base_storage: o.baseStorage, packed: packedBase },
    load_ms: { headers_and_tokenizer: round(headersMs), upload: round(uploadMs), total: round(headersMs + uploadMs) },
    js_memory_bytes: { before: startMemory, peak, peak_over_largest_file: round(peak / folder.largestFileBytes, 3), peak_growth: peak - startMemory },
    gpu_bytes: { allocated: gpuBytes, estimate: estimate.total, estimate_base_weights: estimate.parts['base weights'], f32_storage_estimate: estimateF32.total, ratio_to_f32_storage: round(gpuBytes / estimateF32.total, 3) },
    step_ms: round(stepMs), tokens_per_s: round((o.batch * o.seq) / (stepMs / 1000), 1), loss_after: round(loss, 4),
    merge_ms: round(mergeMs),
    merged_export: exportBytes === null ? null : { dtype, bytes: exportBytes, ms: round(exportMs!) },
  };
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
