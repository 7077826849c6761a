// matmul.wgsl — C = alpha · op(A) · op(B) + beta · C, f32, row-major, any (ragged) M, N, K.
//
// op(A) is (M, K) and op(B) is (K, N); the flags say how A and B are stored:
//   Y  = X · Wᵀ   A = X  (M, K)   B = W (N, K)   kTransB
//   dX = dY · W   A = dY (M, K)   B = W (K, N)
//   dW = dYᵀ · X  A = dY (K, M)   B = X (K, N)   kTransA
//
// Each workgroup computes a (4·kWgY) × (4·kWgX) tile of C, stepping through K in slices of
// kTileK staged in workgroup memory; each invocation keeps a 4×4 block of C in registers.
// Skinny outputs (the LoRA rank r as M or N) use a narrow workgroup so no lanes idle.
// This is the general path; matmul_vec4.wgsl is faster when the shapes are multiples of 4.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  alpha: f32,
  beta: f32,  // 0 overwrites C (C is never read), otherwise C is scaled and accumulated
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

override kWgX: u32 = 16;        // invocations along N
override kWgY: u32 = 16;        // invocations along M
override kTileK: u32 = 16;      // K-slice staged per step
override kTransA: bool = false;
override kTransB: bool = false;
override kTileM: u32 = kWgY * 4u;
override kTileN: u32 = kWgX * 4u;

var<workgroup> tileA: array<f32, kTileM * kTileK>;  // (kTileM, kTileK)
var<workgroup> tileB: array<f32, kTileK * kTileN>;  // (kTileK, kTileN)

// Element (row, col) of op(A), zero outside the matrix.
fn loadA(row: u32, col: u32) -> f32 {
  if (row >= params.m || col >= params.k) { return 0.0; }
  if (kTransA) { return a[col * params.m + row]; }
  return a[row * params.k + col];
}

// Element (row, col) of op(B), zero outside the matrix.
fn loadB(row: u32, col: u32) -> f32 {
  if (row >= params.k || col >= params.n) { return 0.0; }
  if (kTransB) { return b[col * params.k + row]; }
  return b[row * params.n + col];
}

@compute @workgroup_size(kWgX, kWgY)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) flat: u32) {
  let row0 = wg.y * kTileM;
  let col0 = wg.x * kTileN;
  let threads = kWgX * kWgY;
  var acc: array<vec4f, 4>;

  for (var k0 = 0u; k0 < params.k; k0 += kTileK) {
    for (var i = flat; i < kTileM * kTileK; i += threads) {
      tileA[i] = loadA(row0 + i / kTileK, k0 + i % kTileK);
    }
    for (var i = flat; i < kTileK * kTileN; i += threads) {
      tileB[i] = loadB(k0 + i / kTileN, col0 + i % kTileN);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < kTileK; kk++) {
      let bBase = kk * kTileN + lid.x * 4u;
      let bRow = vec4f(tileB[bBase], tileB[bBase + 1u], tileB[bBase + 2u], tileB[bBase + 3u]);
      for (var r = 0u; r < 4u; r++) {
        acc[r] = fma(vec4f(tileA[(lid.y * 4u + r) * kTileK + kk]), bRow, acc[r]);
      }
    }
    workgroupBarrier();
  }

  for (var r = 0u; r < 4u; r++) {
    let row = row0 + lid.y * 4u + r;
    if (row >= params.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x * 4u + j;
      if (col >= params.n) { break; }
      let index = row * params.n + col;
      var value = params.alpha * acc[r][j];
      if (params.beta != 0.0) { value += params.beta * c[index]; }
      c[index] = value;
    }
  }
}

