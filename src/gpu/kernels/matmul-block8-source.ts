// WGSL source of the block-8 matmul (family 'matmulBlock8'), written out by this generator because
// WGSL has neither templates nor loop unrolling. C = alpha · op(A) · op(B) + beta · C, any shape
// (no alignment needed):
//   nn: dX = dY·W   A (M, K),  B (K, N)
//   tn: dW = dYᵀ·X  A (K, M),  B (K, N)
//   nt: Y  = X·Wᵀ   A (M, K),  B (N, K), through workgroup memory (see ntEntryPoint)
//   nnLowRank: dX = dY·W + s·dH·A, nn plus a rank-r term (LoRA's dX in one dispatch): dH (M, r), A (r, N)
// Each invocation computes an 8×8 block of C: 8 consecutive rows, and 8 columns strided by the
// workgroup's width (col0 + j·kWgX). Neighbouring invocations therefore read neighbouring floats
// of B (one vector load on SwiftShader's 4-wide lanes, a coalesced load on a GPU) and the same
// float of A (one broadcast), and every value loaded is used 8 times. The 64 accumulators are 16
// named vec4s and k is unrolled by 4: on SwiftShader an array indexed in a loop, or a block passed
// through a pointer, stays in memory and runs 2–3× slower (measured while writing this).
// Rows and columns past the edge are clamped to the last one: computed, never written.

const ROWS = [0, 1, 2, 3, 4, 5, 6, 7];

/**
 * One step of k: acc[i] += op(A)[row i, p] · op(B)[p, block's columns], for the 8 rows. op(B)'s
 * row p starts at `rowStart(p)` in `bName`; `col(j)` is the block's column j within that row.
 */
function kStep(p: string, aAt: (row: number, p: string) => string, bName = 'b', bScale = '', rowStart = (q: string) => `(${q}) * n`, col = (j: number) => `c${j}`, packed = false): string {
  const load = (index: string) => (packed && bName === 'b' ? `bAt(${index})` : `${bName}[${index}]`);
  const cols = (h: number) => [0, 1, 2, 3].map((j) => load(`o + ${col(4 * h + j)}`)).join(', ');
  const lines = [
    `    { let o = ${rowStart(p)};`,
    `      let bLo = ${bScale}vec4f(${cols(0)});`,
    `      let bHi = ${bScale}vec4f(${cols(1)});`,
  ];
  for (const i of ROWS) {
    lines.push(`      { let x = vec4f(${aAt(i, p)}); lo${i} = fma(x, bLo, lo${i}); hi${i} = fma(x, bHi, hi${i}); }`);
  }
  lines.push('    }');
  return lines.join('\n');
}

function entryPoint(name: string, layout: 'nn' | 'tn', lowRank: boolean, packed = false): string {
  // op(A)[row i, p]: nn reads row i of A (M, K) (aRow{i} = its offset), tn column i of A (K, M).
  const aAt = layout === 'nn' ? (i: number, p: string) => `a[aRow${i} + ${p}]` : (i: number, p: string) => `a[(${p}) * m + r${i}]`;
  const rowSetup = ROWS.map((i) =>
    layout === 'nn' ? `  let aRow${i} = min(row0 + ${i}u, m - 1u) * k;` : `  let r${i} = min(row0 + ${i}u, m - 1u);`,
  );
  const lowRankLoop = lowRank
    ? [
        '  // + s·dH·A: r more steps of the same outer product, from the low-rank pair.',
        '  let r = params.r;',
        ...ROWS.map((i) => `  let hRow${i} = min(row0 + ${i}u, m - 1u) * r;`),
        '  for (var q = 0u; q < r; q++) {',
        kStep('q', (i, q) => `lowA[hRow${i} + ${q}]`, 'lowB', 'params.lowRankScale * '),
        '  }',
      ]
    : [];
  return [
    '@compute @workgroup_size(kWgX, kWgY)',
    `fn ${name}(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {`,
    '  let m = params.m;',
    '  let n = params.n;',
    '  let k = params.k;',
    '  let row0 = (wid.y * kWgY + lid.y) * 8u;',
    '  let col0 = wid.x * kWgX * 8u + lid.x;',
    '  if (row0 >= m || col0 >= n) { return; }',
    ...ROWS.map((j) => `  let c${j} = min(col0 + ${j}u * kWgX, n - 1u);`),
    ...rowSetup,
    ...ROWS.map((i) => `  var lo${i} = vec4f(); var hi${i} = vec4f();`),
    '  var p = 0u;',
    '  for (; p + 4u <= k; p += 4u) {',
    ...[0, 1, 2, 3].map((u) => kStep(`p + ${u}u`, aAt, 'b', '', undefined, undefined, packed)),
    '  }',
    '  for (; p < k; p++) {',
    kStep('p', aAt, 'b', '', undefined, undefined, packed),
    '  }',
    ...ROWS.map((i) => `  lo${i} *= params.alpha; hi${i} *= params.alpha;`),
    ...lowRankLoop,
    ...ROWS.map((i) => `  storeRow(row0 + ${i}u, col0, lo${i}, hi${i});`),
    '}',
  ].join('\n');
}

/**
 * nt: Y = X·Wᵀ, A (M, K), B (N, K). B's rows are the block's columns, so neighbouring invocations
 * would read floats K apart. Each workgroup (8×8, fixed) first copies its 64 rows of B, kTileK
 * values of k at a time, into workgroup memory transposed (neighbouring invocations read
 * neighbouring k), then runs the same 8×8 blocks from there. The two barriers per tile cost more
 * than they save on small shapes, so the planner keeps this for large ones.
 */
function ntEntryPoint(packed = false): string {
  const fromTile = (p: string) => kStep(p, (i, q) => `a[aRow${i} + k0 + ${q}]`, 'tileB', '', (q) => `(${q}) * 64u + lid.x`, (j) => `${j * 8}u`);
  return [
    '@compute @workgroup_size(8, 8)',
    'fn nt(@builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u) {',
    '  let m = params.m;',
    '  let n = params.n;',
    '  let k = params.k;',
    '  let row0 = (wid.y * 8u + lid.y) * 8u;',
    '  let firstRowOfB = wid.x * 64u;',
    '  let col0 = firstRowOfB + lid.x;',
    '  // No early return: every invocation takes part in loading the tiles and in the barriers.',
    ...ROWS.map((i) => `  let aRow${i} = min(row0 + ${i}u, m - 1u) * k;`),
    ...ROWS.map((i) => `  var lo${i} = vec4f(); var hi${i} = vec4f();`),
    '  for (var k0 = 0u; k0 < k; k0 += kTileK) {',
    '    for (var t = li; t < kTileK * 64u; t += 64u) {',
    '      let row = t / kTileK;',
    '      let kk = t % kTileK;',
    `      tileB[kk * 64u + row] = ${packed ? 'bAt(' : 'b['}min(firstRowOfB + row, n - 1u) * k + min(k0 + kk, k - 1u)${packed ? ')' : ']'};`,
    '    }',
    '    workgroupBarrier();',
    '    let steps = min(kTileK, k - k0);',
    '    var p = 0u;',
    '    for (; p + 4u <= steps; p += 4u) {',
    ...[0, 1, 2, 3].map((u) => fromTile(`p + ${u}u`)),
    '    }',
    '    for (; p < steps; p++) {',
    fromTile('p'),
    '    }',
    '    workgroupBarrier();',
    '  }',
    ...ROWS.map((i) => `  lo${i} *= params.alpha; hi${i} *= params.alpha;`),
    ...ROWS.map((i) => `  storeRow(row0 + ${i}u, col0, lo${i}, hi${i});`),
    '}',
  ].join('\n');
}

/** The uniforms of the block-8 and quad matmuls: the same contract as shaders/matmul_vec4.wgsl. */
export const MATMUL_PARAMS_WGSL = `struct Params {
  m: u32,
  n: u32,
  k: u32,
  alpha: f32,
  beta: f32,  // 0 overwrites C (C is never read)
  r: u32,              // the fused (…LowRank) entry points only: the rank of the added term
  lowRankScale: f32,   // the fused entry points only: s
}`;

const header = (packed: boolean) => `
${MATMUL_PARAMS_WGSL}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;     // nn: (M, K); tn: (K, M)
${packed
    ? `@group(0) @binding(2) var<storage, read> b: array<u32>;     // packed 16-bit (packed_common.wgsl): (K, N); nt: (N, K)
fn bAt(e: u32) -> f32 { return halfToF32(halfOf(b[e >> 1u], e)); }`
    : '@group(0) @binding(2) var<storage, read> b: array<f32>;     // (K, N)'}
@group(0) @binding(3) var<storage, read_write> c: array<f32>;  // (M, N)
@group(0) @binding(4) var<storage, read> lowA: array<f32>;  // dH (M, r)
@group(0) @binding(5) var<storage, read> lowB: array<f32>;  // A (r, N)

override kWgX: u32 = 8;  // invocations along N (8 strided columns each); nt: 8
override kWgY: u32 = 8;  // invocations along M (8 rows each); nt: 8

const kTileK = 64u;  // nt: values of k per tile of B in workgroup memory
var<workgroup> tileB: array<f32, 4096>;  // nt: (kTileK, 64), the workgroup's 64 rows of B transposed

// Row \`row\` of the block: columns col0 + j·kWgX, j = 0..3 in lo and 4..7 in hi.
fn storeRow(row: u32, col0: u32, lo: vec4f, hi: vec4f) {
  if (row >= params.m) { return; }
  let values = array<f32, 8>(lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w);
  for (var j = 0u; j < 8u; j++) {
    let col = col0 + j * kWgX;
    if (col >= params.n) { return; }
    let index = row * params.n + col;
    var value = values[j];
    if (params.beta != 0.0) { value = fma(params.beta, c[index], value); }
    c[index] = value;
  }
}
`;

export const MATMUL_BLOCK8_WGSL = [
  `// matmul block-8: generated by src/gpu/kernels/matmul-block8-source.ts (see there for the layout).`,
  header(false),
  entryPoint('nn', 'nn', false),
  entryPoint('nnLowRank', 'nn', true),
  entryPoint('tn', 'tn', false),
  ntEntryPoint(),
  '',
].join('\n');

/**
 * The same nn and nt with B a packed frozen weight (BF16/F16, two per u32): each load of B widens
 * its value (bAt); prepend shaders/packed_common.wgsl. Every multiply-add stays f32.
 */
export const MATMUL_BLOCK8_PACKED_WGSL = [
  `// matmul block-8, packed B: generated by src/gpu/kernels/matmul-block8-source.ts (see there for the layout).`,
  header(true),
  entryPoint('nn', 'nn', false, true),
  ntEntryPoint(true),
  '',
].join('\n');

/** How many rows and columns of C one invocation computes. */
export const BLOCK8 = 8;
