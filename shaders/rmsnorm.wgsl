// rmsnorm.wgsl — Llama's RMSNorm over the last dimension, forward and backward.
//   forward   r = 1/√(mean(x²) + eps) ;  y = x·r·w              (HF LlamaRMSNorm)
//   backward  x̂ = x·r ;  dx = r·(dy·w − x̂·mean(dy·w·x̂))       one workgroup per row
//             dw = Σ_rows dy·x̂                                  one invocation per column
// forwardRow / backwardInputRow compute the same with one invocation per row, for short rows
// (a loop over 256 values costs less than a workgroup reduction's barriers).
// x, y, dy, dx are (rows, dim); w, dw are (dim); rstd keeps r per row for the backward.

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // (rows, dim)
@group(0) @binding(2) var<storage, read> weight: array<f32>;   // (dim)
@group(0) @binding(3) var<storage, read> dy: array<f32>;       // (rows, dim), backward only
@group(0) @binding(4) var<storage, read_write> out: array<f32>;   // y or dx (rows, dim); dw (dim)
@group(0) @binding(5) var<storage, read_write> rstd: array<f32>;  // (rows)

const kWorkgroupSize = 128u;
var<workgroup> scratch: array<f32, kWorkgroupSize>;

fn workgroupSum(lid: u32, value: f32) -> f32 {
  scratch[lid] = value;
  workgroupBarrier();
  for (var width = kWorkgroupSize / 2u; width > 0u; width /= 2u) {
    if (lid < width) { scratch[lid] += scratch[lid + width]; }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(kWorkgroupSize)
fn forward(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wg.x;
  if (row >= params.rows) { return; }
  let base = row * params.dim;
  var sum = 0.0;
  for (var j = lid; j < params.dim; j += kWorkgroupSize) { sum = fma(x[base + j], x[base + j], sum); }
  let r = inverseSqrt(workgroupSum(lid, sum) / f32(params.dim) + params.eps);
  for (var j = lid; j < params.dim; j += kWorkgroupSize) { out[base + j] = x[base + j] * r * weight[j]; }
  if (lid == 0u) { rstd[row] = r; }
}

@compute @workgroup_size(kWorkgroupSize)
fn backwardInput(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wg.x;
  if (row >= params.rows) { return; }
  let base = row * params.dim;
  let r = rstd[row];
  var dot = 0.0;  // Σ dy·w·x̂
  for (var j = lid; j < params.dim; j += kWorkgroupSize) { dot += dy[base + j] * weight[j] * x[base + j] * r; }
  let mean = workgroupSum(lid, dot) / f32(params.dim);
  for (var j = lid; j < params.dim; j += kWorkgroupSize) {
    out[base + j] = r * (dy[base + j] * weight[j] - x[base + j] * r * mean);
  }
}

@compute @workgroup_size(kWorkgroupSize)
fn backwardWeight(@builtin(global_invocation_id) id: vec3u) {
  let j = id.x;
  if (j >= params.dim) { return; }
  var sum = 0.0;
  for (var row = 0u; row < params.rows; row++) {
    sum = fma(dy[row * params.dim + j], x[row * params.dim + j] * rstd[row], sum);
  }
  out[j] = sum;
}

const kRowsPerWorkgroup = 64u;

@compute @workgroup_size(kRowsPerWorkgroup)
fn forwardRow(@builtin(global_invocation_id) id: vec3u) {
  let row = id.x;
  if (row >= params.rows) { return; }
  let base = row * params.dim;
  var sum = 0.0;
  for (var j = 0u; j < params.dim; j++) { sum = fma(x[base + j], x[base + j], sum); }
  let r = inverseSqrt(sum / f32(params.dim) + params.eps);
  for (var j = 0u; j < params.dim; j++) { out[base + j] = x[base + j] * r * weight[j]; }
  rstd[row] = r;
}

@compute @workgroup_size(kRowsPerWorkgroup)
fn backwardInputRow(@builtin(global_invocation_id) id: vec3u) {
  let row = id.x;
  if (row >= params.rows) { return; }
  let base = row * params.dim;
  let r = rstd[row];
  var dot = 0.0;  // Σ dy·w·x̂
  for (var j = 0u; j < params.dim; j++) { dot += dy[base + j] * weight[j] * x[base + j] * r; }
  let mean = dot / f32(params.dim);
  for (var j = 0u; j < params.dim; j++) {
    out[base + j] = r * (dy[base + j] * weight[j] - x[base + j] * r * mean);
  }
}
