// WGSL of the shared-input low-rank kernels (src/gpu/kernels/lora-group.ts), for a group of 2 or 3
// LoRA layers that read the same X (q/k/v; gate/up):
//   hidden   H_i = X·A_iᵀ   (N, r_i) for every member i, one dispatch instead of one per member
//   grad_a   dA_i = dH_iᵀ·X (r_i, in)
// Workgroup y picks the member. WGSL cannot index bindings, so each member count gets its own
// module with that many bindings and one function per member.

export function loraGroupWgsl(members: 2 | 3): string {
  const ids = Array.from({ length: members }, (_, i) => i);
  const inputs = ids.map((i) => `@group(0) @binding(${2 + i}) var<storage, read> in${i}: array<f32>;`).join('\n');
  const outputs = ids.map((i) => `@group(0) @binding(${2 + members + i}) var<storage, read_write> out${i}: array<f32>;`).join('\n');
  const cases = (body: (i: number) => string) => ids.map((i) => (i === members - 1 ? `    default: { ${body(i)} }` : `    case ${i}u: { ${body(i)} }`)).join('\n');
  return /* wgsl */ `
struct Params {
  tokens: u32, // N
  in_dim: u32, // in
  r0: u32,
  r1: u32,
  r2: u32, // 0 in a group of 2
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>; // X (N, in), shared by the members
// hidden: in_i = A_i (r_i, in), out_i = H_i (N, r_i); grad_a: in_i = dH_i (N, r_i), out_i = dA_i (r_i, in)
${inputs}
${outputs}

const WG: u32 = 64u;

// Each member's loop reads its own buffers (no switch per element): the branch on the member is
// taken once per invocation and is the same for the whole workgroup. An invocation computes a
// 4×4 block of its member's output: four loads of each operand feed sixteen multiply-adds.
// Loads past the edge are clamped to the last row or column; those lanes are not stored.
${ids.map((i) => `
// H_${i}[n, j] = Σ_k X[n, k]·A_${i}[j, k], rows n0..n0+3, columns j0..j0+3
fn hidden_${i}(idx: u32) {
  let r = params.r${i};
  let d = params.in_dim;
  let jb = (r + 3u) / 4u;
  if (idx >= ((params.tokens + 3u) / 4u) * jb) { return; }
  let n0 = (idx / jb) * 4u;
  let j0 = (idx % jb) * 4u;
  let xr = vec4u(min(n0, params.tokens - 1u), min(n0 + 1u, params.tokens - 1u), min(n0 + 2u, params.tokens - 1u), min(n0 + 3u, params.tokens - 1u)) * d;
  let ar = vec4u(min(j0, r - 1u), min(j0 + 1u, r - 1u), min(j0 + 2u, r - 1u), min(j0 + 3u, r - 1u)) * d;
  var acc: array<vec4f, 4>; // acc[row][column]
  for (var k = 0u; k < d; k++) {
    let a = vec4f(in${i}[ar.x + k], in${i}[ar.y + k], in${i}[ar.z + k], in${i}[ar.w + k]);
    acc[0] = fma(vec4f(x[xr.x + k]), a, acc[0]);
    acc[1] = fma(vec4f(x[xr.y + k]), a, acc[1]);
    acc[2] = fma(vec4f(x[xr.z + k]), a, acc[2]);
    acc[3] = fma(vec4f(x[xr.w + k]), a, acc[3]);
  }
  for (var u = 0u; u < 4u; u++) {
    for (var v = 0u; v < 4u; v++) {
      if (n0 + u < params.tokens && j0 + v < r) { out${i}[(n0 + u) * r + j0 + v] = acc[u][v]; }
    }
  }
}

// dA_${i}[j, k] = Σ_n dH_${i}[n, j]·X[n, k], rows j0..j0+3, columns k0..k0+3
fn grad_a_${i}(idx: u32) {
  let r = params.r${i};
  let d = params.in_dim;
  let kb = (d + 3u) / 4u;
  if (idx >= ((r + 3u) / 4u) * kb) { return; }
  let j0 = (idx / kb) * 4u;
  let k0 = (idx % kb) * 4u;
  let hc = vec4u(min(j0, r - 1u), min(j0 + 1u, r - 1u), min(j0 + 2u, r - 1u), min(j0 + 3u, r - 1u));
  let xc = vec4u(min(k0, d - 1u), min(k0 + 1u, d - 1u), min(k0 + 2u, d - 1u), min(k0 + 3u, d - 1u));
  var acc: array<vec4f, 4>; // acc[row][column]
  for (var n = 0u; n < params.tokens; n++) {
    let xv = vec4f(x[n * d + xc.x], x[n * d + xc.y], x[n * d + xc.z], x[n * d + xc.w]);
    acc[0] = fma(vec4f(in${i}[n * r + hc.x]), xv, acc[0]);
    acc[1] = fma(vec4f(in${i}[n * r + hc.y]), xv, acc[1]);
    acc[2] = fma(vec4f(in${i}[n * r + hc.z]), xv, acc[2]);
    acc[3] = fma(vec4f(in${i}[n * r + hc.w]), xv, acc[3]);
  }
  for (var u = 0u; u < 4u; u++) {
    for (var v = 0u; v < 4u; v++) {
      if (j0 + u < r && k0 + v < d) { out${i}[(j0 + u) * d + k0 + v] = acc[u][v]; }
    }
  }
}`).join('\n')}

// One 4×4 block per invocation, workgroup y picks the member. No shared memory and no barriers:
// the outputs are few (N·r, r·in) and each is a long dot product.
@compute @workgroup_size(64)
fn hidden(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let idx = wg.x * WG + lid.x;
  switch wg.y {
${cases((i) => `hidden_${i}(idx);`)}
  }
}

@compute @workgroup_size(64)
fn grad_a(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let idx = wg.x * WG + lid.x;
  switch wg.y {
${cases((i) => `grad_a_${i}(idx);`)}
  }
}
`;
}
