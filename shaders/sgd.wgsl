// sgd.wgsl — one step of plain SGD over a parameter buffer, as torch.optim.SGD computes it with
// momentum 0 (no optimizer state), unless the step guard (step_guard.wgsl) recorded a non-finite
// step: then nothing changes.
//   g ← gradScale · grad + weightDecay · p    (gradScale < 1 when clipping; L2 weight decay, as torch)
//   p ← p − lr · g
// Unlike AdamW, whose step is about lr whatever the gradient, SGD's step grows with the gradient:
// this is the optimizer that shows a learning rate diverging.

struct Params {
  n: u32,
  lr: f32,
  weightDecay: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;         // (n)
@group(0) @binding(2) var<storage, read_write> param: array<f32>;  // (n)
@group(0) @binding(3) var<storage, read> guard: array<u32>;        // [0] badStep (0: update), [1] gradScale (f32 bits)

override kWorkgroupSize: u32 = 256;

@compute @workgroup_size(kWorkgroupSize)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  if (guard[0] != 0u) { return; }
  let gradScale = bitcast<f32>(guard[1]);
  for (var i = id.x; i < params.n; i += groups.x * kWorkgroupSize) {
    let p = param[i];
    let g = gradScale * grad[i] + params.weightDecay * p;
    param[i] = p - params.lr * g;
  }
}
