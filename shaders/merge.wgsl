// merge.wgsl — fold a LoRA adapter into its frozen base weight, in place:
//   W ← W + scale · B · A     (merge:   scale = +s)
//   W ← W − s · B · A         (unmerge: scale = −s)
// W is (out, in), B is (out, r), A is (r, in); one invocation per element of W. r ≤ 64 in
// practice, so the inner sum over r stays in a register.

struct Params {
  outDim: u32,
  inDim: u32,
  rank: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> loraB: array<f32>;  // (out, r)
@group(0) @binding(2) var<storage, read> loraA: array<f32>;  // (r, in)
@group(0) @binding(3) var<storage, read_write> weight: array<f32>;  // (out, in)

override kWgX: u32 = 16;
override kWgY: u32 = 16;

@compute @workgroup_size(kWgX, kWgY)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let col = id.x;  // index into in
  let row = id.y;  // index into out
  if (row >= params.outDim || col >= params.inDim) { return; }
  var delta = 0.0;
  for (var p = 0u; p < params.rank; p++) {
    delta = fma(loraB[row * params.rank + p], loraA[p * params.inDim + col], delta);
  }
  let index = row * params.inDim + col;
  weight[index] = fma(params.scale, delta, weight[index]);
}
