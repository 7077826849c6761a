// bias.wgsl — a linear layer's bias (Qwen2's q/k/v projections), kept apart from the matmul:
//   add   y[r, j] += b[j]            forward, after Y = X·Wᵀ; grid-strided over rows·cols
//   grad  db[j] = Σ_r dy[r, j]       backward: the column sums of dY, one invocation per column
// y and dy are (rows, cols), b and db are (cols). grad overwrites db (one bias per buffer).

struct Params {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> operand: array<f32>;        // add: b (cols); grad: dy (rows, cols)
@group(0) @binding(2) var<storage, read_write> result: array<f32>;   // add: y (rows, cols); grad: db (cols)

override kWorkgroupSize: u32 = 256;

@compute @workgroup_size(kWorkgroupSize)
fn add(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let n = params.rows * params.cols;
  for (var i = id.x; i < n; i += groups.x * kWorkgroupSize) {
    result[i] += operand[i % params.cols];
  }
}

@compute @workgroup_size(kWorkgroupSize)
fn grad(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var j = id.x; j < params.cols; j += groups.x * kWorkgroupSize) {
    var sum = 0.0;
    for (var r = 0u; r < params.rows; r++) { sum += operand[r * params.cols + j]; }
    result[j] = sum;
  }
}
