// Each hand-written backward of the Llama building blocks against float64 finite differences
// of the scalar loss Σ out ⊙ g.
import { describe, expect, it } from 'vitest';
import { seededRandom, uniformArray } from '../util/random.ts';
import { dotLoss, expectGradientsClose, numericGradient } from './finite-difference.ts';
import * as ref from './transformer-ops.ts';

const f64 = (random: () => number, n: number, bound = 1) => Float64Array.from(uniformArray(random, n, bound));

describe('finite-difference checks of the transformer references', () => {
  it('RMSNorm: dx and dw', () => {
    const random = seededRandom(1);
    const [rows, dim, eps] = [3, 5, 1e-5];
    const [x, w, g] = [f64(random, rows * dim, 2), f64(random, dim), f64(random, rows * dim)];
    const loss = () => dotLoss(ref.rmsnormForwardReference(x, w, rows, dim, eps).y, g);
    const grads = ref.rmsnormBackwardReference(x, w, g, rows, dim, eps);
    expectGradientsClose(grads.dx, numericGradient(x, loss), 'dx');
    expectGradientsClose(grads.dw, numericGradient(w, loss), 'dw');
  });

  it('SwiGLU: dgate and dup', () => {
    const random = seededRandom(2);
    const [gate, up, g] = [f64(random, 9, 5), f64(random, 9, 2), f64(random, 9)];
    const loss = () => dotLoss(ref.swigluForwardReference(gate, up), g);
    const grads = ref.swigluBackwardReference(gate, up, g);
    expectGradientsClose(grads.dGate, numericGradient(gate, loss), 'dgate');
    expectGradientsClose(grads.dUp, numericGradient(up, loss), 'dup');
  });

  it('RoPE: the backward is the inverse rotation', () => {
    const random = seededRandom(3);
    const [tokens, heads, headDim, seq, theta] = [4, 2, 6, 3, 10000];
    const [x, g] = [f64(random, tokens * heads * headDim), f64(random, tokens * heads * headDim)];
    const loss = () => dotLoss(ref.ropeReference(x, tokens, heads, headDim, seq, theta), g);
    const analytic = ref.ropeReference(g, tokens, heads, headDim, seq, theta, -1);
    expectGradientsClose(analytic, numericGradient(x, loss), 'dx');
  });

  it('RoPE matches HF rotate-half at a hand-computed point', () => {
    // One head, D = 2, position 1: (x0, x1) rotated by angle 1·θ^0 = 1 radian.
    const out = ref.ropeReference([1, 0, 0.5, 2], 2, 1, 2, 2, 10000);
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(0);
    expect(out[2]).toBeCloseTo(0.5 * Math.cos(1) - 2 * Math.sin(1), 14);
    expect(out[3]).toBeCloseTo(2 * Math.cos(1) + 0.5 * Math.sin(1), 14);
  });

  it('embedding: dTable accumulates repeated ids', () => {
    const random = seededRandom(4);
    const [vocab, dim] = [4, 3];
    const ids = [2, 0, 2, 3, 2];
    const [table, g] = [f64(random, vocab * dim), f64(random, ids.length * dim)];
    const loss = () => dotLoss(ref.embeddingForwardReference(ids, table, dim), g);
    expectGradientsClose(ref.embeddingBackwardReference(ids, g, vocab, dim), numericGradient(table, loss), 'dTable');
  });

  it('causal attention with grouped heads: dq, dk, dv', () => {
    const random = seededRandom(5);
    const s = { batch: 2, seq: 4, heads: 4, kvHeads: 2, headDim: 3 };
    const tokens = s.batch * s.seq;
    const q = f64(random, tokens * s.heads * s.headDim, 1.5);
    const k = f64(random, tokens * s.kvHeads * s.headDim, 1.5);
    const v = f64(random, tokens * s.kvHeads * s.headDim);
    const g = f64(random, tokens * s.heads * s.headDim);
    const loss = () => dotLoss(ref.attentionForwardReference(q, k, v, s).out, g);
    const grads = ref.attentionBackwardReference(q, k, v, g, s);
    expectGradientsClose(grads.dq, numericGradient(q, loss), 'dq');
    expectGradientsClose(grads.dk, numericGradient(k, loss), 'dk');
    expectGradientsClose(grads.dv, numericGradient(v, loss), 'dv');
  });

  it('causal attention: a query never sees later keys', () => {
    const random = seededRandom(6);
    const s = { batch: 1, seq: 5, heads: 1, kvHeads: 1, headDim: 2 };
    const [q, k, v] = [f64(random, 10), f64(random, 10), f64(random, 10)];
    const before = ref.attentionForwardReference(q, k, v, s).out;
    k[8] += 3; // change the last key and value: only the last row may change
    v[9] -= 2;
    const after = ref.attentionForwardReference(q, k, v, s).out;
    expect(Array.from(after.slice(0, 8))).toEqual(Array.from(before.slice(0, 8)));
    expect(after[8]).not.toBe(before[8]);
  });

  it('cross-entropy: dlogits, with ignored rows', () => {
    const random = seededRandom(7);
    const [rows, vocab] = [4, 5];
    const logits = f64(random, rows * vocab, 3);
    const targets = [1, ref.IGNORE_INDEX, 4, 0];
    const loss = () => ref.crossEntropyReference(logits, targets, rows, vocab).loss;
    expectGradientsClose(ref.crossEntropyReference(logits, targets, rows, vocab).dLogits, numericGradient(logits, loss), 'dlogits');
  });

  it('cross-entropy of uniform logits is ln(vocab)', () => {
    expect(ref.crossEntropyReference(new Float64Array(2 * 256), [3, 200], 2, 256).loss).toBeCloseTo(Math.log(256), 12);
  });
});
