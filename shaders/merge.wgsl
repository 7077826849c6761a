// merge.wgsl — fold a LoRA adapter into its frozen base weight:
//   main:  W ← W + scale · B · A in place   (merge: scale = +s; unmerge: scale = −s)
//   fold:  W' = W + s · B · A into a scratch buffer, W untouched (the unmerged forward's
//          folded path: Y = X·W'ᵀ, see foldsAdapter in src/lora/lora-math.ts)
// W is (out, in), B is (out, r), A is (r, in).

struct Params {
  outDim: u32,
  inDim: u32,
  rank: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> loraB: array<f32>;  // (out, r)
@group(0) @binding(2) var<storage, read> loraA: array<f32>;  // (r, in)
@group(0) @binding(3) var<storage, read_write> weight: array<f32>;  // (out, in), main only
@group(0) @binding(4) var<storage, read> baseWeight: array<f32>;  // W (out, in), fold only
@group(0) @binding(5) var<storage, read_write> folded: array<f32>;  // W' (out, in), fold only

// Each invocation computes a 4×4 block of B·A: rows row0 .. row0 + 3, columns col0 .. col0 + 3.
// One value per invocation spent most of its time on invocation overhead on SwiftShader. Both
// entry points share the sum, so a fold is bit-identical to a merge. Their store loops repeat
// because a WGSL function cannot take a pointer to a storage buffer (without an extension).
override kWgX: u32 = 8;
override kWgY: u32 = 8;

@compute @workgroup_size(kWgX, kWgY)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let row0 = id.y * 4u;
  let col0 = id.x * 4u;
  if (row0 >= params.outDim || col0 >= params.inDim) { return; }
  var block = lowRankBlock(row0, col0);
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      if (row0 + i < params.outDim && col0 + j < params.inDim) {
        let index = (row0 + i) * params.inDim + col0 + j;
        weight[index] = fma(params.scale, block[i][j], weight[index]);
      }
    }
  }
}

@compute @workgroup_size(kWgX, kWgY)
fn fold(@builtin(global_invocation_id) id: vec3u) {
  let row0 = id.y * 4u;
  let col0 = id.x * 4u;
  if (row0 >= params.outDim || col0 >= params.inDim) { return; }
  var block = lowRankBlock(row0, col0);
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      if (row0 + i < params.outDim && col0 + j < params.inDim) {
        let index = (row0 + i) * params.inDim + col0 + j;
        folded[index] = fma(params.scale, block[i][j], baseWeight[index]);
      }
    }
  }
}

// (B · A)[row0 + i, col0 + j] = Σ_p B[row0 + i, p] · A[p, col0 + j], i, j < 4. Reads past the
// edge are clamped to the last row and column; their sums are never written.
fn lowRankBlock(row0: u32, col0: u32) -> array<vec4f, 4> {
  let r = params.rank;
  let lastRow = params.outDim - 1u;
  let lastCol = params.inDim - 1u;
  let b0 = row0 * r;
  let b1 = min(row0 + 1u, lastRow) * r;
  let b2 = min(row0 + 2u, lastRow) * r;
  let b3 = min(row0 + 3u, lastRow) * r;
  let c1 = min(col0 + 1u, lastCol);
  let c2 = min(col0 + 2u, lastCol);
  let c3 = min(col0 + 3u, lastCol);
  var s0 = vec4f(); var s1 = vec4f(); var s2 = vec4f(); var s3 = vec4f();
  for (var p = 0u; p < r; p++) {
    let a = p * params.inDim;
    let aRow = vec4f(loraA[a + col0], loraA[a + c1], loraA[a + c2], loraA[a + c3]);
    s0 = fma(vec4f(loraB[b0 + p]), aRow, s0);
    s1 = fma(vec4f(loraB[b1 + p]), aRow, s1);
    s2 = fma(vec4f(loraB[b2 + p]), aRow, s2);
    s3 = fma(vec4f(loraB[b3 + p]), aRow, s3);
  }
  return array<vec4f, 4>(s0, s1, s2, s3);
}
