// The Llama building blocks on the GPU against their float64 references, on ragged shapes.
import { createTensor, createU32Buffer, readTensor, rowsOf } from '../gpu/buffers.ts';
import type { Gpu } from '../gpu/device.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { createSumSquares } from '../gpu/kernels/reduce.ts';
import * as ops from '../gpu/kernels/transformer-ops.ts';
import * as ref from '../reference/transformer-ops.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { resultOf, type KernelCheck } from './check.ts';

const tensor = (gpu: Gpu, label: string, values: Float32Array) => createTensor(gpu, label, [values.length], values);
const zeros = (gpu: Gpu, label: string, n: number) => createTensor(gpu, label, [n]);

/** `quad`: whether the device runs the quad attention (gpu.quadKernels); its checks join the list then. */
export function transformerChecks(quad: boolean): KernelCheck[] {
  const checks: KernelCheck[] = [];

  for (const [rows, dim] of [[1, 1], [3, 17], [17, 130], [70, 64], [5, 257]]) { // dim ≤ 256: one invocation per row; 257: a workgroup per row
    checks.push({
      name: `RMSNorm forward/backward rows=${rows} dim=${dim}`,
      async run(gpu) {
        const random = seededRandom(rows * 100 + dim);
        const [x, w, dy] = [uniformArray(random, rows * dim, 2), uniformArray(random, dim), uniformArray(random, rows * dim)];
        const t = { x: await tensor(gpu, 'x', x), weight: await tensor(gpu, 'w', w), dy: await tensor(gpu, 'dy', dy) };
        const y = await zeros(gpu, 'y', rows * dim);
        const rstd = await zeros(gpu, 'rstd', rows);
        const dx = await zeros(gpu, 'dx', rows * dim);
        const dWeight = await zeros(gpu, 'dw', dim);
        const spec = { label: 'check.rmsnorm', rows, dim, eps: 1e-5, x: t.x, weight: t.weight, y, rstd };
        submitDispatches(gpu, this.name, [
          await ops.createRmsNormForward(gpu, spec),
          ...(await ops.createRmsNormBackward(gpu, { ...spec, dy: t.dy, dx, dWeight })),
        ]);
        const fwd = ref.rmsnormForwardReference(x, w, rows, dim, 1e-5);
        const bwd = ref.rmsnormBackwardReference(x, w, dy, rows, dim, 1e-5);
        return resultOf(this.name, {
          y: { got: await readTensor(gpu, y), ref: fwd.y },
          dx: { got: await readTensor(gpu, dx), ref: bwd.dx },
          dw: { got: await readTensor(gpu, dWeight), ref: bwd.dw },
        });
      },
    });
  }

  for (const n of [1, 17, 1000]) {
    checks.push({
      name: `SwiGLU forward/backward n=${n}`,
      async run(gpu) {
        const random = seededRandom(n + 5);
        const [g, u, dh] = [uniformArray(random, n, 6), uniformArray(random, n, 2), uniformArray(random, n)];
        const t = { gate: await tensor(gpu, 'g', g), up: await tensor(gpu, 'u', u), dh: await tensor(gpu, 'dh', dh) };
        const out = await zeros(gpu, 'h', n);
        const dGate = await zeros(gpu, 'dg', n);
        const dUp = await zeros(gpu, 'du', n);
        submitDispatches(gpu, this.name, [
          await ops.createSwigluForward(gpu, { label: 'check.swiglu', n, gate: t.gate, up: t.up, out }),
          await ops.createSwigluBackward(gpu, { label: 'check.swiglu.bw', n, gate: t.gate, up: t.up, dh: t.dh, dGate, dUp }),
        ]);
        const bwd = ref.swigluBackwardReference(g, u, dh);
        return resultOf(this.name, {
          h: { got: await readTensor(gpu, out), ref: ref.swigluForwardReference(g, u) },
          dg: { got: await readTensor(gpu, dGate), ref: bwd.dGate },
          du: { got: await readTensor(gpu, dUp), ref: bwd.dUp },
        });
      },
    });
  }

  for (const [tokens, heads, headDim, seq, theta] of [[1, 1, 2, 1, 10000], [6, 3, 8, 3, 10000], [130, 2, 16, 65, 500000]]) {
    checks.push({
      name: `RoPE forward/backward tokens=${tokens} heads=${heads} D=${headDim} seq=${seq} θ=${theta}`,
      async run(gpu) {
        const x = uniformArray(seededRandom(tokens + headDim), tokens * heads * headDim);
        const buffer = await tensor(gpu, 'x', x);
        const tables = await ops.createRopeTables(gpu, seq, headDim, theta);
        const spec = { label: 'check.rope', x: buffer, tables, tokens, heads, headDim, seq };
        submitDispatches(gpu, this.name, [await ops.createRope(gpu, { ...spec, direction: 1 })]);
        const rotated = await readTensor(gpu, buffer);
        submitDispatches(gpu, this.name, [await ops.createRope(gpu, { ...spec, direction: -1 })]);
        return resultOf(this.name, {
          forward: { got: rotated, ref: ref.ropeReference(x, tokens, heads, headDim, seq, theta) },
          'backward(forward(x)) = x': { got: await readTensor(gpu, buffer), ref: x },
        });
      },
    });
  }

  for (const [tokens, vocab, dim] of [[1, 1, 1], [17, 5, 33], [130, 256, 16]]) {
    checks.push({
      name: `embedding forward/backward tokens=${tokens} vocab=${vocab} dim=${dim}`,
      async run(gpu) {
        const random = seededRandom(tokens * 3 + vocab);
        const idsArray = Uint32Array.from({ length: tokens }, () => Math.floor(random() * vocab));
        const [table, dOut] = [uniformArray(random, vocab * dim), uniformArray(random, tokens * dim)];
        const ids = await createU32Buffer(gpu, 'ids', idsArray);
        const t = { table: await tensor(gpu, 'table', table), dOut: await tensor(gpu, 'dOut', dOut) };
        const out = await zeros(gpu, 'out', tokens * dim);
        const dTable = await zeros(gpu, 'dTable', vocab * dim);
        submitDispatches(gpu, this.name, [
          await ops.createEmbeddingForward(gpu, { label: 'check.embed', ids, table: t.table, out, tokens, dim, vocab }),
          await ops.createEmbeddingBackward(gpu, { label: 'check.embed.bw', grouped: await createU32Buffer(gpu, 'grouped', ops.groupByToken(idsArray, vocab)), dOut: t.dOut, dTable, tokens, dim, vocab }),
        ]);
        return resultOf(this.name, {
          out: { got: await readTensor(gpu, out), ref: ref.embeddingForwardReference(idsArray, table, dim) },
          dTable: { got: await readTensor(gpu, dTable), ref: ref.embeddingBackwardReference(idsArray, dOut, vocab, dim) },
        });
      },
    });
  }

  const attentionShapes: ref.AttentionShape[] = [
    { batch: 1, seq: 1, heads: 1, kvHeads: 1, headDim: 1 },
    { batch: 2, seq: 5, heads: 4, kvHeads: 2, headDim: 3 },
    { batch: 1, seq: 17, heads: 3, kvHeads: 1, headDim: 16 },
    { batch: 3, seq: 33, heads: 2, kvHeads: 2, headDim: 64 },
    // The quad attention's edges: one lane of four used (D = 4), a partial chunk (20), all eight (128).
    { batch: 2, seq: 5, heads: 4, kvHeads: 2, headDim: 4 },
    { batch: 2, seq: 9, heads: 3, kvHeads: 3, headDim: 20 },
    { batch: 1, seq: 6, heads: 2, kvHeads: 1, headDim: 128 },
  ];
  const attentionCases = attentionShapes.flatMap((s) => [
    { s, variant: 'naive' as const },
    ...(quad && ops.quadAttentionSupports(s.headDim) ? [{ s, variant: 'quad' as const }] : []),
  ]);
  for (const { s, variant } of attentionCases) {
    checks.push({
      name: `causal attention forward/backward ${variant} B=${s.batch} S=${s.seq} H=${s.heads} KV=${s.kvHeads} D=${s.headDim}`,
      async run(gpu) {
        const random = seededRandom(s.seq * 7 + s.headDim);
        const tokens = s.batch * s.seq;
        const [q, k, v, dO] = [s.heads, s.kvHeads, s.kvHeads, s.heads].map((h) => uniformArray(random, tokens * h * s.headDim, 1.5));
        const t = { q: await tensor(gpu, 'q', q), k: await tensor(gpu, 'k', k), v: await tensor(gpu, 'v', v), dOut: await tensor(gpu, 'dO', dO) };
        const square = s.batch * s.heads * s.seq * s.seq;
        const spec = {
          label: 'check.attention', ...s, q: t.q, k: t.k, v: t.v,
          out: await zeros(gpu, 'o', q.length), probs: await zeros(gpu, 'P', square),
        };
        const grads = { dq: await zeros(gpu, 'dq', q.length), dk: await zeros(gpu, 'dk', k.length), dv: await zeros(gpu, 'dv', v.length) };
        submitDispatches(gpu, this.name, [
          await ops.createAttentionForward(gpu, spec, variant),
          ...(await ops.createAttentionBackward(gpu, { ...spec, dOut: t.dOut, dScores: await zeros(gpu, 'dS', square), ...grads }, variant)),
        ]);
        const fwd = ref.attentionForwardReference(q, k, v, s);
        const bwd = ref.attentionBackwardReference(q, k, v, dO, s);
        return resultOf(this.name, {
          o: { got: await readTensor(gpu, spec.out), ref: fwd.out },
          dq: { got: await readTensor(gpu, grads.dq), ref: bwd.dq },
          dk: { got: await readTensor(gpu, grads.dk), ref: bwd.dk },
          dv: { got: await readTensor(gpu, grads.dv), ref: bwd.dv },
        });
      },
    });
  }

  for (const [rows, vocab, ignored] of [[1, 1, 0], [17, 33, 3], [65, 256, 0], [4, 1000, 1]]) { // vocab ≤ 512: one invocation per row; 1000: a workgroup per row
    checks.push({
      name: `cross-entropy rows=${rows} vocab=${vocab} ignored=${ignored}`,
      async run(gpu) {
        const random = seededRandom(rows + vocab);
        const logits = uniformArray(random, rows * vocab, 8);
        const targets = Uint32Array.from({ length: rows }, (_, r) => (r < ignored ? ref.IGNORE_INDEX : Math.floor(random() * vocab)));
        const t = { logits: await tensor(gpu, 'z', logits), targets: await createU32Buffer(gpu, 'y', targets) };
        const rowLoss = await zeros(gpu, 'loss', rows);
        const rowLse = await zeros(gpu, 'lse', rows);
        const total = await zeros(gpu, 'sum', 1);
        const sum = await createSumSquares(gpu, { label: 'check.loss.sum', x: rowLoss, n: rows, out: total, outIndex: 0, square: false });
        const ce = await ops.createCrossEntropy(gpu, { label: 'check.ce', logits: t.logits, targets: t.targets, rowLoss, rowLse, rows, vocab, validRows: rows - ignored });
        submitDispatches(gpu, this.name, [ce.forward, ...sum.dispatches]);
        const kept = await readTensor(gpu, t.logits); // the forward only reads them
        submitDispatches(gpu, `${this.name} backward`, [ce.backward]); // dL/dz over z
        const expected = ref.crossEntropyReference(logits, targets, rows, vocab);
        const [lossSum] = await readTensor(gpu, total);
        return resultOf(this.name, {
          'mean loss': { got: [lossSum / (rows - ignored)], ref: [expected.loss] },
          'logits after forward': { got: kept, ref: logits },
          dz: { got: await readTensor(gpu, t.logits), ref: expected.dLogits },
        });
      },
    });
  }
  // In chunks of rows, as the model's head runs it (src/model/logits-chunks.ts): each chunk binds
  // its rows of the logits at a byte offset and writes its rows of rowLoss/rowLse (row0). Vocab 64
  // and 1000 (chunks of 16 rows start at multiples of 256 bytes: 4 and 8 rows would); the last
  // chunk is ragged.
  for (const [rows, vocab, chunk] of [[37, 64, 16], [20, 1000, 16]]) {
    checks.push({
      name: `cross-entropy in chunks of ${chunk} rows: rows=${rows} vocab=${vocab}`,
      async run(gpu) {
        const random = seededRandom(rows * vocab);
        const logits = uniformArray(random, rows * vocab, 8);
        const targets = Uint32Array.from({ length: rows }, (_, r) => (r % 7 === 3 ? ref.IGNORE_INDEX : Math.floor(random() * vocab)));
        const valid = targets.filter((y) => y !== ref.IGNORE_INDEX).length;
        const z = await createTensor(gpu, 'z', [rows, vocab], logits);
        const y = await createU32Buffer(gpu, 'y', targets);
        const rowLoss = await zeros(gpu, 'loss', rows);
        const rowLse = await zeros(gpu, 'lse', rows);
        const dispatches = [];
        for (let row0 = 0; row0 < rows; row0 += chunk) {
          const n = Math.min(chunk, rows - row0);
          const ce = await ops.createCrossEntropy(gpu, { label: `check.ce[${row0}]`, logits: rowsOf(gpu, z, row0, n), targets: y, rowLoss, rowLse, rows: n, vocab, validRows: valid, row0 });
          dispatches.push(ce.forward, ce.backward);
        }
        submitDispatches(gpu, this.name, dispatches);
        const expected = ref.crossEntropyReference(logits, targets, rows, vocab);
        const losses = await readTensor(gpu, rowLoss);
        return resultOf(this.name, {
          'mean loss': { got: [losses.reduce((a, b) => a + b, 0) / valid], ref: [expected.loss] },
          dz: { got: await readTensor(gpu, z), ref: expected.dLogits },
        });
      },
    });
  }
  return checks;
}
