// reduce.wgsl — sum of squares of a buffer (for gradient norms), or its plain sum
// (kSquare = false: a mean loss), in one or two passes:
//   sumSquaresPartial: each workgroup reduces a grid-strided share to result[outIndex + workgroup]
//   sumPartials:       one workgroup adds the partials into out[params.outIndex]
// A short buffer takes one workgroup, whose partial is the result itself (no second pass);
// several norms can share one out buffer.
//
// 64 invocations a workgroup and few workgroups (reduce.ts): each barrier makes every invocation
// of a workgroup wait, and on a CPU Vulkan driver (SwiftShader) a 256-wide tree of 8 barriers
// cost ~0.4 ms per workgroup — a 16 k-element norm took 24 ms in 64 workgroups, 0.3 ms in 4 of 64.

struct Params {
  n: u32,          // elements of x (pass 1) or of partials (pass 2)
  outIndex: u32,   // where the result (or pass 1's first partial) goes
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> result: array<f32>;

override kSquare: bool = true;
const kWorkgroupSize = 64u;
var<workgroup> scratch: array<f32, kWorkgroupSize>;

// Tree reduction of scratch; every invocation must call it.
fn reduceScratch(lid: u32) -> f32 {
  for (var width = kWorkgroupSize / 2u; width > 0u; width /= 2u) {
    if (lid < width) { scratch[lid] += scratch[lid + width]; }
    workgroupBarrier();
  }
  return scratch[0];
}

@compute @workgroup_size(kWorkgroupSize)
fn sumSquaresPartial(@builtin(global_invocation_id) id: vec3u, @builtin(local_invocation_index) lid: u32,
                     @builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u) {
  var sum = 0.0;
  for (var i = id.x; i < params.n; i += groups.x * kWorkgroupSize) {
    sum = fma(values[i], select(1.0, values[i], kSquare), sum);
  }
  scratch[lid] = sum;
  workgroupBarrier();
  let total = reduceScratch(lid);
  if (lid == 0u) { result[params.outIndex + wg.x] = total; }
}

@compute @workgroup_size(kWorkgroupSize)
fn sumPartials(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < params.n; i += kWorkgroupSize) {
    sum += values[i];
  }
  scratch[lid] = sum;
  workgroupBarrier();
  let total = reduceScratch(lid);
  if (lid == 0u) { result[params.outIndex] = total; }
}
