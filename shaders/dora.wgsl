// dora.wgsl — DoRA (Liu et al. 2024, PEFT's use_dora) on top of a LoRA layer:
//   W' = m ⊙ (W + s·B·A) / ‖W + s·B·A‖, the norm per output row, treated as a constant in the
//   backward (as PEFT detaches it). With Z = X·Wᵀ + s·H·Bᵀ the plain LoRA output and g = m / n:
//   rowNorm        n_o = ‖W_o + s·B_o·A‖,  g_o = m_o / n_o                      (out)
//   scaleColumns   Z ← Y (kept for the backward),  Y = Z ⊙ g per column          (N, out)
//   backward       dm_o = Σ_n dY[n,o]·Z[n,o] / n_o,  dZ = dY ⊙ g               (out), (N, out)
//   merge          W ← g ⊙ (W + s·B·A) per row (g from rowNorm just before)
//   unmerge        W ← W / g − s·B·A (the g of the merge)
// W is (out, in), B is (out, r), A is (r, in); CPU reference: src/reference/dora.ts.

struct Params {
  outDim: u32,
  inDim: u32,
  rank: u32,
  scale: f32,
  rows: u32, // N: rows of X
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weight: array<f32>;  // W (out, in)
@group(0) @binding(2) var<storage, read> loraA: array<f32>;  // (r, in)
@group(0) @binding(3) var<storage, read> loraB: array<f32>;  // (out, r)
@group(0) @binding(4) var<storage, read> magnitude: array<f32>;  // m (out)
@group(0) @binding(5) var<storage, read_write> norm: array<f32>;  // n (out)
@group(0) @binding(6) var<storage, read_write> factor: array<f32>;  // g = m / n (out)
@group(0) @binding(7) var<storage, read_write> output: array<f32>;  // Y (N, out)
@group(0) @binding(8) var<storage, read_write> unscaled: array<f32>;  // Z (N, out)
@group(0) @binding(9) var<storage, read> gradOutput: array<f32>;  // dY (N, out)
@group(0) @binding(10) var<storage, read_write> gradUnscaled: array<f32>;  // dZ (N, out)
@group(0) @binding(11) var<storage, read_write> gradMagnitude: array<f32>;  // dm (out)
@group(0) @binding(12) var<storage, read_write> mergedWeight: array<f32>;  // W in place (out, in)

override kWorkgroupSize: u32 = 64;

// s·(B·A)[o, i]: r multiply-adds.
fn lowRank(o: u32, i: u32) -> f32 {
  var sum = 0.0;
  for (var p = 0u; p < params.rank; p++) {
    sum = fma(loraB[o * params.rank + p], loraA[p * params.inDim + i], sum);
  }
  return params.scale * sum;
}

// One invocation per output row: in·(r + 1) multiply-adds.
@compute @workgroup_size(kWorkgroupSize)
fn rowNorm(@builtin(global_invocation_id) id: vec3u) {
  let o = id.x;
  if (o >= params.outDim) { return; }
  var sum = 0.0;
  for (var i = 0u; i < params.inDim; i++) {
    let v = weight[o * params.inDim + i] + lowRank(o, i);
    sum = fma(v, v, sum);
  }
  let n = sqrt(sum);
  norm[o] = n;
  factor[o] = magnitude[o] / n;
}

@compute @workgroup_size(kWorkgroupSize)
fn scaleColumns(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let count = params.rows * params.outDim;
  for (var k = id.x; k < count; k += groups.x * kWorkgroupSize) {
    let z = output[k];
    unscaled[k] = z;
    output[k] = z * factor[k % params.outDim];
  }
}

// One invocation per output column: the column's dm and its dZ.
@compute @workgroup_size(kWorkgroupSize)
fn backward(@builtin(global_invocation_id) id: vec3u) {
  let o = id.x;
  if (o >= params.outDim) { return; }
  let g = factor[o];
  var dm = 0.0;
  for (var n = 0u; n < params.rows; n++) {
    let k = n * params.outDim + o;
    let dy = gradOutput[k];
    dm = fma(dy, unscaled[k], dm);
    gradUnscaled[k] = dy * g;
  }
  gradMagnitude[o] = dm / norm[o];
}

@compute @workgroup_size(kWorkgroupSize)
fn merge(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let count = params.outDim * params.inDim;
  for (var k = id.x; k < count; k += groups.x * kWorkgroupSize) {
    let o = k / params.inDim;
    mergedWeight[k] = factor[o] * (mergedWeight[k] + lowRank(o, k % params.inDim));
  }
}

@compute @workgroup_size(kWorkgroupSize)
fn unmerge(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let count = params.outDim * params.inDim;
  for (var k = id.x; k < count; k += groups.x * kWorkgroupSize) {
    let o = k / params.inDim;
    mergedWeight[k] = mergedWeight[k] / factor[o] - lowRank(o, k % params.inDim);
  }
}
