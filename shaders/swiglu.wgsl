// swiglu.wgsl — Llama's MLP gate: h = silu(g) · u, with silu(g) = g·σ(g); and its backward:
//   dg = dh · u · σ(g)·(1 + g·(1 − σ(g)))      du = dh · silu(g)
// g, u, h, dh, dg, du are all (n) elementwise.

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read> up: array<f32>;
@group(0) @binding(3) var<storage, read> dh: array<f32>;              // backward only
@group(0) @binding(4) var<storage, read_write> out: array<f32>;       // h, or dg
@group(0) @binding(5) var<storage, read_write> outUp: array<f32>;     // du (backward)

override kWorkgroupSize: u32 = 256;

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

@compute @workgroup_size(kWorkgroupSize)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = id.x; i < params.n; i += groups.x * kWorkgroupSize) {
    let g = gate[i];
    out[i] = g * sigmoid(g) * up[i];
  }
}

@compute @workgroup_size(kWorkgroupSize)
fn backward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = id.x; i < params.n; i += groups.x * kWorkgroupSize) {
    let g = gate[i];
    let s = sigmoid(g);
    out[i] = dh[i] * up[i] * s * (1.0 + g * (1.0 - s));
    outUp[i] = dh[i] * g * s;
  }
}
