// CPU references (float64) of the Llama building blocks, forward and backward. These are the
// specification of shaders/{rmsnorm,swiglu,rope,embedding,attention,cross_entropy}.wgsl.
// Shapes follow the kernels: activations are (tokens, features) row-major, tokens = batch·seq.

type Vec = ArrayLike<number>;

// RMSNorm ---------------------------------------------------------------------------------

export function rmsnormForwardReference(x: Vec, w: Vec, rows: number, dim: number, eps: number) {
  const y = new Float64Array(rows * dim);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += x[r * dim + j] ** 2;
    rstd[r] = 1 / Math.sqrt(sum / dim + eps);
    for (let j = 0; j < dim; j++) y[r * dim + j] = x[r * dim + j] * rstd[r] * w[j];
  }
  return { y, rstd };
}

export function rmsnormBackwardReference(x: Vec, w: Vec, dy: Vec, rows: number, dim: number, eps: number) {
  const { rstd } = rmsnormForwardReference(x, w, rows, dim, eps);
  const dx = new Float64Array(rows * dim);
  const dw = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += dy[r * dim + j] * w[j] * x[r * dim + j] * rstd[r];
    const mean = dot / dim;
    for (let j = 0; j < dim; j++) {
      const xhat = x[r * dim + j] * rstd[r];
      dx[r * dim + j] = rstd[r] * (dy[r * dim + j] * w[j] - xhat * mean);
      dw[j] += dy[r * dim + j] * xhat;
    }
  }
  return { dx, dw };
}

// SwiGLU gate -----------------------------------------------------------------------------

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function swigluForwardReference(gate: Vec, up: Vec): Float64Array {
  return Float64Array.from({ length: gate.length }, (_, i) => gate[i] * sigmoid(gate[i]) * up[i]);
}

export function swigluBackwardReference(gate: Vec, up: Vec, dh: Vec) {
  const dGate = new Float64Array(gate.length);
  const dUp = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const s = sigmoid(gate[i]);
    dGate[i] = dh[i] * up[i] * s * (1 + gate[i] * (1 - s));
    dUp[i] = dh[i] * gate[i] * s;
  }
  return { dGate, dUp };
}

// Rotary embedding ------------------------------------------------------------------------

/** cos and sin of pos·θ^(−2i/D) for pos < seq, i < D/2, each (seq, D/2). */
export function ropeTables(seq: number, headDim: number, theta: number) {
  const half = headDim / 2;
  const cos = new Float64Array(seq * half);
  const sin = new Float64Array(seq * half);
  for (let pos = 0; pos < seq; pos++) {
    for (let i = 0; i < half; i++) {
      // HF: inv_freq = 1 / theta^(arange(0, D, 2) / D)
      const angle = pos / theta ** ((2 * i) / headDim);
      cos[pos * half + i] = Math.cos(angle);
      sin[pos * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/** Rotate-half RoPE of x (tokens, heads·D), token t at position t mod seq; direction −1 inverts. */
export function ropeReference(x: Vec, tokens: number, heads: number, headDim: number, seq: number, theta: number, direction = 1): Float64Array {
  const { cos, sin } = ropeTables(seq, headDim, theta);
  const half = headDim / 2;
  const out = Float64Array.from(x as ArrayLike<number>);
  for (let t = 0; t < tokens; t++) {
    const pos = t % seq;
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < half; i++) {
        const lo = (t * heads + h) * headDim + i;
        const c = cos[pos * half + i];
        const s = direction * sin[pos * half + i];
        out[lo] = x[lo] * c - x[lo + half] * s;
        out[lo + half] = x[lo + half] * c + x[lo] * s;
      }
    }
  }
  return out;
}

// Embedding -------------------------------------------------------------------------------

export function embeddingForwardReference(ids: ArrayLike<number>, table: Vec, dim: number): Float64Array {
  const out = new Float64Array(ids.length * dim);
  for (let t = 0; t < ids.length; t++) for (let j = 0; j < dim; j++) out[t * dim + j] = table[ids[t] * dim + j];
  return out;
}

export function embeddingBackwardReference(ids: ArrayLike<number>, dOut: Vec, vocab: number, dim: number): Float64Array {
  const dTable = new Float64Array(vocab * dim);
  for (let t = 0; t < ids.length; t++) for (let j = 0; j < dim; j++) dTable[ids[t] * dim + j] += dOut[t * dim + j];
  return dTable;
}

// Causal attention with grouped key/value heads -------------------------------------------

export interface AttentionShape {
  batch: number;
  seq: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Mistral's sliding window: query i attends to keys j with i − window < j ≤ i (transformers' mask). Absent: all j ≤ i. */
  window?: number;
}

function attentionIndex(s: AttentionShape) {
  const group = s.heads / s.kvHeads;
  return {
    q: (b: number, i: number, h: number) => ((b * s.seq + i) * s.heads + h) * s.headDim,
    kv: (b: number, j: number, h: number) => ((b * s.seq + j) * s.kvHeads + Math.floor(h / group)) * s.headDim,
  };
}

/** o (tokens, heads·D) and the probabilities P (batch, heads, seq, seq), zero above the diagonal. */
export function attentionForwardReference(q: Vec, k: Vec, v: Vec, s: AttentionShape) {
  const { q: qi, kv } = attentionIndex(s);
  const scale = 1 / Math.sqrt(s.headDim);
  const out = new Float64Array(s.batch * s.seq * s.heads * s.headDim);
  const probs = new Float64Array(s.batch * s.heads * s.seq * s.seq);
  for (let b = 0; b < s.batch; b++) {
    for (let h = 0; h < s.heads; h++) {
      for (let i = 0; i < s.seq; i++) {
        const row = ((b * s.heads + h) * s.seq + i) * s.seq;
        const first = s.window === undefined ? 0 : Math.max(0, i - s.window + 1); // keys before it are outside the window: probability 0
        let max = -Infinity;
        for (let j = first; j <= i; j++) {
          let dot = 0;
          for (let d = 0; d < s.headDim; d++) dot += q[qi(b, i, h) + d] * k[kv(b, j, h) + d];
          probs[row + j] = dot * scale;
          max = Math.max(max, probs[row + j]);
        }
        let total = 0;
        for (let j = first; j <= i; j++) total += (probs[row + j] = Math.exp(probs[row + j] - max));
        for (let j = first; j <= i; j++) {
          probs[row + j] /= total;
          for (let d = 0; d < s.headDim; d++) out[qi(b, i, h) + d] += probs[row + j] * v[kv(b, j, h) + d];
        }
      }
    }
  }
  return { out, probs };
}

export function attentionBackwardReference(q: Vec, k: Vec, v: Vec, dOut: Vec, s: AttentionShape) {
  const { probs } = attentionForwardReference(q, k, v, s);
  const { q: qi, kv } = attentionIndex(s);
  const scale = 1 / Math.sqrt(s.headDim);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  for (let b = 0; b < s.batch; b++) {
    for (let h = 0; h < s.heads; h++) {
      for (let i = 0; i < s.seq; i++) {
        const row = ((b * s.heads + h) * s.seq + i) * s.seq;
        const dp = new Float64Array(i + 1);
        let delta = 0;
        for (let j = 0; j <= i; j++) {
          for (let d = 0; d < s.headDim; d++) dp[j] += dOut[qi(b, i, h) + d] * v[kv(b, j, h) + d];
          delta += probs[row + j] * dp[j];
        }
        for (let j = 0; j <= i; j++) {
          const ds = probs[row + j] * (dp[j] - delta);
          for (let d = 0; d < s.headDim; d++) {
            dq[qi(b, i, h) + d] += ds * k[kv(b, j, h) + d] * scale;
            dk[kv(b, j, h) + d] += ds * q[qi(b, i, h) + d] * scale;
            dv[kv(b, j, h) + d] += probs[row + j] * dOut[qi(b, i, h) + d];
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}

// Cross-entropy ---------------------------------------------------------------------------

export const IGNORE_INDEX = 0xffffffff;

/** Mean over non-ignored rows of logsumexp(z) − z[y], and dL/dz. */
export function crossEntropyReference(logits: Vec, targets: ArrayLike<number>, rows: number, vocab: number) {
  const valid = Array.from({ length: rows }, (_, r) => targets[r] !== IGNORE_INDEX).filter(Boolean).length;
  const dLogits = new Float64Array(rows * vocab);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    if (targets[r] === IGNORE_INDEX) continue;
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) max = Math.max(max, logits[r * vocab + j]);
    let total = 0;
    for (let j = 0; j < vocab; j++) total += Math.exp(logits[r * vocab + j] - max);
    loss += Math.log(total) + max - logits[r * vocab + targets[r]];
    for (let j = 0; j < vocab; j++) {
      const p = Math.exp(logits[r * vocab + j] - max) / total;
      dLogits[r * vocab + j] = (p - (j === targets[r] ? 1 : 0)) / valid;
    }
  }
  return { loss: valid ? loss / valid : 0, dLogits };
}
