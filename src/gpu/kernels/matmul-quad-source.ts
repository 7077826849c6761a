// WGSL source of the quad matmul (family 'matmulQuad'), for every layout but Aᵀ·Bᵀ, when the
// device has subgroups and its quads are four consecutive local invocations (gpu/quad-probe.ts).
// Two ways to share a block of C among a quad: the k-split below (every layout, with LoRA's fused
// rank-r term and packed weights), and the columns entry points nnColumns and tnColumns (large
// dY·W and dYᵀ·X; see columnsEntryPoint). The k-split's layouts:
//   nt:        C = alpha · A·Bᵀ + beta · C            A (M, K), B (N, K)   Y = X·Wᵀ
//   ntLowRank: C = alpha · A·Bᵀ + s·H·Lᵀ + beta · C   plus LoRA's rank-r term: H (M, r), L (N, r)
//   nn:        C = alpha · A·B + beta · C             A (M, K), B (K, N)   dX = dY·W
//   nnLowRank: C = alpha · A·B + s·H·L + beta · C     plus LoRA's rank-r term: H (M, r), L (r, N)
//   tn:        C = alpha · Aᵀ·B + beta · C            A (K, M), B (K, N)   dW = dYᵀ·X
// The four invocations of a quad split k between them: lane l takes k = l, l + 4, l + 8, … Each
// quad computes one 8×8 block of C; at every step a lane reads 8 values of op(A)'s column k and 8
// of op(B)'s row k for 64 multiply-adds. In nt the four lanes read neighbouring floats of a row of
// A and of B (contiguous along k); in nn and tn, four neighbouring rows of the operands stored
// (K, ·), each lane a run of 8 floats. At the end the lanes add their partial blocks with two quad
// swaps (no workgroup memory, no barrier), each keeping a quarter of the sums, and each lane writes
// two rows. Any shape (edges clamp, as in block-8; nnPairs alone reads a last block's words past
// column N unclamped, which WebGPU's robust access keeps inside the binding, into columns never written).
// The k-split replaced the vec4 kernel's 4×4 blocks, whose loads of B's rows were gathers; the
// block-8 nt's staging through workgroup memory needs two barriers per tile, which cost more than
// they save below 256 on a side (measured in Node/Dawn on SwiftShader: 512×176×64 took 11.7 ms in
// vec4, 25 ms in block-8, 5.7 ms here). For nn and tn it runs 5–20 % faster than block-8 from 64
// rows up (the same measurements: 64×576×1536 dY·W 48.6 against 53.3 ms; 1536×576×64 dYᵀ·X 55.5
// against 65.0 ms, medians on SwiftShader, whose run-to-run spread is about as large).

import { MATMUL_PARAMS_WGSL } from './matmul-block8-source.ts';

const ROWS = [0, 1, 2, 3, 4, 5, 6, 7];

/** Where a layout finds op(A)[row i, q] and op(B)[q, column j] (q: this step's k, in scope). */
interface Operands {
  aName: string;
  aAt: (i: number) => string;
  bName: string;
  bAt: (j: number) => string;
  /** Lines before the loads, once per step (q in scope). */
  prelude?: string;
  /**
   * A packed B whose block's 8 columns are 4 whole words (nn with N even: row q of B starts at an
   * even element and col0 is a multiple of 8): word t's index. Each word is loaded once for its two
   * values, where bAt would load it twice.
   */
  bWord?: (t: number) => string;
}

/** One value of k for this lane: acc[row i] += op(A)[i, q] · op(B)[q, block's 8 columns]. */
function kStep(q: string, o: Operands, scale = '', packed = false): string {
  const load = (index: string) => (packed && o.bName === 'b' ? `bAt(${index})` : `${o.bName}[${index}]`);
  const pairs = o.bWord;
  const cols = pairs
    ? (h: number) => [2 * h, 2 * h + 1].map((t) => `halfToF32(w${t} & 0xffffu), halfToF32(w${t} >> 16u)`).join(', ')
    : (h: number) => [0, 1, 2, 3].map((j) => load(o.bAt(4 * h + j))).join(', ');
  return [
    `    { let q = ${q};${o.prelude ? ` ${o.prelude}` : ''}`,
    ...(pairs ? [`      ${[0, 1, 2, 3].map((t) => `let w${t} = b[${pairs(t)}];`).join(' ')}`] : []),
    `      let bLo = ${scale}vec4f(${cols(0)});`,
    `      let bHi = ${scale}vec4f(${cols(1)});`,
    ...ROWS.map((i) => `      { let x = vec4f(${o.aName}[${o.aAt(i)}]); lo${i} = fma(x, bLo, lo${i}); hi${i} = fma(x, bHi, hi${i}); }`),
    '    }',
  ].join('\n');
}

/**
 * for (p = lane; p < count; p += 4). `unrolled`: two of this lane's steps per iteration first (the
 * base product); the rank-r term runs plain (unrolled, it cost twice as much on SwiftShader).
 */
function laneLoop(count: string, step: (q: string) => string, unrolled: boolean): string[] {
  const pairs = unrolled ? [`  for (; p + 4u < ${count}; p += 8u) {`, step('p'), step('p + 4u'), '  }'] : [];
  return ['  var p = lane;', ...pairs, `  for (; p < ${count}; p += 4u) {`, step('p'), '  }'];
}

/**
 * Adds the quad's four partial blocks. Round 1 pairs lanes across quadSwapX: the even lane keeps
 * rows 0–3 and the odd one rows 4–7, each sending the half it gives up; round 2 does the same
 * across quadSwapY with the kept rows' halves. Lane l ends with the full sums of rows
 * 4·(l & 1) + 2·(l >> 1) and the next one.
 */
function quadReduce(): string[] {
  const lines = ['  let odd = (lane & 1u) == 1u;'];
  for (const i of [0, 1, 2, 3]) {
    lines.push(`  let keepLo${i} = select(lo${i}, lo${i + 4}, odd) + quadSwapX(select(lo${i + 4}, lo${i}, odd));`);
    lines.push(`  let keepHi${i} = select(hi${i}, hi${i + 4}, odd) + quadSwapX(select(hi${i + 4}, hi${i}, odd));`);
  }
  lines.push('  let upper = (lane & 2u) == 2u;');
  for (const i of [0, 1]) {
    lines.push(`  let sumLo${i} = select(keepLo${i}, keepLo${i + 2}, upper) + quadSwapY(select(keepLo${i + 2}, keepLo${i}, upper));`);
    lines.push(`  let sumHi${i} = select(keepHi${i}, keepHi${i + 2}, upper) + quadSwapY(select(keepHi${i + 2}, keepHi${i}, upper));`);
  }
  lines.push('  let row = row0 + select(0u, 4u, odd) + select(0u, 2u, upper);');
  return lines;
}

export type QuadLayout = 'nt' | 'nn' | 'tn';

/**
 * The operands of each layout, from offsets set up once: aRow{i}/bRow{j} are row offsets of a
 * (·, K) operand (the lanes step along k within a row), aCol{i}/bCol{j} column indices of a (K, ·)
 * one (each step starts a new row of it: o = q · width).
 */
function operands(layout: QuadLayout, pairs = false): { setup: string[]; main: Operands } {
  const aRows = layout !== 'tn';
  const bRows = layout === 'nt';
  return {
    setup: [
      ...ROWS.map((i) => (aRows ? `  let aRow${i} = min(row0 + ${i}u, m - 1u) * k;` : `  let aCol${i} = min(row0 + ${i}u, m - 1u);`)),
      ...ROWS.map((j) => (bRows ? `  let bRow${j} = min(col0 + ${j}u, n - 1u) * k;` : `  let bCol${j} = min(col0 + ${j}u, n - 1u);`)),
      // Past the last column the words are read unclamped (robust access keeps them in the
      // buffer); those columns are computed, never written.
      ...(pairs ? ['  let word0 = col0 >> 1u;'] : []),
    ],
    main: {
      aName: 'a',
      aAt: aRows ? (i) => `aRow${i} + q` : (i) => `aQ + aCol${i}`,
      bName: 'b',
      bAt: bRows ? (j) => `bRow${j} + q` : (j) => `bQ + bCol${j}`,
      prelude: [aRows ? '' : 'let aQ = q * m;', bRows ? '' : 'let bQ = q * n;'].filter(Boolean).join(' ') || undefined,
      bWord: pairs ? (t) => `(bQ >> 1u) + word0 + ${t}u` : undefined,
    },
  };
}

/** + s·H·op(L): H (M, r); L (N, r) in nt, (r, N) in nn. The lanes split r as they split k. */
function lowRankTerm(layout: QuadLayout): string[] {
  const lRows = layout === 'nt';
  const low: Operands = {
    aName: 'lowA',
    aAt: (i) => `hRow${i} + q`,
    bName: 'lowB',
    bAt: lRows ? (j) => `lRow${j} + q` : (j) => `lQ + bCol${j}`,
    prelude: lRows ? undefined : 'let lQ = q * n;',
  };
  return [
    '  // + s·H·op(L): the rank-r pair, split across the lanes the same way.',
    '  let r = params.r;',
    ...ROWS.map((i) => `  let hRow${i} = min(row0 + ${i}u, m - 1u) * r;`),
    ...(lRows ? ROWS.map((j) => `  let lRow${j} = min(col0 + ${j}u, n - 1u) * r;`) : []),
    '  {',
    ...laneLoop('r', (q) => kStep(q, low, 'params.lowRankScale * '), false),
    '  }',
  ];
}

/**
 * nt with a packed B and K even: lane l takes k = 2l, 2l + 1, 2l + 8, 2l + 9, … so that both
 * values of a word of B's row (k and k + 1: rows start at even elements when K is even) are used by
 * the lane that loads it, where k = l, l + 4, … would load each word in two lanes.
 */
function ntPairsLoop(): string[] {
  const half = (t: number, high: boolean) => `halfToF32(w${t}${high ? ' >> 16u' : ' & 0xffffu'})`;
  const step = (high: boolean) => [
    `      let bLo = vec4f(${[0, 1, 2, 3].map((t) => half(t, high)).join(', ')});`,
    `      let bHi = vec4f(${[4, 5, 6, 7].map((t) => half(t, high)).join(', ')});`,
    ...ROWS.map((i) => `      { let x = vec4f(a[aRow${i} + q${high ? ' + 1u' : ''}]); lo${i} = fma(x, bLo, lo${i}); hi${i} = fma(x, bHi, hi${i}); }`),
  ];
  return [
    '  for (var q = 2u * lane; q < k; q += 8u) {',
    `    ${ROWS.map((j) => `let w${j} = b[(bRow${j} + q) >> 1u];`).join(' ')}`,
    '    {',
    ...step(false),
    '    }',
    '    {',
    ...step(true),
    '    }',
    '  }',
  ];
}

/** The opening of every entry point: the shape, this invocation's lane and quad, the quad's first row of C. */
function entryHeader(name: string): string[] {
  return [
    '@compute @workgroup_size(64)',
    `fn ${name}(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) sid: u32) {`,
    '  let m = params.m;',
    '  let n = params.n;',
    '  let k = params.k;',
    '  let lane = sid & 3u;',
    "  let quad = li >> 2u;  // the probe checked that a quad's four invocations share it",
    '  let row0 = (wid.y * kWgY + quad / kWgX) * 8u;',
  ];
}

function entryPoint(name: string, layout: QuadLayout, lowRank: boolean, packed = false, pairs = false): string {
  const { setup, main } = operands(layout, pairs && layout !== 'nt');
  return [
    ...entryHeader(name),
    '  let col0 = (wid.x * kWgX + quad % kWgX) * 8u;',
    '  // No early return: all four lanes of a quad take part in the swaps.',
    ...setup,
    ...ROWS.map((i) => `  var lo${i} = vec4f(); var hi${i} = vec4f();`),
    '  {',
    // nt unrolls two steps per iteration (measured faster); nn and tn measured slower unrolled.
    ...(pairs && layout === 'nt' ? ntPairsLoop() : laneLoop('k', (q) => kStep(q, main, '', packed), layout === 'nt')),
    '  }',
    ...ROWS.map((i) => `  lo${i} *= params.alpha; hi${i} *= params.alpha;`),
    ...(lowRank ? lowRankTerm(layout) : []),
    ...quadReduce(),
    '  storeRow(row, col0, sumLo0, sumHi0);',
    '  storeRow(row + 1u, col0, sumLo1, sumHi1);',
    '}',
  ].join('\n');
}

/**
 * nn and tn with the lanes splitting C's columns instead of k ("columns" entry points): lane l owns
 * columns c + l + 4j (j < cols; c the quad's first column) of the quad's 8 rows, so at each k the four lanes read four
 * neighbouring floats of B's row k, which SwiftShader loads as one vector where the k-split's
 * four rows were gathers. op(A)'s 8 values at k are the same for the whole quad: the lanes load
 * them side by side (tn: 2 loads of A's row k; nn: 8 loads covering 4 steps of k) and hand them
 * round with quadBroadcast. No partial sums to add at the end. Measured in Node/Dawn on SwiftShader,
 * interleaved with the k-split in one process (medians): tn 1.4–1.7× as fast from 64 rows up
 * (1024³ 571 against 876 ms, 1536×576×64 53 against 88 ms); nn with 4 columns a lane 1.2–1.4×
 * (1024³ 584 against 801 ms, 64×576×1536 34 against 45 ms, 16×576×8192 56 against 75 ms); with
 * the rank-r term 1.3–1.4× (64×576×1536 r = 8: 35 against 48 ms), with a packed BF16 B 1.2–1.6×
 * (the head's dX chunk 16×576×49152: 280 against 345 ms; 64×576×1536: 32 against 50 ms). Any
 * shape: loads clamp to the last row and column, stores skip what lies past them.
 *
 * `pairs` (nn, a packed B with N even): lane l owns word-columns instead, the two columns
 * 2(l + 4t) and 2(l + 4t) + 1 of each of its cols/2 words, so the lanes still read neighbouring
 * words and each word is loaded once for both its values. `lowRank` (nn): + s·H·L, H (M, r),
 * L (r, N), LoRA's dX, run as a second k-loop over r.
 */
function columnsEntryPoint(name: string, layout: 'nn' | 'tn', cols: 4 | 8, o: { pairs?: boolean; lowRank?: boolean } = {}): string {
  const J = Array.from({ length: cols }, (_, j) => j);
  const halves = cols === 8 ? ['Lo', 'Hi'] : ['Lo'];
  const words = Array.from({ length: cols / 2 }, (_, t) => t);
  // Value j of a lane: its column, as an offset from col0 (this lane's first column).
  const colOffset = (j: number) => (o.pairs ? 8 * (j >> 1) + (j & 1) : 4 * j);
  const bLoads = (q: string, bName = 'b', scale = '') =>
    o.pairs && bName === 'b'
      ? [
          `      let bW = ${q} * (n >> 1u);`,
          `      ${words.map((t) => `let w${t} = b[bW + bWord${t}];`).join(' ')}`,
          ...halves.map((h, v) => `      let b${h} = vec4f(${[2 * v, 2 * v + 1].map((t) => `halfToF32(w${t} & 0xffffu), halfToF32(w${t} >> 16u)`).join(', ')});`),
        ]
      : [
          `      let bQ = ${q} * n;`,
          ...halves.map((h, v) => `      let b${h} = ${scale}vec4f(${[0, 1, 2, 3].map((j) => `${bName}[bQ + bCol${4 * v + j}]`).join(', ')});`),
        ];
  const fmas = (x: (i: number) => string) =>
    ROWS.map((i) => `      { let x = vec4f(${x(i)}); ${halves.map((h) => `acc${h}${i} = fma(x, b${h}, acc${h}${i});`).join(' ')} }`);
  /** nn's k-loop: A (M, K'): lane l loads A[row i, k0 + l]; step t of the four takes lane t's value. */
  const nnLoop = (aName: string, rowStride: string, count: string, bName: string, scale: string, tag: string) => [
    ...ROWS.map((i) => `  let ${tag}Row${i} = min(row0 + ${i}u, m - 1u) * ${rowStride};`),
    '  {',
    '  var k0 = 0u;',
    `  for (; k0 + 4u <= ${count}; k0 += 4u) {`,
    `    ${ROWS.map((i) => `let a${i} = ${aName}[${tag}Row${i} + k0 + lane];`).join(' ')}`,
    ...[0, 1, 2, 3].flatMap((t) => ['    {', ...bLoads(`(k0 + ${t}u)`, bName, scale), ...fmas((i) => `quadBroadcast(a${i}, ${t}u)`), '    }']),
    '  }',
    `  if (k0 < ${count}) {  // the last 1–3 steps (the count is uniform: every lane takes the same branches)`,
    `    let kLast = min(k0 + lane, ${count} - 1u);`,
    `    ${ROWS.map((i) => `let a${i} = ${aName}[${tag}Row${i} + kLast];`).join(' ')}`,
    ...[0, 1, 2].flatMap((t) => [`    if (k0 + ${t}u < ${count}) {`, ...bLoads(`(k0 + ${t}u)`, bName, scale), ...fmas((i) => `quadBroadcast(a${i}, ${t}u)`), '    }']),
    '  }',
    '  }',
  ];
  const body =
    layout === 'tn'
      ? [
          // A (K, M): rows row0 .. row0 + 3 in one load, row0 + 4 .. row0 + 7 in the other. Two
          // steps of k an iteration (5–10 % faster than one, timed alternately at 512³ and 1024³).
          '  let aLo = min(row0 + lane, m - 1u);',
          '  let aHi = min(row0 + 4u + lane, m - 1u);',
          '  var q = 0u;',
          '  for (; q + 1u < k; q += 2u) {',
          '    let aQ = q * m;',
          '    let lo0 = a[aQ + aLo]; let hi0 = a[aQ + aHi]; let lo1 = a[aQ + m + aLo]; let hi1 = a[aQ + m + aHi];',
          ...[0, 1].flatMap((t) => ['    {', ...bLoads(`(q + ${t}u)`), ...fmas((i) => `quadBroadcast(${i < 4 ? 'lo' : 'hi'}${t}, ${i % 4}u)`), '    }']),
          '  }',
          '  if (q < k) {  // K odd: the last step',
          '    let aQ = q * m;',
          '    let lo0 = a[aQ + aLo]; let hi0 = a[aQ + aHi];',
          '    {',
          ...bLoads('q'),
          ...fmas((i) => `quadBroadcast(${i < 4 ? 'lo' : 'hi'}0, ${i % 4}u)`),
          '    }',
          '  }',
        ]
      : nnLoop('a', 'k', 'k', 'b', '', 'a');
  return [
    ...entryHeader(name),
    `  let col0 = (wid.x * kWgX + quad % kWgX) * ${4 * cols}u + ${o.pairs ? '2u * lane' : 'lane'};  // this lane's first column (see colOffset for the others)`,
    ...(o.pairs
      ? words.map((t) => `  let bWord${t} = min((col0 >> 1u) + ${4 * t}u, (n >> 1u) - 1u);`)
      : J.map((j) => `  let bCol${j} = min(col0 + ${colOffset(j)}u, n - 1u);`)),
    ...ROWS.map((i) => `  ${halves.map((h) => `var acc${h}${i} = vec4f();`).join(' ')}`),
    ...body,
    ...ROWS.map((i) => `  ${halves.map((h) => `acc${h}${i} *= params.alpha;`).join(' ')}`),
    ...(o.lowRank
      ? [
          '  // + s·H·L: the rank-r pair, a second k-loop over r (H (M, r) in lowA, L (r, N) in lowB).',
          '  let r = params.r;',
          ...nnLoop('lowA', 'r', 'r', 'lowB', 'params.lowRankScale * ', 'h'),
        ]
      : []),
    ...ROWS.flatMap((i) => [
      `  if (row0 + ${i}u < m) {`,
      `    let start = (row0 + ${i}u) * n + col0;`,
      ...J.map((j) => `    if (col0 + ${colOffset(j)}u < n) { storeOne(start + ${colOffset(j)}u, acc${halves[j >> 2]}${i}.${'xyzw'[j % 4]}); }`),
      '  }',
    ]),
    '}',
  ].join('\n');
}

const header = (packedCommon: string | null) => `
enable subgroups;
${packedCommon ?? ''}
${MATMUL_PARAMS_WGSL}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;     // (M, K); tn: (K, M)
${packedCommon !== null
    ? `@group(0) @binding(2) var<storage, read> b: array<u32>;     // packed 16-bit (packed_common.wgsl): nt (N, K); nn (K, N)
fn bAt(e: u32) -> f32 { return halfToF32(halfOf(b[e >> 1u], e)); }`
    : '@group(0) @binding(2) var<storage, read> b: array<f32>;     // nt: (N, K); nn, tn: (K, N)'}
@group(0) @binding(3) var<storage, read_write> c: array<f32>;  // (M, N)
@group(0) @binding(4) var<storage, read> lowA: array<f32>;  // H (M, r)
@group(0) @binding(5) var<storage, read> lowB: array<f32>;  // L: nt (N, r); nn (r, N)

override kWgX: u32 = 4;  // quads along N (8 columns each; 16 or 32 in the columns entry points); kWgX · kWgY = 16
override kWgY: u32 = 4;  // quads along M (8 rows each)

// Row \`row\` of the block: columns col0 .. col0 + 3 in lo, col0 + 4 .. col0 + 7 in hi. Written
// out column by column: a local array indexed in a loop stays in memory on SwiftShader.
fn storeRow(row: u32, col0: u32, lo: vec4f, hi: vec4f) {
  if (row >= params.m || col0 >= params.n) { return; }  // a block past the edge: computed, not written
  let start = row * params.n + col0;
  let cols = params.n - col0;
${[0, 1, 2, 3, 4, 5, 6, 7].map((j) => `  if (${j}u < cols) { storeOne(start + ${j}u, ${j < 4 ? 'lo' : 'hi'}.${'xyzw'[j % 4]}); }`).join('\n')}
}

fn storeOne(index: u32, value: f32) {
  var v = value;
  if (params.beta != 0.0) { v = fma(params.beta, c[index], v); }
  c[index] = v;
}
`;

export const MATMUL_QUAD_WGSL = [
  `// matmul quad: generated by src/gpu/kernels/matmul-quad-source.ts (see there for the layouts).`,
  header(null),
  entryPoint('nt', 'nt', false),
  entryPoint('ntLowRank', 'nt', true),
  entryPoint('nn', 'nn', false),
  entryPoint('nnLowRank', 'nn', true),
  entryPoint('tn', 'tn', false),
  columnsEntryPoint('nnColumns', 'nn', 4),
  columnsEntryPoint('nnColumnsLowRank', 'nn', 4, { lowRank: true }),
  columnsEntryPoint('tnColumns', 'tn', 8),
  '',
].join('\n');

/**
 * nt and nn with B a packed frozen weight (BF16/F16, two per u32), each value widened as it is loaded;
 * `packedCommon` (shaders/packed_common.wgsl) goes after the enable directive, which must come first.
 */
export function matmulQuadPackedWgsl(packedCommon: string): string {
  return [
    `// matmul quad, packed B: generated by src/gpu/kernels/matmul-quad-source.ts (see there for the layout).`,
    header(packedCommon),
    entryPoint('nt', 'nt', false, true),
    entryPoint('ntPairs', 'nt', false, true, true),
    entryPoint('nn', 'nn', false, true),
    entryPoint('nnPairs', 'nn', false, true, true),
    columnsEntryPoint('nnColumnsPairs', 'nn', 4, { pairs: true }),
    '',
  ].join('\n');
}

/** Invocations in one workgroup of the quad kernel: 16 quads. */
export const QUAD_WORKGROUP = 64;
