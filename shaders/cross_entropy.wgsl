// cross_entropy.wgsl — mean cross-entropy of logits against target ids, and its gradient, in
// one pass (one workgroup per row):
//   loss_t   = logsumexp(z_t) − z_t[y_t]                  (0 for ignored rows, y_t = kIgnore)
//   dz_t     = (softmax(z_t) − onehot(y_t)) · gradScale    (gradScale = 1 / #valid rows)
// The mean is Σ loss_t / #valid, summed afterwards by reduce.wgsl. mainRow computes the same with
// one invocation per row, for small vocabularies (a loop costs less than the reductions' barriers).

struct Params {
  rows: u32,
  vocab: u32,
  gradScale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;          // (rows, vocab)
@group(0) @binding(2) var<storage, read> targets: array<u32>;         // (rows)
@group(0) @binding(3) var<storage, read_write> rowLoss: array<f32>;   // (rows)
@group(0) @binding(4) var<storage, read_write> dLogits: array<f32>;   // (rows, vocab)

const kIgnore = 0xffffffffu;
const kWorkgroupSize = 128u;
var<workgroup> scratch: array<f32, kWorkgroupSize>;

// Reduces scratch with max (isMax) or sum; every invocation must call it.
fn reduce(lid: u32, value: f32, isMax: bool) -> f32 {
  scratch[lid] = value;
  workgroupBarrier();
  for (var width = kWorkgroupSize / 2u; width > 0u; width /= 2u) {
    if (lid < width) {
      scratch[lid] = select(scratch[lid] + scratch[lid + width], max(scratch[lid], scratch[lid + width]), isMax);
    }
    workgroupBarrier();
  }
  let result = scratch[0];
  workgroupBarrier();
  return result;
}

@compute @workgroup_size(kWorkgroupSize)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wg.x;
  if (row >= params.rows) { return; }
  let base = row * params.vocab;
  let targetId = targets[row];
  let ignored = targetId == kIgnore;
  var localMax = -3.0e38;
  for (var j = lid; j < params.vocab; j += kWorkgroupSize) { localMax = max(localMax, logits[base + j]); }
  let rowMax = reduce(lid, localMax, true);
  var localSum = 0.0;
  for (var j = lid; j < params.vocab; j += kWorkgroupSize) { localSum += exp(logits[base + j] - rowMax); }
  let total = reduce(lid, localSum, false);
  let scale = select(params.gradScale, 0.0, ignored);
  for (var j = lid; j < params.vocab; j += kWorkgroupSize) {
    let p = exp(logits[base + j] - rowMax) / total;
    dLogits[base + j] = (p - select(0.0, 1.0, j == targetId)) * scale;
  }
  if (lid == 0u) {
    rowLoss[row] = select(log(total) + rowMax - logits[base + min(targetId, params.vocab - 1u)], 0.0, ignored);
  }
}

const kRowsPerWorkgroup = 64u;

@compute @workgroup_size(kRowsPerWorkgroup)
fn mainRow(@builtin(global_invocation_id) id: vec3u) {
  let row = id.x;
  if (row >= params.rows) { return; }
  let base = row * params.vocab;
  let targetId = targets[row];
  let ignored = targetId == kIgnore;
  var rowMax = -3.0e38;
  for (var j = 0u; j < params.vocab; j++) { rowMax = max(rowMax, logits[base + j]); }
  var total = 0.0;
  for (var j = 0u; j < params.vocab; j++) { total += exp(logits[base + j] - rowMax); }
  let scale = select(params.gradScale, 0.0, ignored);
  for (var j = 0u; j < params.vocab; j++) {
    let p = exp(logits[base + j] - rowMax) / total;
    dLogits[base + j] = (p - select(0.0, 1.0, j == targetId)) * scale;
  }
  rowLoss[row] = select(log(total) + rowMax - logits[base + min(targetId, params.vocab - 1u)], 0.0, ignored);
}
