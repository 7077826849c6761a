// cross_entropy.wgsl — mean cross-entropy of logits against target ids (forward), and its
// gradient written over the logits themselves (backward), so a training step holds one
// (rows, vocab) buffer instead of two:
//   forward:  lse_t  = logsumexp(z_t)
//             loss_t = lse_t − z_t[y_t]                          (0 for ignored rows, y_t = kIgnore)
//   backward: z_t   ← (exp(z_t − lse_t) − onehot(y_t)) · gradScale  (gradScale = 1 / #valid rows)
// The mean is Σ loss_t / #valid, summed afterwards by reduce.wgsl. A run in chunks of rows (the
// model's head, src/model/logits-chunks.ts) binds one chunk's logits and says where its rows start
// in targets, rowLoss and rowLse (row0). The *Row entry points do the
// same with one invocation per row, for small vocabularies (a loop costs less than the
// reductions' barriers).

struct Params {
  rows: u32,
  vocab: u32,
  gradScale: f32,
  row0: u32,   // the chunk's first row in targets, rowLoss, rowLse (0 without chunks)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;    // (rows, vocab): z; dL/dz after backward
@group(0) @binding(2) var<storage, read> targets: array<u32>;         // (row0 + rows, …)
@group(0) @binding(3) var<storage, read_write> rowLoss: array<f32>;   // (row0 + rows, …)
@group(0) @binding(4) var<storage, read_write> rowLse: array<f32>;    // (row0 + rows, …): logsumexp(z_t), kept for backward

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

fn writeLoss(row: u32, lse: f32) {
  let targetId = targets[params.row0 + row];
  rowLse[params.row0 + row] = lse;
  rowLoss[params.row0 + row] = select(lse - logits[row * params.vocab + min(targetId, params.vocab - 1u)], 0.0, targetId == kIgnore);
}

// The row's constants for its gradient: logsumexp, target id, and gradScale (0 for an ignored row).
struct RowGrad { lse: f32, targetId: u32, scale: f32 }

fn rowGrad(row: u32) -> RowGrad {
  let targetId = targets[params.row0 + row];
  return RowGrad(rowLse[params.row0 + row], targetId, select(params.gradScale, 0.0, targetId == kIgnore));
}

// z[row, j] ← (exp(z − lse) − [j = y]) · scale
fn writeGrad(base: u32, j: u32, g: RowGrad) {
  logits[base + j] = (exp(logits[base + j] - g.lse) - select(0.0, 1.0, j == g.targetId)) * g.scale;
}

@compute @workgroup_size(kWorkgroupSize)
fn forward(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wg.x;
  if (row >= params.rows) { return; }
  let base = row * params.vocab;
  var localMax = -3.0e38;
  for (var j = lid; j < params.vocab; j += kWorkgroupSize) { localMax = max(localMax, logits[base + j]); }
  let rowMax = reduce(lid, localMax, true);
  var localSum = 0.0;
  for (var j = lid; j < params.vocab; j += kWorkgroupSize) { localSum += exp(logits[base + j] - rowMax); }
  let total = reduce(lid, localSum, false);
  if (lid == 0u) { writeLoss(row, log(total) + rowMax); }
}

@compute @workgroup_size(kWorkgroupSize)
fn backward(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wg.x;
  if (row >= params.rows) { return; }
  let base = row * params.vocab;
  let g = rowGrad(row);
  for (var j = lid; j < params.vocab; j += kWorkgroupSize) { writeGrad(base, j, g); }
}

const kRowsPerWorkgroup = 64u;

@compute @workgroup_size(kRowsPerWorkgroup)
fn forwardRow(@builtin(global_invocation_id) id: vec3u) {
  let row = id.x;
  if (row >= params.rows) { return; }
  let base = row * params.vocab;
  var rowMax = -3.0e38;
  for (var j = 0u; j < params.vocab; j++) { rowMax = max(rowMax, logits[base + j]); }
  var total = 0.0;
  for (var j = 0u; j < params.vocab; j++) { total += exp(logits[base + j] - rowMax); }
  writeLoss(row, log(total) + rowMax);
}

@compute @workgroup_size(kRowsPerWorkgroup)
fn backwardRow(@builtin(global_invocation_id) id: vec3u) {
  let row = id.x;
  if (row >= params.rows) { return; }
  let base = row * params.vocab;
  let g = rowGrad(row);
  for (var j = 0u; j < params.vocab; j++) { writeGrad(base, j, g); }
}
