// attention.wgsl — causal softmax attention with grouped key/value heads (Llama), naive form:
// one invocation per query row, keeping the head's vectors in registers (D ≤ kMaxHeadDim).
//   forward    S_ij = q_i·k_j / √D (j ≤ i) ; P = softmax_j(S) ; o_i = Σ_j P_ij v_j
//   backward   dP_ij = do_i·v_j ; δ_i = Σ_j P_ij dP_ij ; dS_ij = P_ij (dP_ij − δ_i)
//              dq_i = Σ_j dS_ij k_j / √D                       (backwardQuery, per query row)
//              dk_j = Σ_h Σ_{i≥j} dS_ij q_i / √D ; dv_j = Σ_h Σ_{i≥j} P_ij do_i
//                                                              (backwardKeyValue, per key row,
//                                                               summing the group's heads h)
// Layouts, uniforms and bindings: shaders/attention_common.wgsl, prepended to this file.

const kMaxHeadDim = 128u;
override kWorkgroupSize: u32 = 64;

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
