// embedding.wgsl — token embedding lookup and its gradient.
//   forward   out[t, :] = table[ids[t], :]
//   backward  dTable[v, j] = Σ_{t : ids[t] = v} dOut[t, j]   one invocation per (v, j), a plain
//             loop over tokens: deterministic, no float atomics (fine for byte-level vocabularies)

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
  var sum = 0.0;
  for (var t = 0u; t < params.tokens; t++) {
    if (ids[t] == v) { sum += source[t * params.dim + j]; }
  }
  out[v * params.dim + j] = sum;
}
