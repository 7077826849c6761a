// merge_packed.wgsl — a LoRA adapter and a packed frozen weight (packed_common.wgsl):
//   main:  W ← round(W + scale · B · A) in place, rounded to W's 16-bit format as PEFT's merge in
//          the base dtype does (torch adds the f32 delta and rounds to nearest even)
//   fold:  W' = W + s · B · A into an f32 scratch buffer, W untouched (the unmerged forward's
//          folded path, see foldsAdapter in src/lora/lora-math.ts): no rounding, as PEFT's
//          unmerged forward computes base(x) + s·B·A·x without touching W
// W is (out, in), B is (out, r), A is (r, in). One invocation per packed word (two values):
// a word may hold the end of one row and the start of the next, so no two invocations share one.

struct Params {
  outDim: u32,
  inDim: u32,
  rank: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> loraB: array<f32>;          // (out, r)
@group(0) @binding(2) var<storage, read> loraA: array<f32>;          // (r, in)
@group(0) @binding(3) var<storage, read_write> weight: array<u32>;   // packed (out, in), main only
@group(0) @binding(4) var<storage, read> baseWeight: array<u32>;     // packed (out, in), fold only
@group(0) @binding(5) var<storage, read_write> folded: array<f32>;   // W' (out, in), fold only

// (B·A)[row, col], p ascending: the order merge.wgsl's lowRankBlock sums in.
fn lowRankAt(e: u32) -> f32 {
  let row = e / params.inDim;
  let col = e % params.inDim;
  var sum = 0.0;
  for (var p = 0u; p < params.rank; p++) {
    sum = fma(loraB[row * params.rank + p], loraA[p * params.inDim + col], sum);
  }
  return sum;
}

fn wordIndex(id: vec3u, groups: vec3u) -> u32 {
  return id.x + id.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let word = wordIndex(id, groups);
  let numel = params.outDim * params.inDim;
  if (2u * word >= numel) { return; }
  var packed = weight[word];
  for (var h = 0u; h < 2u; h++) {
    let e = 2u * word + h;
    if (e < numel) {
      let merged = f32ToHalf(fma(params.scale, lowRankAt(e), halfToF32(halfOf(packed, e))));
      packed = select((packed & 0xffff0000u) | merged, (packed & 0xffffu) | (merged << 16u), h == 1u);
    }
  }
  weight[word] = packed;
}

@compute @workgroup_size(64)
fn fold(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let word = wordIndex(id, groups);
  let numel = params.outDim * params.inDim;
  if (2u * word >= numel) { return; }
  let packed = baseWeight[word];
  for (var h = 0u; h < 2u; h++) {
    let e = 2u * word + h;
    if (e < numel) { folded[e] = fma(params.scale, lowRankAt(e), halfToF32(halfOf(packed, e))); }
  }
}
