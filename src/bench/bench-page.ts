// bench.html: our kernels and tfjs-backend-webgpu's matMul on the same shapes, on the same
// GPUDevice, in the same page. scripts/bench.mjs reads window.__bench when `done`.
import * as tf from '@tensorflow/tfjs-core';
// Gradients of tf ops (for tf.variableGrads in the training-step case).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { acquireGpu, type Gpu } from '../gpu/device.ts';
import { calibrateSubmissions } from '../gpu/submission-budget.ts';
import { parseLlamaCheckpoint } from '../io/hf-checkpoint.ts';
import { LlamaModel } from '../model/llama-model.ts';
import { TINY_BASE_NAME } from '../tasks/tiny-base.ts';
import { loraCases, loraTrainingStepCase, skinnyLoraCases, squareMatmulCases, type BenchCase } from './bench-cases.ts';
import { batchFor } from './promises.ts';
import { encodingTimes, median, timeSideBySide } from './timing.ts';

export interface BenchRow {
  case: string;
  shape: string;
  gflop: number;
  ours_ms: number;
  tfjs_ms: number;
  ours_gflops: number;
  tfjs_gflops: number;
  ratio: number;
  ours_samples_ms: number[];
  tfjs_samples_ms: number[];
  /** max |ours − tfjs| over the output (matmul cases), null where not compared. */
  max_abs_diff: number | null;
}

/** Main-thread time to encode one LoRA training step (forward + backward) of the bundled model here. */
export interface StepEncoding {
  model: string;
  batch: number;
  seq: number;
  dispatches: number;
  median_ms: number;
  fastest_ms: number;
  samples_ms: number[];
}

interface BenchReport {
  done: boolean;
  adapter?: Record<string, unknown>;
  userAgent: string;
  rows: BenchRow[];
  stepEncoding?: StepEncoding;
  error?: string;
}

declare global {
  interface Window {
    __bench: BenchReport;
  }
}

const report: BenchReport = { done: false, userAgent: navigator.userAgent, rows: [] };
window.__bench = report;
const status = document.getElementById('status')!;
const tbody = document.querySelector('#results tbody')!;

const params = new URLSearchParams(location.search);
const sizes = (params.get('sizes') ?? '256,512,1024').split(',').map(Number);
const lora = (params.get('lora') ?? '1024,1024,1024,8').split(',').map(Number);
const skinnyTokens = (params.get('skinny') ?? '1024').split(',').map(Number);
const ranks = (params.get('ranks') ?? '1,4,16,64').split(',').map(Number);
const step = (params.get('step') ?? '256,1024,8').split(',').map(Number);

// Rounds per case: 5 from 2 GFLOP (the 1024³ cases) too, where 3 left a median that moved by up
// to 20 % between runs on this shared 2-core machine (dYᵀ·X 1024³: 358–437 ms within one run).
function repsFor(flops: number): number {
  return flops >= 2e8 ? 5 : 9;
}

async function run() {
  const gpu = await acquireGpu();
  report.adapter = { ...gpu.adapter };
  // tfjs runs on our device, so both sides share one queue and one driver.
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => new WebGPUBackend(gpu.device), 3);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its WebGPU backend');
  const backend = tf.backend() as WebGPUBackend;
  // tfjs batches dispatches in an open pass: close it and submit, then wait like ours.
  const flush = async () => {
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    await gpu.device.queue.onSubmittedWorkDone();
  };

  const cases: BenchCase[] = [
    ...squareMatmulCases(sizes),
    ...loraCases(lora[0], lora[1], lora[2], lora[3]),
    ...skinnyTokens.flatMap((n) => skinnyLoraCases(n, 1024, ranks)),
    loraTrainingStepCase(step[0], step[1], step[2]),
  ];
  for (const [i, c] of cases.entries()) {
    status.textContent = `${i + 1}/${cases.length}: ${c.name} ${c.shape}`;
    const sides = await c.setup(gpu, flush);
    const t = await timeSideBySide(sides.ours, sides.tfjs, repsFor(c.flops));
    const maxAbsDiff = sides.maxAbsDiff ? await sides.maxAbsDiff() : null;
    sides.dispose();
    const row: BenchRow = {
      case: c.name,
      shape: c.shape,
      gflop: c.flops / 1e9,
      ours_ms: t.oursMs,
      tfjs_ms: t.peerMs,
      ours_gflops: c.flops / (t.oursMs * 1e6),
      tfjs_gflops: c.flops / (t.peerMs * 1e6),
      ratio: t.peerMs / t.oursMs,
      ours_samples_ms: t.oursAll,
      tfjs_samples_ms: t.peerAll,
      max_abs_diff: maxAbsDiff,
    };
    report.rows.push(row);
    const tr = document.createElement('tr');
    for (const text of [`${row.case} (${row.shape})`, row.ours_gflops.toFixed(3), row.tfjs_gflops.toFixed(3), `${row.ratio.toFixed(2)}×`]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    tbody.append(tr);
  }
  status.textContent = 'encoding a training step of the bundled model';
  report.stepEncoding = await stepEncoding(gpu);
  status.textContent = `done on ${gpu.adapter.vendor} ${gpu.adapter.architecture} ${gpu.adapter.description}`;
}

/** The page's own case: LoRA r = 8 on all linear layers of the bundled model, batch 16 × 32, 15 encodings. */
async function stepEncoding(gpu: Gpu): Promise<StepEncoding> {
  const base = new URL(`models/${TINY_BASE_NAME}`, document.baseURI).href; // relative: dist/ may be served under a sub-path
  const [configText, weightsBytes] = await Promise.all([
    fetch(`${base}/config.json`).then((r) => r.text()),
    fetch(`${base}/model.safetensors`).then((r) => r.arrayBuffer()),
  ]);
  const { config, weights } = parseLlamaCheckpoint(configText, new Uint8Array(weightsBytes));
  await calibrateSubmissions(gpu); // the page splits submissions the same way
  const [batch, seq] = [16, 32];
  const model = await LlamaModel.create(gpu, config, weights, { batch, seq, mode: { kind: 'lora', lora: { targetModules: 'all-linear', r: 8, loraAlpha: 16 } } });
  const b = batchFor(config, batch, seq, 1);
  model.setBatch(b.ids, b.targets);
  model.forwardBackward(); // warm-up
  await gpu.device.queue.onSubmittedWorkDone();
  const times = await encodingTimes(gpu.device.queue, () => model.forwardBackward(), 15);
  const dispatches = model.dispatchCount;
  model.destroy();
  return { model: TINY_BASE_NAME, batch, seq, dispatches, median_ms: median(times), fastest_ms: Math.min(...times), samples_ms: times };
}

run()
  .catch((err) => {
    report.error = (err as Error).stack ?? String(err);
    status.textContent = `error: ${(err as Error).message}`;
  })
  .finally(() => {
    report.done = true;
  });
