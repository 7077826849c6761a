// embedding_packed.wgsl — out[t, :] = table[ids[t], :] from a packed frozen table
// (packed_common.wgsl); the f32 table's lookup and its gradient are in embedding.wgsl.

struct Params {
  tokens: u32,
  dim: u32,
  vocab: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;        // (tokens)
@group(0) @binding(2) var<storage, read> table: array<u32>;      // packed (vocab, dim)
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // (tokens, dim)

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u) {
  let j = id.x;
  let t = id.y;
  if (j >= params.dim || t >= params.tokens) { return; }
  let e = min(ids[t], params.vocab - 1u) * params.dim + j;
  out[t * params.dim + j] = halfToF32(halfOf(table[e >> 1u], e));
}
