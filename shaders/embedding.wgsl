// embedding.wgsl — token embedding lookup and its gradient.
//   forward   out[t, :] = table[ids[t], :]
//   backward  dTable[v, j] = Σ_{t : ids[t] = v} dOut[t, j]   one invocation per (v, j), looping
//             over the positions of token v only, ascending: deterministic, no float atomics, and
//             T·dim work in all (a loop over every token per (v, j) was V·T·dim: 55 ms for the
//             bundled model's batch on SwiftShader, hours for a 32k vocabulary). For it, binding 1
//             holds the batch grouped by token (groupByToken, written by the host with the batch):
//               [0 ..= vocab]      start of each token's run in the positions that follow
//               [vocab + 1 + p]    positions t, sorted by token, ascending within a token

struct Params {
  tokens: u32,
  dim: u32,
  vocab: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;         // (tokens)
@group(0) @binding(2) var<storage, read> source: array<f32>;      // table (vocab, dim) or dOut (tokens, dim)
@group(0) @binding(3) var<storage, read_write> out: array<f32>;   // out (tokens, dim) or dTable (vocab, dim)

override kWorkgroupSize: u32 = 64;

@compute @workgroup_size(kWorkgroupSize)
fn forward(@builtin(global_invocation_id) id: vec3u) {
  let j = id.x;
  let t = id.y;
  if (j >= params.dim || t >= params.tokens) { return; }
  out[t * params.dim + j] = source[min(ids[t], params.vocab - 1u) * params.dim + j];
}

@compute @workgroup_size(kWorkgroupSize)
fn backward(@builtin(global_invocation_id) id: vec3u) {
  let j = id.x;
  let v = id.y;
  if (j >= params.dim || v >= params.vocab) { return; }
  let positions = params.vocab + 1u;
  var sum = 0.0;
  for (var p = ids[v]; p < ids[v + 1u]; p++) { sum += source[ids[positions + p] * params.dim + j]; }
  out[v * params.dim + j] = sum;
}
