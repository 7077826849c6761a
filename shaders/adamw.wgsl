// adamw.wgsl — one AdamW step over a parameter buffer, as torch.optim.AdamW computes it:
// unless the step guard (step_guard.wgsl) recorded a non-finite step: then nothing changes.
//   g ← gradScale · grad                    (gradScale < 1 when clipping by global norm)
//   p ← p − lr · weightDecay · p            (decoupled weight decay)
//   m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
//   p ← p − lr · (m / c1) / (√(v / c2) + ε)     with c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ from the host

struct Params {
  n: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
  biasCorrection1: f32,  // 1 − β1ᵗ
  biasCorrection2: f32,  // 1 − β2ᵗ
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;            // (n)
@group(0) @binding(2) var<storage, read_write> param: array<f32>;     // (n)
@group(0) @binding(3) var<storage, read_write> moment1: array<f32>;   // (n)
@group(0) @binding(4) var<storage, read_write> moment2: array<f32>;   // (n)
@group(0) @binding(5) var<storage, read> guard: array<u32>;           // [0] badStep (0: update), [1] gradScale (f32 bits)

override kWorkgroupSize: u32 = 256;

@compute @workgroup_size(kWorkgroupSize)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  if (guard[0] != 0u) { return; }
  let gradScale = bitcast<f32>(guard[1]);
  for (var i = id.x; i < params.n; i += groups.x * kWorkgroupSize) {
    let g = gradScale * grad[i];
    var p = param[i] * (1.0 - params.lr * params.weightDecay);
    let m = params.beta1 * moment1[i] + (1.0 - params.beta1) * g;
    let v = params.beta2 * moment2[i] + (1.0 - params.beta2) * g * g;
    p -= params.lr * (m / params.biasCorrection1) / (sqrt(v / params.biasCorrection2) + params.eps);
    moment1[i] = m;
    moment2[i] = v;
    param[i] = p;
  }
}
