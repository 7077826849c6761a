// keep_finite.wgsl — after the step guard, before the optimizer: copies a parameter into its
// "last finite" buffer unless the guard holds a non-finite step. The copy made at step t holds the
// parameters that step t's finite loss came from; when step b is the first non-finite one, no copy
// is made from b on, so the buffer keeps the parameters of step b − 1 — the last whose loss and
// gradients were finite — and the host restores them.

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> guard: array<u32>;          // [0] badStep (0: all finite so far)
@group(0) @binding(2) var<storage, read> param: array<f32>;          // (n)
@group(0) @binding(3) var<storage, read_write> lastFinite: array<f32>; // (n)

override kWorkgroupSize: u32 = 256;

@compute @workgroup_size(kWorkgroupSize)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  if (guard[0] != 0u) { return; }
  for (var i = id.x; i < params.n; i += groups.x * kWorkgroupSize) {
    lastFinite[i] = param[i];
  }
}
