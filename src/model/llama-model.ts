// LlamaForCausalLM on the GPU: forward to the mean next-token loss and a hand-written backward,
// with each linear layer frozen, fully trainable, or LoRA-adapted. Every dispatch is built once
// for a fixed (batch, seq); a step only writes token ids and encodes (docs/ARCHITECTURE.md, "One training step").
import { totalBytes, withAllocationScope, type Allocation } from '../gpu/allocations.ts';
import { createPackedTensor, createTensor, createU32Buffer, formatBytes, readTensor, rowsOf, type GpuTensor } from '../gpu/buffers.ts';
import { asWeightSource, rawToFloat32, type RawTensor, type WeightSource } from '../io/weight-source.ts';
import type { Gpu } from '../gpu/device.ts';
import { GpuLimitError } from '../gpu/errors.ts';
import { submitDispatches, type Dispatch } from '../gpu/dispatch.ts';
import { createAxpby } from '../gpu/kernels/elementwise.ts';
import { createLowRankGroup } from '../gpu/kernels/lora-group.ts';
import { createMatmul } from '../gpu/kernels/matmul.ts';
import { createSumSquares } from '../gpu/kernels/reduce.ts';
import * as ops from '../gpu/kernels/transformer-ops.ts';
import { foldedWeightNumel, loraNeedsF32Base, resolveLoraTargets, type LoraInjectionConfig } from '../lora/injection.ts';
import { checkSequenceFits, headDimOf, linearHasBias, linearPath, type LinearModule, type LlamaConfig } from './config.ts';
import { createModelLinear, type ModelLinear, type TrainableParameter } from './linear.ts';
import { keepsActivation, recomputesInput, type BlockActivation } from './activation-plan.ts';
import { createProjectionBias } from './projection-bias.ts';
import { logitsChunkRows, rowChunks } from './logits-chunks.ts';

export const IGNORE_TARGET = 0xffffffff;

async function readRaw(source: WeightSource, name: string): Promise<RawTensor> {
  if (!source.tensors.has(name)) throw new Error(`checkpoint has no tensor ${name}`);
  return source.read(name);
}

/** How the model trains: LoRA on some linear layers, or every weight ('full'). */
export type TrainingMode = { kind: 'lora'; lora: LoraInjectionConfig } | { kind: 'full' } | { kind: 'frozen' };

export interface LlamaModelOptions {
  batch: number;
  seq: number;
  mode: TrainingMode;
  /**
   * How frozen weights are stored on the GPU: 'checkpoint' (default) keeps BF16/F16 packed, two
   * per u32, widened inside the kernels; 'f32' widens them on upload (the comparison's baseline).
   */
  baseStorage?: 'checkpoint' | 'f32';
  /**
   * Activation checkpointing: each block keeps only its output (the residual stream); the backward
   * runs the block's forward again before its backward. Fewer bytes, one more forward per step.
   */
  recompute?: boolean;
  /**
   * Keep every layer's attention probabilities for the backward (batch·heads·seq² floats a layer).
   * Default false: the backward runs the layer's attention forward again into one shared buffer.
   */
  keepAttentionProbs?: boolean;
  /**
   * Keep x1 and x2 (the norms' outputs) and act (SwiGLU's) per layer where a linear's backward reads
   * them. Default false: the backward runs that norm or SwiGLU again (src/model/activation-plan.ts).
   */
  keepCheapActivations?: boolean;
  /**
   * LoRA layers that read the same X (q/k/v; gate/up) compute H = X·Aᵀ and dA = dHᵀ·X in one
   * dispatch per group (src/gpu/kernels/lora-group.ts). Default true; false runs one per layer.
   */
  groupSharedInput?: boolean;
  /**
   * Rows of logits the head computes at a time (src/model/logits-chunks.ts). Default: all tokens
   * while their logits fit 4 MiB, else chunks of 16 rows (SmolLM2 at 64 tokens: 4 chunks).
   */
  logitsChunkRows?: number;
}

/** `d` encoded once more in the backward, labelled `….again` so a profile shows it on its own line. */
function runAgain(d: Dispatch): Dispatch {
  return { label: `${d.label}.again`, flops: d.flops, encode: (pass) => d.encode(pass) };
}

/** One chunk of the head: rows [row0, row0 + rows) of the batch, whose logits its dispatch writes. */
interface HeadChunk {
  row0: number;
  rows: number;
  logits: GpuTensor; // (rows, V): a view of the model's one logits buffer
  head: Dispatch;
}

/** Builds dispatches in order; `add` accepts one or many. */
class DispatchList {
  readonly items: Dispatch[] = [];
  add(...d: (Dispatch | Dispatch[])[]): void {
    for (const x of d) this.items.push(...(Array.isArray(x) ? x : [x]));
  }
}

export class LlamaModel {
  /** Rows of the current batch whose target is not IGNORE_TARGET (the loss's denominator). */
  private validRows = 0;
  /** True when the logits buffer holds every row's logits of the weights as they are (one chunk, after forward()). */
  private logitsCurrent = false;

  private constructor(
    private readonly gpu: Gpu,
    readonly config: LlamaConfig,
    readonly options: LlamaModelOptions,
    readonly linears: ModelLinear[],
    /** Every parameter tensor by HF name (for lora layers: the frozen base weight). */
    readonly weights: Map<string, GpuTensor>,
    readonly trainable: TrainableParameter[],
    private readonly io: { ids: GPUBuffer; grouped: GPUBuffer | null; targets: GPUBuffer; lossSum: GpuTensor },
    private readonly setValidRows: (n: number) => void,
    /**
     * body: embedding, blocks, final norm. forward: body, then each chunk's logits and loss. step:
     * body, each chunk's logits, loss and head backward, then the blocks' backward. heads: each
     * chunk's logits dispatch alone (logits() runs them again).
     */
    private readonly passes: { body: Dispatch[]; forward: Dispatch[]; step: Dispatch[]; heads: HeadChunk[] },
  ) {}

  get tokens(): number {
    return this.options.batch * this.options.seq;
  }

  /** Every storage buffer the model allocated (weights, adapters, gradients, activations, scratch). */
  private allocations: Allocation[] = [];

  static async create(gpu: Gpu, config: LlamaConfig, initial: WeightSource | Map<string, Float32Array>, options: LlamaModelOptions): Promise<LlamaModel> {
    checkSequenceFits(config, options.seq); // before anything is allocated
    const { value: model, allocations } = await withAllocationScope(gpu, () => LlamaModel.build(gpu, config, initial, options));
    model.allocations = allocations;
    return model;
  }

  /** GPU bytes held by the model's storage buffers. */
  get allocatedBytes(): number {
    return totalBytes(this.allocations);
  }

  /** Frees every buffer the model allocated; the model is unusable afterwards. */
  destroy(): void {
    for (const a of this.allocations) a.buffer.destroy();
    this.allocations = [];
  }

  private static async build(gpu: Gpu, config: LlamaConfig, initial: WeightSource | Map<string, Float32Array>, options: LlamaModelOptions): Promise<LlamaModel> {
    const { batch, seq, mode } = options;
    const T = batch * seq;
    const d = config.hidden_size;
    const hd = headDimOf(config);
    const [H, KV, I, V] = [config.num_attention_heads, config.num_key_value_heads, config.intermediate_size, config.vocab_size];
    const full = mode.kind === 'full';
    const loraTargets = mode.kind === 'lora' ? resolveLoraTargets(config, mode.lora) : new Map();
    const t = (label: string, shape: number[]) => createTensor(gpu, label, shape);
    // Tensors are read from the source one at a time, as each is uploaded.
    const source = asWeightSource(initial);
    const get = async (name: string) => rawToFloat32(await readRaw(source, name));
    const weights = new Map<string, GpuTensor>();
    const param = async (name: string, shape: number[]) => {
      const tensor = await createTensor(gpu, name, shape, await get(name));
      weights.set(name, tensor);
      return tensor;
    };
    // A weight nothing trains: packed as the checkpoint stores it (BF16/F16) unless the run asks
    // for f32 storage; trained weights and every norm are f32.
    const frozenWeight = async (name: string, shape: number[], widen = false) => {
      const raw = await readRaw(source, name);
      if (!widen && (options.baseStorage ?? 'checkpoint') === 'checkpoint' && (raw.dtype === 'BF16' || raw.dtype === 'F16')) {
        return createPackedTensor(gpu, name, shape, raw.dtype === 'BF16' ? 'bf16' : 'f16', raw.bytes);
      }
      return createTensor(gpu, name, shape, rawToFloat32(raw));
    };
    const trainable: TrainableParameter[] = [];
    const gradFor = async (name: string, tensor: GpuTensor) => {
      if (!full) return null;
      const grad = await t(`${name}.grad`, [...tensor.shape]);
      trainable.push({ name, param: tensor, grad });
      return grad;
    };

    const ids = await createU32Buffer(gpu, 'ids', new Uint32Array(T));
    const targets = await createU32Buffer(gpu, 'targets', new Uint32Array(T).fill(IGNORE_TARGET));
    const embed = full ? await param('model.embed_tokens.weight', [V, d]) : await frozenWeight('model.embed_tokens.weight', [V, d]);
    weights.set('model.embed_tokens.weight', embed);
    const embedGrad = await gradFor('model.embed_tokens.weight', embed);
    let grouped: GPUBuffer | null = null; // the batch grouped by token, for the embedding's gradient
    const ropeTables = await ops.createRopeTables(gpu, seq, hd, config.rope_theta);

    // Backward scratch shared by all layers (the backward visits them one at a time).
    const g = {
      resid: await t('dResid', [T, d]), x: await t('dX', [T, d]), tmp: await t('dTmp', [T, d]),
      attn: await t('dAttn', [T, H * hd]), q: await t('dQ', [T, H * hd]), k: await t('dK', [T, KV * hd]), v: await t('dV', [T, KV * hd]),
      scores: await t('dScores', [batch, H, seq, seq]), act: await t('dAct', [T, I]), gate: await t('dGate', [T, I]), up: await t('dUp', [T, I]),
    };
    const fwd = new DispatchList();
    const bwd = new DispatchList();
    const backwardBlocks: Dispatch[][] = []; // one per layer, run last layer first
    const linears: ModelLinear[] = [];
    const foldedNumel = foldedWeightNumel(config, loraTargets, T);
    const foldedWeight = foldedNumel > 0 ? await t('lora.folded_weight', [foldedNumel]) : undefined; // W' (out·in), shared
    // With a frozen embedding nothing needs dL/d(input of layer 0): its q/k/v skip dX, and the
    // backward stops after them (no input-norm backward, no residual add).
    const inputNeedsGrad = (layer: number) => full || layer > 0;
    // LoRA layers without dropout among those that read one X: a group when two or more.
    const sharedInputGroup = (layer: number, modules: LinearModule[]) => {
      const members = modules.filter((m) => {
        const lora = loraTargets.get(linearPath(layer, m));
        return lora && !(lora.dropout && lora.dropout > 0);
      });
      return new Set(options.groupSharedInput !== false && members.length >= 2 ? members : []);
    };
    const groupedModules = new Map<number, Set<LinearModule>>();
    const inGroup = (layer: number, module: LinearModule) => {
      if (!groupedModules.has(layer)) groupedModules.set(layer, new Set([...sharedInputGroup(layer, ['q_proj', 'k_proj', 'v_proj']), ...sharedInputGroup(layer, ['gate_proj', 'up_proj'])]));
      return groupedModules.get(layer)!.has(module);
    };
    const linear = async (layer: number, module: LinearModule, inDim: number, outDim: number, input: GpuTensor, output: GpuTensor, gradOutput: GpuTensor, gradInput: GpuTensor, accumulate: boolean) => {
      const path = linearPath(layer, module);
      const lora = loraTargets.get(path);
      const readsBlockInput = module === 'q_proj' || module === 'k_proj' || module === 'v_proj';
      const l = await createModelLinear(gpu, {
        path, inDim, outDim, tokens: T, weight: full ? await get(`${path}.weight`) : await frozenWeight(`${path}.weight`, [outDim, inDim], loraNeedsF32Base(lora)), io: { input, output, gradOutput, gradInput, foldedWeight },
        mode: lora ? 'lora' : full ? 'full' : 'frozen', lora, accumulateGradInput: accumulate, needsGradInput: !readsBlockInput || inputNeedsGrad(layer),
        sharedInput: inGroup(layer, module),
      });
      weights.set(`${path}.weight`, l.weight);
      trainable.push(...l.trainable);
      linears.push(l);
      return l;
    };
    // Qwen2's q/k/v bias: Y += b after the linear's forward; db beside its backward (full fine-tuning only).
    const bias = async (layer: number, module: LinearModule, outDim: number, output: GpuTensor, gradOutput: GpuTensor) => {
      if (!linearHasBias(config, module)) return { forward: [], backward: [] };
      const path = linearPath(layer, module);
      const b = await createProjectionBias(gpu, { path, tokens: T, outDim, values: await get(`${path}.bias`), output, gradOutput, trainable: full });
      weights.set(`${path}.bias`, b.bias);
      trainable.push(...b.trainable);
      return b;
    };
    const norm = async (name: string, x: GpuTensor, y: GpuTensor, dy: GpuTensor, dx: GpuTensor, rstd?: GpuTensor) => {
      const weight = await param(name, [d]);
      const spec = { label: name, rows: T, dim: d, eps: config.rms_norm_eps, x, weight, y, rstd: rstd ?? (await t(`${name}.rstd`, [T])) };
      return { forward: await ops.createRmsNormForward(gpu, spec), backward: await ops.createRmsNormBackward(gpu, { ...spec, dy, dx, dWeight: await gradFor(name, weight) }) };
    };
    // The group's H before its members' forwards (only while one of them reads H: not merged, not
    // a folded evaluation), its dA after their backwards (which write dH).
    const lowRankGroup = async (prefix: string, linearsOfGroup: ModelLinear[], input: GpuTensor, inDim: number) => {
      const members = linearsOfGroup.flatMap((l) => (l.lora?.config.sharedInput ? [{ path: l.path, layer: l.lora }] : []));
      if (members.length === 0) return { forward: [], backward: [] };
      const names = members.map((m) => m.path.slice(m.path.lastIndexOf('.') + 1)).join('+');
      const group = await createLowRankGroup(gpu, {
        label: `${prefix}.${names}`, input, tokens: T, inDim,
        members: members.map(({ layer }) => ({ loraA: layer.loraA, gradA: layer.gradA, hidden: layer.hidden, gradHidden: layer.gradHidden, rank: layer.config.rank })),
      });
      const readsHidden = () => members.some((m) => m.layer.readsHidden);
      const hidden: Dispatch = {
        label: group.hidden.label,
        get flops() {
          return readsHidden() ? group.hidden.flops : 0;
        },
        encode: (pass) => void (readsHidden() && group.hidden.encode(pass)),
      };
      return { forward: [hidden], backward: [group.gradA] };
    };
    const addInto = async (label: string, x: GpuTensor, y: GpuTensor) => createAxpby(gpu, { label, x, y, n: x.numel, a: 1, b: 1 });

    // A block's activations: kept per layer where its backward reads them, else one buffer per
    // role shared by every layer (src/model/activation-plan.ts).
    const plan = { full, adapted: loraTargets, recompute: options.recompute ?? false, keepProbs: options.keepAttentionProbs ?? false, keepCheap: options.keepCheapActivations ?? false };
    /** `dispatch` again before layer l's linears read `role`, when the plan makes it again (recomputesInput). */
    const again = (l: number, role: BlockActivation, dispatch: Dispatch): Dispatch[] =>
      recomputesInput(l, role, { ...plan, layers: config.num_hidden_layers }) ? [runAgain(dispatch)] : [];
    const shared = new Map<BlockActivation, GpuTensor>();
    const activation = async (layer: number, role: BlockActivation, shape: number[]) => {
      if (keepsActivation(layer, role, plan)) return t(`model.layers.${layer}.${role}`, shape);
      if (!shared.has(role)) shared.set(role, await t(`shared.${role}`, shape));
      return shared.get(role)!;
    };
    const layerForwards: Dispatch[][] = []; // each block's forward, run again before its backward under recompute

    let resid = await t('hidden.0', [T, d]);
    fwd.add(await ops.createEmbeddingForward(gpu, { label: 'embed', ids, table: embed, out: resid, tokens: T, dim: d, vocab: V }));
    for (let l = 0; l < config.num_hidden_layers; l++) {
      const p = `model.layers.${l}`;
      const act = (role: BlockActivation, shape: number[]) => activation(l, role, shape);
      const x1 = await act('x1', [T, d]);
      const n1 = await norm(`${p}.input_layernorm.weight`, resid, x1, g.x, g.tmp, await act('rstd1', [T]));
      const q = await act('q', [T, H * hd]);
      const k = await act('k', [T, KV * hd]);
      const v = await act('v', [T, KV * hd]);
      const qp = await linear(l, 'q_proj', d, H * hd, x1, q, g.q, g.x, false);
      const kp = await linear(l, 'k_proj', d, KV * hd, x1, k, g.k, g.x, true);
      const vp = await linear(l, 'v_proj', d, KV * hd, x1, v, g.v, g.x, true);
      const qkv = await lowRankGroup(`${p}.self_attn`, [qp, kp, vp], x1, d);
      const [qb, kb, vb] = [await bias(l, 'q_proj', H * hd, q, g.q), await bias(l, 'k_proj', KV * hd, k, g.k), await bias(l, 'v_proj', KV * hd, v, g.v)];
      const rope = (x: GpuTensor, heads: number, direction: 1 | -1) =>
        ops.createRope(gpu, { label: `${p}.rope`, x, tables: ropeTables, tokens: T, heads, headDim: hd, seq, direction });
      const attnOut = await act('attn', [T, H * hd]);
      const attnSpec = { label: `${p}.attention`, batch, seq, heads: H, kvHeads: KV, headDim: hd, q, k, v, out: attnOut, probs: await act('probs', [batch, H, seq, seq]) };
      // h = o_proj(attn) + x: o_proj writes h itself, then the residual is added.
      const h = await act('h', [T, d]);
      const op = await linear(l, 'o_proj', H * hd, d, attnOut, h, g.resid, g.attn, false);
      const x2 = await act('x2', [T, d]);
      const n2 = await norm(`${p}.post_attention_layernorm.weight`, h, x2, g.x, g.tmp, await act('rstd2', [T]));
      const gate = await act('gate', [T, I]);
      const up = await act('up', [T, I]);
      const swiOut = await act('act', [T, I]);
      const gp = await linear(l, 'gate_proj', d, I, x2, gate, g.gate, g.x, false);
      const upp = await linear(l, 'up_proj', d, I, x2, up, g.up, g.x, true);
      const gateUp = await lowRankGroup(`${p}.mlp`, [gp, upp], x2, d);
      const out = await t(`hidden.${l + 1}`, [T, d]);
      const dp = await linear(l, 'down_proj', I, d, swiOut, out, g.resid, g.act, false); // out = down_proj(act) + h

      const layerFwd = new DispatchList();
      layerFwd.add(n1.forward, qkv.forward, qp.forward, qb.forward, kp.forward, kb.forward, vp.forward, vb.forward, await rope(q, H, 1), await rope(k, KV, 1));
      const attention = await ops.createAttentionForward(gpu, attnSpec);
      layerFwd.add(attention, op.forward, await addInto(`${p}.h+=x`, resid, h));
      layerFwd.add(n2.forward, gateUp.forward, gp.forward, upp.forward);
      const swiglu = await ops.createSwigluForward(gpu, { label: `${p}.swiglu`, n: T * I, gate, up, out: swiOut });
      layerFwd.add(swiglu, dp.forward);
      layerFwd.add(await addInto(`${p}.out+=h`, h, out));
      fwd.add(layerFwd.items);
      layerForwards.push(layerFwd.items);

      // Backward of this block, given dResid = dL/d(out); leaves dL/d(resid) in dResid.
      const block = new DispatchList();
      // x1, x2 and act are made again just before the linears whose backward reads them (activation-plan.ts).
      block.add(again(l, 'act', swiglu), dp.backward); // dAct
      block.add(await ops.createSwigluBackward(gpu, { label: `${p}.swiglu.bw`, n: T * I, gate, up, dh: g.act, dGate: g.gate, dUp: g.up }));
      block.add(again(l, 'x2', n2.forward), gp.backward, upp.backward, gateUp.backward); // dX = dL/dx2
      block.add(n2.backward, await addInto(`${p}.dh+=`, g.tmp, g.resid)); // dResid = dL/dh
      block.add(op.backward); // dAttn
      // The probabilities again, unless kept per layer (activation-plan.ts); the last layer's are still in
      // the shared buffer, and under recompute the block's forward has just run.
      if (!keepsActivation(l, 'probs', plan) && !plan.recompute && l < config.num_hidden_layers - 1) {
        block.add(runAgain(attention));
      }
      block.add(await ops.createAttentionBackward(gpu, { ...attnSpec, dOut: g.attn, dScores: g.scores, dq: g.q, dk: g.k, dv: g.v }));
      block.add(await rope(g.q, H, -1), await rope(g.k, KV, -1));
      block.add(qb.backward, kb.backward, vb.backward); // dBias of Qwen2's q/k/v (full fine-tuning)
      block.add(again(l, 'x1', n1.forward), qp.backward, kp.backward, vp.backward, qkv.backward); // dX = dL/dx1 (and dA, dB of LoRA layers)
      if (inputNeedsGrad(l)) block.add(n1.backward, await addInto(`${p}.dresid+=`, g.tmp, g.resid));
      backwardBlocks.push(block.items);
      resid = out;
    }
    const normed = await t('normed', [T, d]);
    const finalNorm = await norm('model.norm.weight', resid, normed, g.x, g.resid);
    fwd.add(finalNorm.forward);
    // The head in chunks of rows (src/model/logits-chunks.ts): one (chunk, V) logits buffer, which a
    // training step overwrites with the chunk's dL/dlogits and consumes before the next chunk.
    const chunkRows = logitsChunkRows(T, V, d, options.logitsChunkRows, full);
    const logits = await t('logits', [chunkRows, V]);
    const rowLoss = await t('rowLoss', [T]);
    const rowLse = await t('rowLse', [T]);
    const lossSum = await t('lossSum', [1]);
    const tied = config.tie_word_embeddings;
    const headWeight = tied ? embed : full ? await param('lm_head.weight', [V, d]) : await frozenWeight('lm_head.weight', [V, d]);
    if (!tied) weights.set('lm_head.weight', headWeight);
    const headGrad = tied ? null : await gradFor('lm_head.weight', headWeight);
    const headGradTarget = tied ? embedGrad : headGrad;
    const lossHead: Dispatch[] = [];
    const trainHead: Dispatch[] = [];
    const heads: HeadChunk[] = [];
    const crossEntropies: ((validRows: number) => void)[] = [];
    for (const [c, { row0, rows }] of rowChunks(T, chunkRows).entries()) {
      const one = chunkRows === T;
      const name = (base: string) => (one ? base : `${base}[${c}]`);
      const z = rows === chunkRows ? logits : rowsOf(gpu, logits, 0, rows); // (rows, V)
      const x = one ? normed : rowsOf(gpu, normed, row0, rows); // (rows, d)
      const head = await createMatmul(gpu, { label: name('lm_head'), c: z, a: x, b: headWeight, m: rows, n: V, k: d, transB: true });
      const ce = await ops.createCrossEntropy(gpu, { label: name('loss'), logits: z, targets, rowLoss, rowLse, rows, vocab: V, validRows: 0, row0 });
      crossEntropies.push(ce.setValidRows);
      heads.push({ row0, rows, logits: z, head });
      lossHead.push(head, ce.forward);
      // dL/dlogits over the chunk's logits, its rows of dNormed (in dX), and dW of the head (or of
      // the tied embedding), summed over the chunks.
      const dX = one ? g.x : rowsOf(gpu, g.x, row0, rows);
      trainHead.push(head, ce.forward, ce.backward, await createMatmul(gpu, { label: name('lm_head.dX'), c: dX, a: z, b: headWeight, m: rows, n: d, k: V }));
      if (headGradTarget) {
        trainHead.push(await createMatmul(gpu, { label: name('lm_head.dW'), c: headGradTarget, a: z, b: x, m: V, n: d, k: rows, transA: true, beta: c === 0 ? 0 : 1 }));
      }
    }
    const sum = await createSumSquares(gpu, { label: 'loss.sum', x: rowLoss, n: T, out: lossSum, outIndex: 0, square: false });
    const body = [...fwd.items];
    fwd.add(lossHead, sum.dispatches);
    const step = new DispatchList();
    step.add(body, trainHead, sum.dispatches);
    bwd.add(finalNorm.backward); // dResid = dL/d(last hidden)
    for (let l = backwardBlocks.length - 1; l >= 0; l--) {
      // Under recompute the shared buffers hold the last block's forward already; the others run again.
      if (plan.recompute && l < backwardBlocks.length - 1) bwd.add(layerForwards[l]);
      bwd.add(backwardBlocks[l]);
    }
    if (embedGrad) {
      const dTable = tied ? await t('dEmbed.tmp', [V, d]) : embedGrad;
      grouped = await createU32Buffer(gpu, 'ids.grouped', ops.groupByToken(new Uint32Array(T), V));
      bwd.add(await ops.createEmbeddingBackward(gpu, { label: 'embed.bw', grouped, dOut: g.resid, dTable, tokens: T, dim: d, vocab: V }));
      if (tied) bwd.add(await addInto('embed.dW+=', dTable, embedGrad));
    }
    step.add(bwd.items);
    const setValidRows = (n: number) => crossEntropies.forEach((set) => set(n));
    return new LlamaModel(gpu, config, options, linears, weights, trainable, { ids, grouped, targets, lossSum }, setValidRows, { body, forward: fwd.items, step: step.items, heads });
  }

  /** Writes the next batch: ids and targets (batch·seq each); IGNORE_TARGET skips a position. */
  setBatch(ids: Uint32Array, targets: Uint32Array): void {
    const T = this.tokens;
    if (ids.length !== T || targets.length !== T) throw new RangeError(`a batch needs ${T} ids and targets, got ${ids.length} and ${targets.length}`);
    for (const id of ids) if (id >= this.config.vocab_size) throw new RangeError(`token id ${id} is outside the vocabulary (${this.config.vocab_size})`);
    let valid = 0;
    for (const y of targets) {
      if (y === IGNORE_TARGET) continue;
      if (y >= this.config.vocab_size) throw new RangeError(`target ${y} is outside the vocabulary (${this.config.vocab_size})`);
      valid++;
    }
    this.gpu.device.queue.writeBuffer(this.io.ids, 0, ids.buffer, ids.byteOffset, ids.byteLength);
    if (this.io.grouped) this.gpu.device.queue.writeBuffer(this.io.grouped, 0, ops.groupByToken(ids, this.config.vocab_size));
    this.gpu.device.queue.writeBuffer(this.io.targets, 0, targets.buffer, targets.byteOffset, targets.byteLength);
    this.setValidRows(valid);
    this.validRows = valid;
  }

  /** The mean loss of the current batch (lossSum). `loss: false` runs the blocks alone, for logits() to read. */
  forward(o: { loss?: boolean } = {}): void {
    const loss = o.loss ?? true;
    submitDispatches(this.gpu, 'model.forward', loss ? this.passes.forward : this.passes.body);
    this.logitsCurrent = loss && this.passes.heads.length === 1;
  }

  /** Forward and backward in one submission; gradients land in `trainable[i].grad`. */
  forwardBackward(): void {
    submitDispatches(this.gpu, 'model.step', this.passes.step);
    this.logitsCurrent = false; // dL/dlogits is written over them
  }

  /** (1) the summed loss of the last forward's rows; the mean is lossSum × lossScale(). */
  get lossSum(): GpuTensor {
    return this.io.lossSum;
  }

  /** 1 / the number of rows with a target in the current batch (0 if none). */
  lossScale(): number {
    return this.validRows > 0 ? 1 / this.validRows : 0;
  }

  async loss(): Promise<number> {
    const [sum] = await readTensor(this.gpu, this.io.lossSum);
    return this.validRows > 0 ? sum / this.validRows : 0;
  }

  /**
   * Logits of the hidden states the last forward() or step left, for the weights as they are now:
   * (tokens, vocab), or (rows.length, vocab) for the batch rows `rows` (generation reads one row a
   * sequence). With the head in chunks (or after a step, which writes dL/dlogits over them) the
   * chunks holding those rows are computed again and their rows copied out in one submission.
   */
  async logits(rows?: readonly number[]): Promise<Float32Array> {
    const { heads } = this.passes;
    if (this.logitsCurrent && !rows) return readTensor(this.gpu, heads[0].logits);
    const V = this.config.vocab_size;
    for (const r of rows ?? []) {
      if (!Number.isInteger(r) || r < 0 || r >= this.tokens) throw new RangeError(`logits row ${r} is outside the batch's ${this.tokens} rows`);
    }
    const count = rows?.length ?? this.tokens;
    const bytes = Math.max(4, count * V * 4);
    if (bytes > this.gpu.device.limits.maxBufferSize) {
      throw new GpuLimitError(`reading ${count} rows of logits needs ${formatBytes(bytes)} in one buffer, over this device's maxBufferSize of ${formatBytes(this.gpu.device.limits.maxBufferSize)}; read fewer rows, or use shorter sequences or a smaller batch`);
    }
    const staging = this.gpu.device.createBuffer({ label: 'logits.readback', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const encoder = this.gpu.device.createCommandEncoder({ label: 'logits.readback' });
      for (const chunk of heads) {
        // (row of the batch, its place in the output) for the rows this chunk holds.
        const wanted = rows
          ? rows.flatMap((r, k) => (r >= chunk.row0 && r < chunk.row0 + chunk.rows ? [[r, k] as const] : []))
          : [];
        if (rows && wanted.length === 0) continue;
        if (!this.logitsCurrent) {
          const pass = encoder.beginComputePass({ label: chunk.head.label });
          chunk.head.encode(pass);
          pass.end();
        }
        const from = chunk.logits.byteOffset ?? 0;
        if (!rows) encoder.copyBufferToBuffer(chunk.logits.buffer, from, staging, chunk.row0 * V * 4, chunk.rows * V * 4);
        for (const [r, k] of wanted) encoder.copyBufferToBuffer(chunk.logits.buffer, from + (r - chunk.row0) * V * 4, staging, k * V * 4, V * 4);
      }
      this.gpu.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(staging.getMappedRange().slice(0, count * V * 4));
      staging.unmap();
      return out;
    } finally {
      staging.destroy();
    }
  }

  /** The dispatches of one training step as forwardBackward encodes them. */
  get stepDispatches(): readonly Dispatch[] {
    return this.passes.step;
  }

  /** Estimated floating-point operations of one forward as it runs now (matmuls: 2·M·N·K). */
  get forwardFlops(): number {
    return this.passes.forward.reduce((total, d) => total + d.flops, 0);
  }

  /** Estimated floating-point operations of one forward + backward (needs an unmerged adapter). */
  get stepFlops(): number {
    return this.passes.step.reduce((total, d) => total + d.flops, 0);
  }

  /** Dispatches one training step encodes (forward + backward; a LoRA layer counts as its kernels). */
  get dispatchCount(): number {
    let count = 0;
    const pass = { setPipeline() {}, setBindGroup() {}, dispatchWorkgroups: () => count++ } as unknown as GPUComputePassEncoder;
    for (const d of this.passes.step) d.encode(pass);
    return count;
  }

  /** Training mode applies lora_dropout; evaluation (validation, generation) does not. */
  setTraining(training: boolean): void {
    for (const l of this.linears) if (l.lora) l.lora.training = training;
  }

  /** A fresh dropout mask for every adapter (each layer mixes in its own index). */
  setDropoutSeed(seed: number): void {
    this.linears.forEach((l, i) => l.lora?.setDropoutSeed(Math.imul(seed + 1, 0x9e3779b1) ^ i));
  }

  /** False: every unmerged LoRA layer takes the low-rank path, as PEFT computes it (see LoRALinear.foldingAllowed). */
  setFoldingAllowed(allowed: boolean): void {
    for (const l of this.linears) if (l.lora) l.lora.foldingAllowed = allowed;
  }

  /** False: every LoRA layer computes its base alone (to compare base and adapted side by side). */
  setAdapterEnabled(enabled: boolean): void {
    for (const l of this.linears) if (l.lora) l.lora.adapterEnabled = enabled;
  }

  merge(): void {
    for (const l of this.linears) l.lora?.merge();
  }

  unmerge(): void {
    for (const l of this.linears) l.lora?.unmerge();
  }
}
