// step_guard.wgsl — after a step's backward pass and gradient norms, before its optimizer update:
// records the step's raw loss and per-parameter ‖grad‖² in a ring of metric slots (read back
// once every few steps, not every step), and decides on the GPU what the update may do:
//   finite    = the loss and every ‖grad‖² are finite
//   badStep   = the first step that was not finite (sticky: 0 until then, then never changes)
//   gradScale = 0 once badStep is set (the optimizers skip the update entirely),
//               else min(1, maxGradNorm / ‖g‖) with ‖g‖ = √Σ‖gᵢ‖² (maxGradNorm ≤ 0: no clipping)
// So a non-finite step changes no parameter and no optimizer state, and neither does any step
// after it until the host reads badStep and clears it.
//
// metrics layout, in 32-bit words: [0] badStep (u32), [1] gradScale (f32), [2..3] unused,
// [4 .. 4+window) raw loss per slot, then window × nParams squared norms, slot-major.

struct Params {
  nParams: u32,
  step: u32,       // 1-based number of this step
  slot: u32,       // ring slot of this step, < window
  window: u32,     // slots in the ring
  maxGradNorm: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> squares: array<f32>;       // (nParams) ‖grad_i‖² of this step
@group(0) @binding(2) var<storage, read> loss: array<f32>;          // [0]: this step's raw loss sum
@group(0) @binding(3) var<storage, read_write> metrics: array<u32>; // see the layout above

const kLossesAt = 4u;

// NaN and ±Inf are exactly the values whose exponent bits are all ones.
fn isFinite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(1)
fn main() {
  let rawLoss = loss[0];
  metrics[kLossesAt + params.slot] = bitcast<u32>(rawLoss);
  var finite = isFinite(rawLoss);
  var largest = 0.0;
  for (var i = 0u; i < params.nParams; i++) {
    let s = squares[i];
    metrics[kLossesAt + params.window + params.slot * params.nParams + i] = bitcast<u32>(s);
    finite = finite && isFinite(s);
    if (finite) { largest = max(largest, s); }
  }
  // ‖g‖² = largest · Σ (sᵢ / largest): no overflow when the sum of finite squares passes f32's range.
  var relative = 0.0;
  if (finite && largest > 0.0) {
    for (var i = 0u; i < params.nParams; i++) { relative += squares[i] / largest; }
  }
  let norm = sqrt(largest) * sqrt(relative);
  if (metrics[0] == 0u && !finite) { metrics[0] = params.step; }
  var scale = 1.0;
  if (metrics[0] != 0u) {
    scale = 0.0;
  } else if (params.maxGradNorm > 0.0 && norm > params.maxGradNorm) {
    scale = params.maxGradNorm / norm;
  }
  metrics[1] = bitcast<u32>(scale);
}
