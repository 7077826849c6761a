// elementwise.wgsl — y ← a·x + b·y over n elements (axpby). With b = 0, y is overwritten and
// never read; with a = 0 and b = 0 it is a fill with zeros. Grid-strided so any n fits.

struct Params {
  n: u32,
  a: f32,
  b: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (n)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;   // (n)

override kWorkgroupSize: u32 = 256;

@compute @workgroup_size(kWorkgroupSize)
fn axpby(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let stride = groups.x * kWorkgroupSize;
  for (var i = id.x; i < params.n; i += stride) {
    var value = params.a * x[i];
    if (params.b != 0.0) { value = fma(params.b, y[i], value); }
    y[i] = value;
  }
}

// Inverted dropout with a mask recomputed from (index, seed), so the backward pass needs no
// stored mask: y ← [accumulate ? y : 0] + keep(i)·x / (1 − p), keep(i) = mix32(i ^ mix32(seed)) ≥ p·2³².
// (The same function is the forward on X and the backward on dX.)
struct DropoutParams {
  n: u32,
  seed: u32,
  threshold: u32,   // p · 2³², as an integer
  scale: f32,       // 1 / (1 − p)
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> dropoutParams: DropoutParams;

@compute @workgroup_size(kWorkgroupSize)
fn dropout(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = dropoutParams;
  for (var i = id.x; i < p.n; i += groups.x * kWorkgroupSize) {
    let keep = mix32(i ^ mix32(p.seed)) >= p.threshold;  // mix32: mix32.wgsl
    var value = select(0.0, x[i] * p.scale, keep);
    if (p.accumulate != 0u) { value += y[i]; }
    y[i] = value;
  }
}
