// matmul_vec4.wgsl — C = alpha · op(A) · op(B) + beta · C, as matmul.wgsl, for shapes whose
// contiguous dimensions are multiples of 4, so A and B are read as vec4 (one bounds-checked
// load for four values: about 2.5× faster than scalar loads on SwiftShader). One entry point
// per layout; each invocation computes a 4×4 block of C in registers:
//   nt: Y  = X·Wᵀ   A (M, K),  B (N, K)   needs K % 4 == 0
//   nn: dX = dY·W   A (M, K),  B (K, N)   needs K % 4 == 0 and N % 4 == 0
//   tn: dW = dYᵀ·X  A (K, M),  B (K, N)   needs M % 4 == 0 and N % 4 == 0
//   ntLowRank: Y = X·Wᵀ + s·H·Bᵀ, nt plus a rank-r term in the same pass (LoRA's unmerged
//              forward in one dispatch): H (M, r), B (N, r), needs K % 4 == 0 and r % 4 == 0
//   nnLowRank: dX = dY·W + s·dH·A, nn plus a rank-r term (LoRA's dX in one dispatch):
//              dH (M, r), A (r, N), needs K, N and r % 4 == 0
// Rows (and nt's columns) past the edge are clamped to the last one: computed, never written.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  alpha: f32,
  beta: f32,  // 0 overwrites C (C is never read)
  r: u32,              // ntLowRank only: the rank of the added term
  lowRankScale: f32,   // ntLowRank only: s
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;  // (M, N)
@group(0) @binding(4) var<storage, read> lowA: array<vec4f>;   // H (M, r) or dH (M, r)
@group(0) @binding(5) var<storage, read> lowB: array<vec4f>;   // ntLowRank: B (N, r); nnLowRank: A (r, N)

override kWgX: u32 = 8;  // invocations along N (4 columns each)
override kWgY: u32 = 8;  // invocations along M (4 rows each)

fn store(row0: u32, col0: u32, acc: array<vec4f, 4>) {
  for (var r = 0u; r < 4u; r++) {
    let row = row0 + r;
    if (row >= params.m) { return; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col >= params.n) { break; }
      let index = row * params.n + col;
      var value = acc[r][j];  // alpha is applied by the caller
      if (params.beta != 0.0) { value = fma(params.beta, c[index], value); }
      c[index] = value;
    }
  }
}

// ntLowRank repeats nt's loop instead of sharing a function that returns the block, so that nt
// stays the kernel the bench measured (a returned array may be compiled through memory).
@compute @workgroup_size(kWgX, kWgY)
fn nt(@builtin(global_invocation_id) id: vec3u) {
  let row0 = id.y * 4u;
  let col0 = id.x * 4u;
  if (row0 >= params.m || col0 >= params.n) { return; }
  let kq = params.k / 4u;
  var aRow: array<u32, 4>;  // vec4 offset of each row of A
  var bRow: array<u32, 4>;  // vec4 offset of each row of B (= column of C)
  for (var i = 0u; i < 4u; i++) {
    aRow[i] = min(row0 + i, params.m - 1u) * kq;
    bRow[i] = min(col0 + i, params.n - 1u) * kq;
  }
  var acc: array<vec4f, 4>;
  for (var q = 0u; q < kq; q++) {
    let b0 = b[bRow[0] + q];
    let b1 = b[bRow[1] + q];
    let b2 = b[bRow[2] + q];
    let b3 = b[bRow[3] + q];
    for (var r = 0u; r < 4u; r++) {
      let av = a[aRow[r] + q];
      acc[r] += vec4f(dot(av, b0), dot(av, b1), dot(av, b2), dot(av, b3));
    }
  }
  for (var r = 0u; r < 4u; r++) { acc[r] *= params.alpha; }
  store(row0, col0, acc);
}

@compute @workgroup_size(kWgX, kWgY)
fn ntLowRank(@builtin(global_invocation_id) id: vec3u) {
  let row0 = id.y * 4u;
  let col0 = id.x * 4u;
  if (row0 >= params.m || col0 >= params.n) { return; }
  let kq = params.k / 4u;
  var aRow: array<u32, 4>;
  var wRow: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) {
    aRow[i] = min(row0 + i, params.m - 1u) * kq;
    wRow[i] = min(col0 + i, params.n - 1u) * kq;
  }
  var acc: array<vec4f, 4>;
  for (var q = 0u; q < kq; q++) {
    let b0 = b[wRow[0] + q];
    let b1 = b[wRow[1] + q];
    let b2 = b[wRow[2] + q];
    let b3 = b[wRow[3] + q];
    for (var r = 0u; r < 4u; r++) {
      let av = a[aRow[r] + q];
      acc[r] += vec4f(dot(av, b0), dot(av, b1), dot(av, b2), dot(av, b3));
    }
  }
  let rq = params.r / 4u;
  var hRow: array<u32, 4>;
  var bRow: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) {
    hRow[i] = min(row0 + i, params.m - 1u) * rq;
    bRow[i] = min(col0 + i, params.n - 1u) * rq;
  }
  var low: array<vec4f, 4>;
  for (var q = 0u; q < rq; q++) {
    let b0 = lowB[bRow[0] + q];
    let b1 = lowB[bRow[1] + q];
    let b2 = lowB[bRow[2] + q];
    let b3 = lowB[bRow[3] + q];
    for (var r = 0u; r < 4u; r++) {
      let hv = lowA[hRow[r] + q];
      low[r] += vec4f(dot(hv, b0), dot(hv, b1), dot(hv, b2), dot(hv, b3));
    }
  }
  for (var r = 0u; r < 4u; r++) { acc[r] = params.alpha * acc[r] + params.lowRankScale * low[r]; }
  store(row0, col0, acc);
}

@compute @workgroup_size(kWgX, kWgY)
fn nn(@builtin(global_invocation_id) id: vec3u) {
  let row0 = id.y * 4u;
  if (row0 >= params.m || id.x * 4u >= params.n) { return; }
  let kq = params.k / 4u;
  let nq = params.n / 4u;
  var aRow: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) { aRow[i] = min(row0 + i, params.m - 1u) * kq; }
  var acc: array<vec4f, 4>;
  for (var q = 0u; q < kq; q++) {
    let k0 = q * 4u;
    let b0 = b[k0 * nq + id.x];
    let b1 = b[(k0 + 1u) * nq + id.x];
    let b2 = b[(k0 + 2u) * nq + id.x];
    let b3 = b[(k0 + 3u) * nq + id.x];
    for (var r = 0u; r < 4u; r++) {
      let av = a[aRow[r] + q];
      acc[r] += av.x * b0 + av.y * b1 + av.z * b2 + av.w * b3;
    }
  }
  for (var r = 0u; r < 4u; r++) { acc[r] *= params.alpha; }
  store(row0, id.x * 4u, acc);
}

@compute @workgroup_size(kWgX, kWgY)
fn nnLowRank(@builtin(global_invocation_id) id: vec3u) {
  let row0 = id.y * 4u;
  if (row0 >= params.m || id.x * 4u >= params.n) { return; }
  let kq = params.k / 4u;
  let nq = params.n / 4u;
  var aRow: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) { aRow[i] = min(row0 + i, params.m - 1u) * kq; }
  var acc: array<vec4f, 4>;
  for (var q = 0u; q < kq; q++) {
    let k0 = q * 4u;
    let b0 = b[k0 * nq + id.x];
    let b1 = b[(k0 + 1u) * nq + id.x];
    let b2 = b[(k0 + 2u) * nq + id.x];
    let b3 = b[(k0 + 3u) * nq + id.x];
    for (var r = 0u; r < 4u; r++) {
      let av = a[aRow[r] + q];
      acc[r] += av.x * b0 + av.y * b1 + av.z * b2 + av.w * b3;
    }
  }
  let rq = params.r / 4u;
  var hRow: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) { hRow[i] = min(row0 + i, params.m - 1u) * rq; }
  var low: array<vec4f, 4>;
  for (var q = 0u; q < rq; q++) {
    let k0 = q * 4u;
    let b0 = lowB[k0 * nq + id.x];
    let b1 = lowB[(k0 + 1u) * nq + id.x];
    let b2 = lowB[(k0 + 2u) * nq + id.x];
    let b3 = lowB[(k0 + 3u) * nq + id.x];
    for (var r = 0u; r < 4u; r++) {
      let hv = lowA[hRow[r] + q];
      low[r] += hv.x * b0 + hv.y * b1 + hv.z * b2 + hv.w * b3;
    }
  }
  for (var r = 0u; r < 4u; r++) { acc[r] = params.alpha * acc[r] + params.lowRankScale * low[r]; }
  store(row0, id.x * 4u, acc);
}

@compute @workgroup_size(kWgX, kWgY)
fn tn(@builtin(global_invocation_id) id: vec3u) {
  if (id.y * 4u >= params.m || id.x * 4u >= params.n) { return; }
  let mq = params.m / 4u;
  let nq = params.n / 4u;
  var acc: array<vec4f, 4>;
  for (var p = 0u; p < params.k; p++) {
    let aCol = a[p * mq + id.y];  // op(A)[row0..row0+3, p]
    let bRow = b[p * nq + id.x];  // op(B)[p, col0..col0+3]
    acc[0] += aCol.x * bRow;
    acc[1] += aCol.y * bRow;
    acc[2] += aCol.z * bRow;
    acc[3] += aCol.w * bRow;
  }
  for (var r = 0u; r < 4u; r++) { acc[r] *= params.alpha; }
  store(id.y * 4u, id.x * 4u, acc);
}
