// Dispatches for the Llama building blocks (shaders/{rmsnorm,swiglu,rope,embedding,attention,
// cross_entropy}.wgsl). Each function builds its dispatches once; callers encode them per step.
import { bindingOf, createParams, createTensor, isPacked, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { ShapeError } from '../errors.ts';
import { stridedWorkgroups } from './elementwise.ts';
import { expectNumel } from './matmul.ts';
import { QUAD_ATTENTION_MAX_HEAD_DIM } from './attention-quad-source.ts';
import type { PipelineConstants } from '../pipeline-cache.ts';
import { ropeTablesF32 } from './rope-tables.ts';

const u32 = (v: number) => ['u32', v] as ['u32', number];
const f32 = (v: number) => ['f32', v] as ['f32', number];

/** Splits a 1-D count of workgroups over x and y when it passes the per-dimension limit. */
function grid(groups: number): [number, number] {
  return groups <= 65535 ? [groups, 1] : [65535, Math.ceil(groups / 65535)];
}

// RMSNorm ---------------------------------------------------------------------------------

export interface RmsNormSpec {
  label: string;
  rows: number;
  dim: number;
  eps: number;
  x: GpuTensor; // (rows, dim)
  weight: GpuTensor; // (dim)
  y: GpuTensor; // (rows, dim)
  rstd: GpuTensor; // (rows), written forward
}

/**
 * Rows up to this long are reduced by one invocation each (forwardRow, mainRow) instead of a
 * workgroup per row: a short loop costs less than a workgroup reduction's barriers, which are
 * what dominates a small model's step on SwiftShader (~50 ms each for 512 rows of 64).
 */
export const ROW_PER_INVOCATION_MAX = { rmsnorm: 256, crossEntropy: 512 };
const ROWS_PER_WORKGROUP = 64;

/** The entry point and workgroup count for `rows` rows of `length` values. */
function rowPlan(entry: string, rows: number, length: number, max: number) {
  return length <= max ? { entryPoint: `${entry}Row`, workgroups: [Math.ceil(rows / ROWS_PER_WORKGROUP)] as const } : { entryPoint: entry, workgroups: [rows] as const };
}

export async function createRmsNormForward(gpu: Gpu, s: RmsNormSpec): Promise<Dispatch> {
  expectNumel(s.label, 'x', s.x, s.rows * s.dim);
  const params = createParams(gpu, `${s.label}.params`, [u32(s.rows), u32(s.dim), f32(s.eps)]);
  return createDispatch(gpu, {
    family: 'rmsnorm', label: s.label,
    ...rowPlan('forward', s.rows, s.dim, ROW_PER_INVOCATION_MAX.rmsnorm),
    bindings: [params, s.x.buffer, s.weight.buffer, null, s.y.buffer, s.rstd.buffer],
  });
}

/** dx from dy (one workgroup per row), and dw when given (null for a frozen norm weight). */
export async function createRmsNormBackward(
  gpu: Gpu,
  s: RmsNormSpec & { dy: GpuTensor; dx: GpuTensor; dWeight: GpuTensor | null },
): Promise<Dispatch[]> {
  const params = createParams(gpu, `${s.label}.backward.params`, [u32(s.rows), u32(s.dim), f32(s.eps)]);
  const dispatches = [
    await createDispatch(gpu, {
      family: 'rmsnorm', label: `${s.label}.dx`,
      ...rowPlan('backwardInput', s.rows, s.dim, ROW_PER_INVOCATION_MAX.rmsnorm),
      bindings: [params, s.x.buffer, s.weight.buffer, s.dy.buffer, s.dx.buffer, s.rstd.buffer],
    }),
  ];
  if (s.dWeight) {
    dispatches.push(await createDispatch(gpu, {
      family: 'rmsnorm', entryPoint: 'backwardWeight', label: `${s.label}.dw`,
      bindings: [params, s.x.buffer, null, s.dy.buffer, s.dWeight.buffer, s.rstd.buffer],
      workgroups: [Math.ceil(s.dim / 128)],
    }));
  }
  return dispatches;
}

// SwiGLU ----------------------------------------------------------------------------------

export async function createSwigluForward(gpu: Gpu, s: { label: string; n: number; gate: GpuTensor; up: GpuTensor; out: GpuTensor }): Promise<Dispatch> {
  const params = createParams(gpu, `${s.label}.params`, [u32(s.n)]);
  return createDispatch(gpu, {
    family: 'swiglu', entryPoint: 'forward', label: s.label,
    bindings: [params, s.gate.buffer, s.up.buffer, null, s.out.buffer],
    workgroups: [stridedWorkgroups(s.n)],
  });
}

export async function createSwigluBackward(
  gpu: Gpu,
  s: { label: string; n: number; gate: GpuTensor; up: GpuTensor; dh: GpuTensor; dGate: GpuTensor; dUp: GpuTensor },
): Promise<Dispatch> {
  const params = createParams(gpu, `${s.label}.params`, [u32(s.n)]);
  return createDispatch(gpu, {
    family: 'swiglu', entryPoint: 'backward', label: s.label,
    bindings: [params, s.gate.buffer, s.up.buffer, s.dh.buffer, s.dGate.buffer, s.dUp.buffer],
    workgroups: [stridedWorkgroups(s.n)],
  });
}

// RoPE ------------------------------------------------------------------------------------

export interface RopeTables {
  cos: GpuTensor; // (seq, D/2)
  sin: GpuTensor; // (seq, D/2)
}

/** Uploads cos/sin of pos·θ^(−2i/D), computed in float64. */
export async function createRopeTables(gpu: Gpu, seq: number, headDim: number, theta: number): Promise<RopeTables> {
  if (headDim % 2 !== 0) throw new ShapeError(`RoPE needs an even head dimension, got ${headDim}`);
  const half = headDim / 2;
  const tables = ropeTablesF32(seq, headDim, theta);
  return {
    cos: await createTensor(gpu, 'rope.cos', [seq, half], tables.cos),
    sin: await createTensor(gpu, 'rope.sin', [seq, half], tables.sin),
  };
}

/** Rotates x (tokens, heads·D) in place; direction −1 is the backward (inverse rotation). */
export async function createRope(
  gpu: Gpu,
  s: { label: string; x: GpuTensor; tables: RopeTables; tokens: number; heads: number; headDim: number; seq: number; direction: 1 | -1 },
): Promise<Dispatch> {
  expectNumel(s.label, 'x', s.x, s.tokens * s.heads * s.headDim);
  const params = createParams(gpu, `${s.label}.params`, [u32(s.tokens), u32(s.heads), u32(s.headDim), u32(s.seq)]);
  const pairs = (s.tokens * s.heads * s.headDim) / 2;
  return createDispatch(gpu, {
    family: 'rope', entryPoint: 'main', label: s.label,
    constants: { kDirection: s.direction },
    bindings: [params, s.tables.cos.buffer, s.tables.sin.buffer, s.x.buffer],
    workgroups: grid(Math.ceil(pairs / 64)),
  });
}

// Embedding -------------------------------------------------------------------------------

export async function createEmbeddingForward(
  gpu: Gpu,
  s: { label: string; ids: GPUBuffer; table: GpuTensor; out: GpuTensor; tokens: number; dim: number; vocab: number },
): Promise<Dispatch> {
  const params = createParams(gpu, `${s.label}.params`, [u32(s.tokens), u32(s.dim), u32(s.vocab)]);
  const packed = isPacked(s.table); // a frozen BF16/F16 table: shaders/embedding_packed.wgsl
  return createDispatch(gpu, {
    family: packed ? 'embeddingPacked' : 'embedding', entryPoint: 'forward', label: s.label,
    ...(packed ? { constants: { kFormat: s.table.format === 'f16' ? 1 : 0 } } : {}),
    bindings: [params, s.ids, s.table.buffer, s.out.buffer],
    workgroups: [Math.ceil(s.dim / 64), s.tokens],
  });
}

/**
 * The batch grouped by token, for the embedding backward: (vocab + 1) run starts, then the
 * positions sorted by token (ascending within one). A counting sort: O(tokens + vocab).
 */
export function groupByToken(ids: Uint32Array, vocab: number): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(vocab + 1 + ids.length);
  for (const id of ids) out[id + 1]++;
  for (let v = 0; v < vocab; v++) out[v + 1] += out[v];
  const next = out.slice(0, vocab);
  ids.forEach((id, t) => (out[vocab + 1 + next[id]++] = t));
  return out;
}

/** dTable from dOut; `grouped` holds groupByToken of the batch's ids ((vocab + 1 + tokens) u32). */
export async function createEmbeddingBackward(
  gpu: Gpu,
  s: { label: string; grouped: GPUBuffer; dOut: GpuTensor; dTable: GpuTensor; tokens: number; dim: number; vocab: number },
): Promise<Dispatch> {
  const params = createParams(gpu, `${s.label}.params`, [u32(s.tokens), u32(s.dim), u32(s.vocab)]);
  return createDispatch(gpu, {
    family: 'embedding', entryPoint: 'backward', label: s.label,
    bindings: [params, s.grouped, s.dOut.buffer, s.dTable.buffer],
    workgroups: [Math.ceil(s.dim / 64), s.vocab],
    flops: s.tokens * s.dim + s.vocab * s.dim,
  });
}

// Attention -------------------------------------------------------------------------------

export interface AttentionSpec {
  label: string;
  batch: number;
  seq: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  q: GpuTensor; // (batch·seq, heads·D)
  k: GpuTensor; // (batch·seq, kvHeads·D)
  v: GpuTensor; // (batch·seq, kvHeads·D)
  out: GpuTensor; // (batch·seq, heads·D)
  probs: GpuTensor; // (batch, heads, seq, seq)
}

export const MAX_HEAD_DIM = 128;

/** 'naive': shaders/attention.wgsl; 'quad': attention-quad-source.ts; 'auto': quad where it runs. */
export type AttentionVariant = 'auto' | 'naive' | 'quad';

/** Whether the quad attention computes this head dimension (a multiple of 4, up to its maximum). */
export function quadAttentionSupports(headDim: number): boolean {
  return headDim % 4 === 0 && headDim <= QUAD_ATTENTION_MAX_HEAD_DIM;
}

/** The family, workgroups (for `rows` rows) and constants of the chosen attention kernel. */
function attentionPlan(gpu: Gpu, s: AttentionSpec, variant: AttentionVariant, rows: number): { family: 'attention' | 'attentionQuad'; workgroups: readonly [number]; constants: PipelineConstants } {
  const quadRuns = gpu.quadKernels && quadAttentionSupports(s.headDim);
  if (variant === 'quad' && !quadRuns) {
    throw new ShapeError(`${s.label}: the quad attention needs subgroup quads of consecutive invocations and a head dimension that is a multiple of 4 up to ${QUAD_ATTENTION_MAX_HEAD_DIM} (got ${s.headDim}${gpu.quadKernels ? '' : '; this device has no such quads'})`);
  }
  if (variant === 'naive' || !quadRuns) return { family: 'attention', workgroups: [Math.ceil(rows / 64)], constants: {} };
  // 16 rows a workgroup (a quad each); kChunks chunks of 16 dimensions.
  return { family: 'attentionQuad', workgroups: [Math.ceil(rows / 16)], constants: { kChunks: Math.ceil(s.headDim / 16) } };
}

function attentionParams(gpu: Gpu, s: AttentionSpec): GPUBuffer {
  if (s.headDim > MAX_HEAD_DIM) throw new ShapeError(`${s.label}: head dimension ${s.headDim} is over the supported ${MAX_HEAD_DIM}`);
  if (s.heads % s.kvHeads !== 0) throw new ShapeError(`${s.label}: ${s.heads} heads do not divide into ${s.kvHeads} key/value groups`);
  return createParams(gpu, `${s.label}.params`, [u32(s.batch), u32(s.seq), u32(s.heads), u32(s.kvHeads), u32(s.headDim), f32(1 / Math.sqrt(s.headDim))]);
}

/** Q·Kᵀ and P·V over every head: 2 · 2·B·H·T²·D (causal masking is not subtracted). */
function attentionFlops(s: AttentionSpec): number {
  return 4 * s.batch * s.heads * s.seq * s.seq * s.headDim;
}

export async function createAttentionForward(gpu: Gpu, s: AttentionSpec, variant: AttentionVariant = 'auto'): Promise<Dispatch> {
  expectNumel(s.label, 'probs', s.probs, s.batch * s.heads * s.seq * s.seq);
  const params = attentionParams(gpu, s);
  const plan = attentionPlan(gpu, s, variant, s.batch * s.heads * s.seq);
  return createDispatch(gpu, {
    family: plan.family, entryPoint: 'forward', label: s.label, constants: plan.constants,
    bindings: [params, s.q.buffer, s.k.buffer, s.v.buffer, null, s.probs.buffer, null, s.out.buffer],
    workgroups: plan.workgroups,
    flops: attentionFlops(s),
  });
}

export async function createAttentionBackward(
  gpu: Gpu,
  s: AttentionSpec & { dOut: GpuTensor; dScores: GpuTensor; dq: GpuTensor; dk: GpuTensor; dv: GpuTensor },
  variant: AttentionVariant = 'auto',
): Promise<Dispatch[]> {
  const params = attentionParams(gpu, s);
  const queries = attentionPlan(gpu, s, variant, s.batch * s.heads * s.seq);
  const keys = attentionPlan(gpu, s, variant, s.batch * s.kvHeads * s.seq);
  return [
    await createDispatch(gpu, {
      family: queries.family, entryPoint: 'backwardQuery', label: `${s.label}.dq`, constants: queries.constants,
      bindings: [params, null, s.k.buffer, s.v.buffer, s.dOut.buffer, s.probs.buffer, s.dScores.buffer, s.dq.buffer],
      workgroups: queries.workgroups,
      flops: attentionFlops(s),
    }),
    await createDispatch(gpu, {
      family: keys.family, entryPoint: 'backwardKeyValue', label: `${s.label}.dkv`, constants: keys.constants,
      bindings: [params, s.q.buffer, null, null, s.dOut.buffer, s.probs.buffer, s.dScores.buffer, null, s.dk.buffer, s.dv.buffer],
      workgroups: keys.workgroups,
      flops: attentionFlops(s),
    }),
  ];
}

// Cross-entropy ---------------------------------------------------------------------------

export interface CrossEntropyPass {
  /** Per-row loss (rowLoss) and logsumexp (rowLse) from the logits. */
  forward: Dispatch;
  /** Overwrites the logits with dL/dlogits of the mean (one (rows, vocab) buffer, not two). */
  backward: Dispatch;
  /** Rows whose target is not IGNORE: the mean's denominator (and the gradient's scale). */
  setValidRows(validRows: number): void;
}

/**
 * Per-row loss of the mean cross-entropy (forward), and dL/dlogits in place of the logits
 * (backward). `row0`: the logits are rows row0.. of the batch (one chunk of it), whose targets,
 * rowLoss and rowLse start there.
 */
export async function createCrossEntropy(
  gpu: Gpu,
  s: { label: string; logits: GpuTensor; targets: GPUBuffer; rowLoss: GpuTensor; rowLse: GpuTensor; rows: number; vocab: number; validRows: number; row0?: number },
): Promise<CrossEntropyPass> {
  const row0 = s.row0 ?? 0;
  expectNumel(s.label, 'logits', s.logits, s.rows * s.vocab);
  expectNumel(s.label, 'rowLoss', s.rowLoss, row0 + s.rows);
  expectNumel(s.label, 'rowLse', s.rowLse, row0 + s.rows);
  const params = createParams(gpu, `${s.label}.params`, [u32(s.rows), u32(s.vocab), f32(0), u32(row0)]);
  const setValidRows = (validRows: number) =>
    gpu.device.queue.writeBuffer(params, 8, new Float32Array([validRows > 0 ? 1 / validRows : 0]));
  setValidRows(s.validRows);
  const forward = await createDispatch(gpu, {
    family: 'crossEntropy', label: s.label, bindings: [params, bindingOf(s.logits), s.targets, s.rowLoss.buffer, s.rowLse.buffer],
    ...rowPlan('forward', s.rows, s.vocab, ROW_PER_INVOCATION_MAX.crossEntropy),
  });
  const backward = await createDispatch(gpu, {
    family: 'crossEntropy', label: `${s.label}.dLogits`, bindings: [params, bindingOf(s.logits), s.targets, null, s.rowLse.buffer],
    ...rowPlan('backward', s.rows, s.vocab, ROW_PER_INVOCATION_MAX.crossEntropy),
  });
  return { forward, backward, setValidRows };
}
