// attention.wgsl — causal softmax attention with grouped key/value heads (Llama), naive form:
// one invocation per query row, keeping the head's vectors in registers (D ≤ kMaxHeadDim).
//   forward    S_ij = q_i·k_j / √D (j ≤ i) ; P = softmax_j(S) ; o_i = Σ_j P_ij v_j
//   backward   dP_ij = do_i·v_j ; δ_i = Σ_j P_ij dP_ij ; dS_ij = P_ij (dP_ij − δ_i)
//              dq_i = Σ_j dS_ij k_j / √D                       (backwardQuery, per query row)
//              dk_j = Σ_h Σ_{i≥j} dS_ij q_i / √D ; dv_j = Σ_h Σ_{i≥j} P_ij do_i
//                                                              (backwardKeyValue, per key row,
//                                                               summing the group's heads h)
// q, o, dq, do: (batch·seq, heads·D); k, v, dk, dv: (batch·seq, kvHeads·D);
// probs, dScores: (batch, heads, seq, seq), row i valid for j ≤ i (the rest is never read).

struct Params {
  batch: u32,
  seq: u32,
  heads: u32,
  kvHeads: u32,
  headDim: u32,
  scale: f32,  // 1/√D
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> dOut: array<f32>;           // backward only
@group(0) @binding(5) var<storage, read_write> probs: array<f32>;    // written forward, read backward
@group(0) @binding(6) var<storage, read_write> dScores: array<f32>;  // backward scratch
@group(0) @binding(7) var<storage, read_write> out: array<f32>;      // o, or dq
@group(0) @binding(8) var<storage, read_write> out2: array<f32>;     // dk (backwardKeyValue)
@group(0) @binding(9) var<storage, read_write> out3: array<f32>;     // dv (backwardKeyValue)

const kMaxHeadDim = 128u;
override kWorkgroupSize: u32 = 64;

fn qOffset(b: u32, i: u32, h: u32) -> u32 { return ((b * params.seq + i) * params.heads + h) * params.headDim; }
fn kvOffset(b: u32, j: u32, g: u32) -> u32 { return ((b * params.seq + j) * params.kvHeads + g) * params.headDim; }
fn probOffset(b: u32, h: u32, i: u32) -> u32 { return ((b * params.heads + h) * params.seq + i) * params.seq; }

// A query row: batch b, position i, the key/value group g its head reads, and the offsets of
// its q (or o, dq) vector and of its row of probabilities.
struct QueryRow { b: u32, i: u32, g: u32, qo: u32, po: u32 }

fn queryRow(index: u32) -> QueryRow {
  let b = index / (params.seq * params.heads);
  let h = (index / params.seq) % params.heads;
  let i = index % params.seq;
  return QueryRow(b, i, h / (params.heads / params.kvHeads), qOffset(b, i, h), probOffset(b, h, i));
}

@compute @workgroup_size(kWorkgroupSize)
fn forward(@builtin(global_invocation_id) id: vec3u) {
  if (id.x >= params.batch * params.heads * params.seq) { return; }
  let row = queryRow(id.x);
  let i = row.i;
  let g = row.g;
  let qo = row.qo;
  let po = row.po;
  var maxScore = -3.0e38;
  for (var j = 0u; j <= i; j++) {
    let ko = kvOffset(row.b, j, g);
    var s = 0.0;
    for (var d = 0u; d < params.headDim; d++) { s = fma(q[qo + d], k[ko + d], s); }
    s *= params.scale;
    probs[po + j] = s;
    maxScore = max(maxScore, s);
  }
  var total = 0.0;
  for (var j = 0u; j <= i; j++) {
    let e = exp(probs[po + j] - maxScore);
    probs[po + j] = e;
    total += e;
  }
  var acc: array<f32, kMaxHeadDim>;
  for (var j = 0u; j <= i; j++) {
    let p = probs[po + j] / total;
    probs[po + j] = p;
    let vo = kvOffset(row.b, j, g);
    for (var d = 0u; d < params.headDim; d++) { acc[d] = fma(p, v[vo + d], acc[d]); }
  }
  for (var d = 0u; d < params.headDim; d++) { out[qo + d] = acc[d]; }
}

@compute @workgroup_size(kWorkgroupSize)
fn backwardQuery(@builtin(global_invocation_id) id: vec3u) {
  if (id.x >= params.batch * params.heads * params.seq) { return; }
  let row = queryRow(id.x);
  let i = row.i;
  let g = row.g;
  let qo = row.qo;
  let po = row.po;
  var delta = 0.0;
  for (var j = 0u; j <= i; j++) {
    let vo = kvOffset(row.b, j, g);
    var dp = 0.0;
    for (var d = 0u; d < params.headDim; d++) { dp = fma(dOut[qo + d], v[vo + d], dp); }
    dScores[po + j] = dp;
    delta = fma(probs[po + j], dp, delta);
  }
  var acc: array<f32, kMaxHeadDim>;
  for (var j = 0u; j <= i; j++) {
    let ds = probs[po + j] * (dScores[po + j] - delta);
    dScores[po + j] = ds;
    let ko = kvOffset(row.b, j, g);
    for (var d = 0u; d < params.headDim; d++) { acc[d] = fma(ds, k[ko + d], acc[d]); }
  }
  for (var d = 0u; d < params.headDim; d++) { out[qo + d] = acc[d] * params.scale; }
}

@compute @workgroup_size(kWorkgroupSize)
fn backwardKeyValue(@builtin(global_invocation_id) id: vec3u) {
  let rows = params.batch * params.kvHeads * params.seq;
  if (id.x >= rows) { return; }
  let j = id.x % params.seq;
  let g = (id.x / params.seq) % params.kvHeads;
  let b = id.x / (params.seq * params.kvHeads);
  let group = params.heads / params.kvHeads;
  var accK: array<f32, kMaxHeadDim>;
  var accV: array<f32, kMaxHeadDim>;
  for (var h = g * group; h < (g + 1u) * group; h++) {
    for (var i = j; i < params.seq; i++) {
      let po = probOffset(b, h, i) + j;
      let ds = dScores[po];
      let p = probs[po];
      let qo = qOffset(b, i, h);
      for (var d = 0u; d < params.headDim; d++) {
        accK[d] = fma(ds, q[qo + d], accK[d]);
        accV[d] = fma(p, dOut[qo + d], accV[d]);
      }
    }
  }
  let ko = kvOffset(b, j, g);
  for (var d = 0u; d < params.headDim; d++) {
    out2[ko + d] = accK[d] * params.scale;
    out3[ko + d] = accV[d];
  }
}
