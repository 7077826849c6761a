// WGSL source of the quad attention (family 'attentionQuad'): the same causal attention and
// backward as shaders/attention.wgsl (the math is there, the layouts in attention_common.wgsl),
// for head dimensions that are multiples of 4, on devices whose subgroup quads are four consecutive invocations
// (gpu/quad-probe.ts). Written out by this generator because WGSL cannot unroll.
//
// One quad of four invocations per row (a query row, or a key row for dK and dV), 16 rows per
// workgroup. Lane l owns dimensions 16c + 4l … 16c + 4l + 3 of chunk c (c < kChunks = ⌈D / 16⌉),
// so the four lanes read 16 neighbouring floats of a vector (vector loads on SwiftShader, 64-byte
// loads on a GPU) and keep their quarter of an output vector in named vec4 registers. A dot
// product (q·k, dO·v) is four partial sums added with two quad swaps. The naive kernel keeps
// each row's whole vector in an array, which SwiftShader keeps in memory. The forward's softmax
// runs online (max and sum in one sweep, as flash attention does), then a second sweep recomputes
// each score for P and P·V; the backward recomputes dP the same way.

/** Chunks of 16 dimensions (4 per lane): D ≤ 16 · MAX_CHUNKS. */
const MAX_CHUNKS = 8;
const CHUNKS = Array.from({ length: MAX_CHUNKS }, (_, c) => c);

/** `body(c)` for every chunk the head dimension reaches (kChunks is a pipeline constant: the rest folds away). */
const perChunk = (body: (c: number) => string) => CHUNKS.map((c) => `  if (kChunks > ${c}u) { ${body(c)} }`).join('\n');

const declare = (name: string) => CHUNKS.map((c) => `var ${name}${c} = vec4f();`).join(' ');

/** The sum over the quad of this lane's partial dot products of chunks: `a_c · b(c)`. */
const quadDot = (a: string, b: (c: number) => string, into: string) =>
  [
    `    var ${into} = 0.0;`,
    perChunk((c) => `${into} += dot(${a}${c}, ${b(c)});`).replace(/^ {2}/gm, '    '),
    `    ${into} += quadSwapX(${into});`,
    `    ${into} += quadSwapY(${into});`,
  ].join('\n');

const header = (common: string) => `
enable subgroups;
// The loops run the same number of times in the four lanes of a quad (one row), but not across
// the quads of a subgroup: the quad swaps are uniform where they need to be, which WGSL's analysis
// cannot see.
diagnostic(off, subgroup_uniformity);

${common}
override kChunks: u32 = 1;  // ⌈D / 16⌉

// Dimension of this lane's first value in chunk c; the lane owns it if it is below D.
fn dimOf(lane: u32, c: u32) -> u32 { return 16u * c + 4u * lane; }

// One loader and one storer per buffer: a shared one would make every entry point use (and its
// 'auto' layout expect) every buffer.
${['q', 'k', 'v', 'dOut'].map((b) => `fn load_${b}(offset: u32, lane: u32, c: u32) -> vec4f {
  let d = dimOf(lane, c);
  if (d >= params.headDim) { return vec4f(); }
  let o = offset + d;
  return vec4f(${b}[o], ${b}[o + 1u], ${b}[o + 2u], ${b}[o + 3u]);
}`).join('\n')}
${['out', 'out2', 'out3'].map((b) => `fn store_${b}(offset: u32, lane: u32, c: u32, value: vec4f) {
  let d = dimOf(lane, c);
  if (d >= params.headDim) { return; }
  let o = offset + d;
  ${b}[o] = value.x; ${b}[o + 1u] = value.y; ${b}[o + 2u] = value.z; ${b}[o + 3u] = value.w;
}`).join('\n')}

struct QueryRow { valid: bool, b: u32, i: u32, g: u32, qo: u32, po: u32 }

// Row \`index\` (clamped to the last one past the end: computed by its quad, never written).
fn queryRow(index: u32) -> QueryRow {
  let rows = params.batch * params.heads * params.seq;
  let r = min(index, rows - 1u);
  let b = r / (params.seq * params.heads);
  let h = (r / params.seq) % params.heads;
  let i = r % params.seq;
  return QueryRow(index < rows, b, i, h / (params.heads / params.kvHeads), qOffset(b, i, h), probOffset(b, h, i));
}
`;

const ENTRY_ARGS = '@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) sid: u32';

// No lane reads what another lane wrote (that would need a barrier): a value every lane needs is
// recomputed (a score, dP), and each probability or dS is written by one lane, j mod 4.

function forward(): string {
  return `
@compute @workgroup_size(64)
fn forward(${ENTRY_ARGS}) {
  let lane = sid & 3u;
  let row = queryRow(wid.x * 16u + (li >> 2u));
  let i = row.i;
  ${declare('q')}
${perChunk((c) => `q${c} = load_q(row.qo, lane, ${c}u);`)}
  // Pass 1: the softmax's max and sum in one sweep (the sum rescaled when the max grows).
  var maxScore = -3.0e38;
  var total = 0.0;
  for (var j = 0u; j <= i; j++) {
    let ko = kvOffset(row.b, j, row.g);
${quadDot('q', (c) => `load_k(ko, lane, ${c}u)`, 's')}
    s *= params.scale;
    let newMax = max(maxScore, s);
    total = fma(total, exp(maxScore - newMax), exp(s - newMax));
    maxScore = newMax;
  }
  // Pass 2: each score again, its probability, and o = Σ_j P_ij v_j.
  ${declare('acc')}
  for (var j = 0u; j <= i; j++) {
    let ko = kvOffset(row.b, j, row.g);
${quadDot('q', (c) => `load_k(ko, lane, ${c}u)`, 's')}
    let p = exp(s * params.scale - maxScore) / total;
    if (lane == j % 4u && row.valid) { probs[row.po + j] = p; }
    let vo = kvOffset(row.b, j, row.g);
${perChunk((c) => `acc${c} = fma(vec4f(p), load_v(vo, lane, ${c}u), acc${c});`).replace(/^ {2}/gm, '    ')}
  }
  if (row.valid) {
${perChunk((c) => `store_out(row.qo, lane, ${c}u, acc${c});`).replace(/^ {2}/gm, '    ')}
  }
}`;
}

function backwardQuery(): string {
  return `
@compute @workgroup_size(64)
fn backwardQuery(${ENTRY_ARGS}) {
  let lane = sid & 3u;
  let row = queryRow(wid.x * 16u + (li >> 2u));
  let i = row.i;
  ${declare('dO')}
${perChunk((c) => `dO${c} = load_dOut(row.qo, lane, ${c}u);`)}
  // Pass 1: δ = Σ_j P_ij dP_ij.
  var delta = 0.0;
  for (var j = 0u; j <= i; j++) {
    let vo = kvOffset(row.b, j, row.g);
${quadDot('dO', (c) => `load_v(vo, lane, ${c}u)`, 'dp')}
    delta = fma(probs[row.po + j], dp, delta);
  }
  // Pass 2: dP again, dS = P·(dP − δ) (kept for the key/value pass), dq = Σ_j dS_ij k_j / √D.
  ${declare('acc')}
  for (var j = 0u; j <= i; j++) {
    let vo = kvOffset(row.b, j, row.g);
${quadDot('dO', (c) => `load_v(vo, lane, ${c}u)`, 'dp')}
    let ds = probs[row.po + j] * (dp - delta);
    if (lane == j % 4u && row.valid) { dScores[row.po + j] = ds; }
    let ko = kvOffset(row.b, j, row.g);
${perChunk((c) => `acc${c} = fma(vec4f(ds), load_k(ko, lane, ${c}u), acc${c});`).replace(/^ {2}/gm, '    ')}
  }
  if (row.valid) {
${perChunk((c) => `store_out(row.qo, lane, ${c}u, acc${c} * params.scale);`).replace(/^ {2}/gm, '    ')}
  }
}`;
}

function backwardKeyValue(): string {
  return `
@compute @workgroup_size(64)
fn backwardKeyValue(${ENTRY_ARGS}) {
  let lane = sid & 3u;
  let rows = params.batch * params.kvHeads * params.seq;
  let index = wid.x * 16u + (li >> 2u);
  if (index >= rows) { return; }  // no quad swaps here: a quad past the end may stop
  let j = index % params.seq;
  let g = (index / params.seq) % params.kvHeads;
  let b = index / (params.seq * params.kvHeads);
  let group = params.heads / params.kvHeads;
  ${declare('dk')}
  ${declare('dv')}
  for (var h = g * group; h < (g + 1u) * group; h++) {
    for (var i = j; i < params.seq; i++) {
      let po = probOffset(b, h, i) + j;
      let ds = dScores[po];
      let p = probs[po];
      let qo = qOffset(b, i, h);
${perChunk((c) => `dk${c} = fma(vec4f(ds), load_q(qo, lane, ${c}u), dk${c}); dv${c} = fma(vec4f(p), load_dOut(qo, lane, ${c}u), dv${c});`).replace(/^ {2}/gm, '      ')}
    }
  }
  let ko = kvOffset(b, j, g);
${perChunk((c) => `store_out2(ko, lane, ${c}u, dk${c} * params.scale); store_out3(ko, lane, ${c}u, dv${c});`)}
}`;
}

/** The module's source; `common` is shaders/attention_common.wgsl (WGSL has no includes). */
export const attentionQuadWgsl = (common: string) => [
  '// attention quad: generated by src/gpu/kernels/attention-quad-source.ts (see there for the layout).',
  header(common),
  forward(),
  backwardQuery(),
  backwardKeyValue(),
  '',
].join('\n');

/** The largest head dimension the quad attention computes (it also needs D to be a multiple of 4). */
export const QUAD_ATTENTION_MAX_HEAD_DIM = 16 * MAX_CHUNKS;
