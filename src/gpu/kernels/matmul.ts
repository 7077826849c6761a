// matmul: C = alpha · op(A) · op(B) + beta · C. Four implementations of the same contract:
// the quad kernel (matmul-quad-source.ts) for X·Wᵀ, dY·W and dYᵀ·X where the device's subgroups
// allow it (its columns entry points for large dY·W and dYᵀ·X); without it, the block-8 kernel (matmul-block8-source.ts) for dY·W and dYᵀ·X on shapes
// wide enough for its 8×8 blocks, and for X·Wᵀ from 256 on each side;
// shaders/matmul_vec4.wgsl when the shapes allow vec4 loads; shaders/matmul.wgsl otherwise.
// A packed B (a BF16/F16 frozen weight) runs the quad kernel's packed twin where the device runs
// it, else the block-8 kernel's.
import { bindingOf, createUniformBuffer, isPacked, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch, type Dispatch } from '../dispatch.ts';
import { ShapeError } from '../errors.ts';

export interface MatmulSpec {
  label: string;
  c: GpuTensor; // (M, N)
  a: GpuTensor; // (M, K), or (K, M) with transA
  b: GpuTensor; // (K, N), or (N, K) with transB
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  /**
   * Adds a rank-r term in the same pass. With transB (Y = X·Wᵀ + s·H·Bᵀ, LoRA's unmerged
   * forward): h (M, r), b (N, r). Without (dX = dY·W + s·dH·A, LoRA's dX): h (M, r), b (r, N).
   * Never with transA; shapes must pass lowRankFusable.
   */
  lowRank?: { h: GpuTensor; b: GpuTensor; r: number; scale: number };
}

/**
 * Whether op(A)·op(B) (no transA) can take a rank-r term in the same dispatch of the kernel it
 * runs in: the quad kernel takes one for X·Wᵀ and dY·W on any shape; the block-8 kernel one for dX = dY·W
 * on any shape, none for X·Wᵀ (a large X·Wᵀ then runs unfused, its base product in the faster
 * block-8 kernel); the vec4 kernel where K and r (and N without transB) are multiples of 4.
 * `quad`: whether the device runs the quad kernel (gpu.quadKernels).
 */
export function lowRankFusable(s: { m: number; k: number; n: number; r: number; transB: boolean }, variant: MatmulVariant = 'auto', quad = false): boolean {
  if (variant === 'scalar') return false;
  if (variant === 'quadColumns') return quad && !s.transB;
  const family = planMatmul(s, variant, quad).family;
  if (family === 'matmulQuad') return true;
  if (family === 'matmulBlock8') return !s.transB;
  return s.k % 4 === 0 && s.r % 4 === 0 && (s.transB || s.n % 4 === 0);
}

/** 'quad': the quad kernel's k-split entry points; 'quadColumns': its columns ones (dY·W, dYᵀ·X). */
export type MatmulVariant = 'auto' | 'scalar' | 'vec4' | 'block8' | 'quad' | 'quadColumns';

export interface MatmulPlan {
  family: 'matmul' | 'matmulVec4' | 'matmulBlock8' | 'matmulQuad';
  entryPoint: string;
  wgX: number;
  wgY: number;
  /** Columns and rows of C one workgroup covers. */
  tileN: number;
  tileM: number;
}

const nextPow2 = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(1, x)));

/** The vec4 entry point for this layout, or null when the shape is not aligned for it. */
function vec4EntryPoint(s: Pick<MatmulSpec, 'm' | 'n' | 'k' | 'transA' | 'transB'>): string | null {
  const { m, n, k, transA = false, transB = false } = s;
  if (!transA && transB && k % 4 === 0) return 'nt';
  if (!transA && !transB && k % 4 === 0 && n % 4 === 0) return 'nn';
  if (transA && !transB && m % 4 === 0 && n % 4 === 0) return 'tn';
  return null;
}

/** Whether the vec4 kernel computes this shape (its contiguous dimensions are multiples of 4). */
export function vec4Supports(s: Pick<MatmulSpec, 'm' | 'n' | 'k' | 'transA' | 'transB'>): boolean {
  return vec4EntryPoint(s) !== null;
}

/** Whether the quad kernel computes this layout (all but Aᵀ·Bᵀ; the device must also pass the probe). */
export function quadSupports(s: Pick<MatmulSpec, 'transA' | 'transB'>): boolean {
  return !(s.transA && s.transB);
}

/** The quad kernel's entry point for a layout it computes (quadSupports). */
function quadEntryPoint(s: Pick<MatmulSpec, 'transA' | 'transB'>): 'nt' | 'nn' | 'tn' {
  return s.transA ? 'tn' : s.transB ? 'nt' : 'nn';
}

/**
 * 16 quads of 8×8 blocks: a column of them for a C only a rank wide (N ≤ 8; two columns to 16), a
 * row of them for a C at most 8 rows high (LoRA's dA = dHᵀ·X, a generated token), two rows of 8
 * for one at most 16 high (a 16-row chunk of the LM head), else 4×4.
 */
function planQuad(spec: Pick<MatmulSpec, 'm' | 'n' | 'transA' | 'transB'>): MatmulPlan {
  const wgX = spec.n <= 8 ? 1 : spec.n <= 16 ? 2 : spec.m <= 8 ? 16 : spec.m <= 16 ? 8 : 4;
  const wgY = 16 / wgX;
  return { family: 'matmulQuad', entryPoint: quadEntryPoint(spec), wgX, wgY, tileN: 8 * wgX, tileM: 8 * wgY };
}

/** Whether the quad kernel's columns entry points compute this: dY·W (with or without a fused rank-r term) and dYᵀ·X. */
export function quadColumnsSupports(s: Pick<MatmulSpec, 'transA' | 'transB' | 'lowRank'>): boolean {
  return !s.transB && !(s.transA && s.lowRank);
}

/**
 * Where the columns entry points (lanes split C's columns, matmul-quad-source.ts) replace the
 * k-split: dY·W from 9 rows and dYᵀ·X from 64, at least 32 columns wide. Below that the k-split's
 * narrower workgroups fit C better (measured on SwiftShader: dA = dHᵀ·X at 8×576×64 took 0.8 ms
 * in the k-split, 1.1 ms in columns).
 */
function quadColumnsChosen(s: Pick<MatmulSpec, 'm' | 'n' | 'transA' | 'transB' | 'lowRank'>): boolean {
  return quadColumnsSupports(s) && s.n >= 32 && s.m >= (s.transA ? 64 : 9);
}

/**
 * The columns entry points' workgroups: 16 quads of 8 rows. dYᵀ·X: 2×8 quads of 32 columns (64×64 of
 * C). dY·W: quads of 16 columns, as many rows of them as C has (to 8), the rest side by side.
 */
function planQuadColumns(spec: Pick<MatmulSpec, 'm' | 'transA'>): MatmulPlan {
  if (spec.transA) return { family: 'matmulQuad', entryPoint: 'tnColumns', wgX: 2, wgY: 8, tileN: 64, tileM: 64 };
  const wgY = Math.min(8, nextPow2(Math.ceil(spec.m / 8)));
  const wgX = 16 / wgY;
  return { family: 'matmulQuad', entryPoint: 'nnColumns', wgX, wgY, tileN: 16 * wgX, tileM: 8 * wgY };
}

/** Whether the block-8 kernel computes this layout (nn, tn, and nt without transA). */
export function block8Supports(s: Pick<MatmulSpec, 'transA' | 'transB'>): boolean {
  return !(s.transA && s.transB);
}

/**
 * Where the block-8 kernel is chosen: an 8×8 block per invocation pays off once C has at least 32
 * columns (a narrower C, like LoRA's dB = dYᵀ·H with N = r, would leave most of each block idle).
 * On SwiftShader it runs dY·W and dYᵀ·X 2–2.5× faster than the vec4 kernel from 256³ up, and
 * about 2× faster on the bundled model's shapes (M = 512 tokens, N and K of 32–176).
 */
function block8Chosen(s: Pick<MatmulSpec, 'm' | 'n' | 'k' | 'transA' | 'transB'>): boolean {
  if (!block8Supports(s)) return false;
  // nt stages B through workgroup memory: its barriers pay off from 256 on each side (2.8 against
  // 1.5 GFLOP/s at 1024³, slower than the vec4 kernel at 512×64×64).
  if (s.transB) return s.m >= 256 && s.n >= 256 && s.k >= 256;
  return s.n >= 32 && s.m >= 8;
}

function planBlock8(spec: Pick<MatmulSpec, 'm' | 'n' | 'transA' | 'transB'>): MatmulPlan {
  if (spec.transB) return { family: 'matmulBlock8', entryPoint: 'nt', wgX: 8, wgY: 8, tileN: 64, tileM: 64 };
  // Columns are strided by the workgroup's width, so it stays at least 4 wide (SwiftShader's lanes).
  const wgX = spec.n >= 64 ? 8 : 4;
  const wgY = Math.min(8, nextPow2(Math.ceil(spec.m / 8)));
  return { family: 'matmulBlock8', entryPoint: spec.transA ? 'tn' : 'nn', wgX, wgY, tileN: 8 * wgX, tileM: 8 * wgY };
}

/**
 * Chooses the kernel and workgroup shape; `quad`: whether the device runs the quad kernel. LoRA
 * makes one side of C tiny (the rank r); a square tile would leave most invocations idle, so the
 * workgroup narrows to fit r and grows along the long side instead, keeping the same number of
 * invocations.
 */
export function planMatmul(spec: Pick<MatmulSpec, 'm' | 'n' | 'k' | 'transA' | 'transB' | 'lowRank'>, variant: MatmulVariant = 'auto', quad = false): MatmulPlan {
  if ((variant === 'quad' || variant === 'quadColumns') && !quad) throw new ShapeError(`matmul ${variant} needs subgroups whose quads are consecutive invocations, which this device lacks`);
  if (variant === 'quad' && !quadSupports(spec)) throw new ShapeError('matmul quad computes no layout with both transA and transB');
  if (variant === 'quadColumns' && !quadColumnsSupports(spec)) throw new ShapeError('matmul quadColumns computes dY·W (with or without a rank-r term) and dYᵀ·X only');
  if (variant === 'quadColumns' || (variant === 'auto' && quad && quadSupports(spec) && quadColumnsChosen(spec))) return planQuadColumns(spec);
  if (variant === 'quad' || (variant === 'auto' && quad && quadSupports(spec))) return planQuad(spec);
  if (variant === 'block8' && !block8Supports(spec)) throw new ShapeError('matmul block8 computes no layout with both transA and transB');
  if (variant === 'block8' || (variant === 'auto' && block8Chosen(spec))) return planBlock8(spec);
  const entry = variant === 'scalar' ? null : vec4EntryPoint(spec);
  if (variant === 'vec4' && !entry) {
    throw new ShapeError(`matmul vec4 needs aligned shapes; got M=${spec.m} N=${spec.n} K=${spec.k}`);
  }
  const threads = entry ? 64 : 256;
  const side = entry ? 8 : 16;
  // Each invocation owns a 4×4 block of C.
  const blocksN = Math.ceil(spec.n / 4);
  const blocksM = Math.ceil(spec.m / 4);
  let wgX = side;
  let wgY = side;
  if (blocksN < side && blocksN <= blocksM) {
    wgX = nextPow2(blocksN);
    wgY = Math.min(64, threads / wgX);
  } else if (blocksM < side) {
    wgY = nextPow2(blocksM);
    wgX = Math.min(64, threads / wgY);
  }
  return {
    family: entry ? 'matmulVec4' : 'matmul',
    entryPoint: entry ?? 'main',
    wgX,
    wgY,
    tileN: 4 * wgX,
    tileM: 4 * wgY,
  };
}

export async function createMatmul(gpu: Gpu, spec: MatmulSpec, variant: MatmulVariant = 'auto'): Promise<Dispatch> {
  const { m, n, k, transA = false, transB = false, alpha = 1, beta = 0 } = spec;
  for (const [name, size] of Object.entries({ M: m, N: n, K: k })) {
    if (!Number.isInteger(size) || size < 1) throw new ShapeError(`${spec.label}: ${name} must be a positive integer, got ${size}`);
  }
  expectNumel(spec.label, 'A', spec.a, m * k);
  expectNumel(spec.label, 'B', spec.b, k * n);
  expectNumel(spec.label, 'C', spec.c, m * n);

  if (isPacked(spec.b)) return createPackedMatmul(gpu, spec, variant);
  if (isPacked(spec.a) || isPacked(spec.c)) throw new ShapeError(`${spec.label}: only B may be a packed (16-bit) weight`);
  const plan = planMatmul(spec, variant, gpu.quadKernels); // first: a variant that cannot run this names itself
  const low = spec.lowRank;
  if (low) {
    if (transA || !lowRankFusable({ m, k, n, r: low.r, transB }, variant, gpu.quadKernels)) {
      throw new ShapeError(`${spec.label}: a fused low-rank term needs no transA, and K and r (and N without transB) multiples of 4 unless the quad or block-8 kernel runs it; got M=${m} K=${k} N=${n} r=${low.r}`);
    }
    expectNumel(spec.label, 'H', low.h, m * low.r);
    expectNumel(spec.label, 'B', low.b, n * low.r);
  }
  const uniforms = createUniformBuffer(gpu, `${spec.label}.params`, 32);
  const data = new ArrayBuffer(32);
  new Uint32Array(data, 0, 3).set([m, n, k]);
  new Float32Array(data, 12, 2).set([alpha, beta]);
  new Uint32Array(data, 20, 1)[0] = low?.r ?? 0;
  new Float32Array(data, 24, 1)[0] = low?.scale ?? 0;
  gpu.device.queue.writeBuffer(uniforms, 0, data);

  const constants: Record<string, number | boolean> = { kWgX: plan.wgX, kWgY: plan.wgY };
  if (plan.family === 'matmul') Object.assign(constants, { kTransA: transA, kTransB: transB });
  return createDispatch(gpu, {
    family: plan.family,
    entryPoint: low ? `${plan.entryPoint}LowRank` : plan.entryPoint,
    label: spec.label,
    constants,
    bindings: [uniforms, bindingOf(spec.a), bindingOf(spec.b), bindingOf(spec.c), ...(low ? [bindingOf(low.h), bindingOf(low.b)] : [])],
    workgroups: [Math.ceil(n / plan.tileN), Math.ceil(m / plan.tileM)],
    flops: 2 * m * n * (k + (low?.r ?? 0)),
  });
}

/**
 * C = alpha·A·op(W) + beta·C with W packed: the packed twins of the quad kernel (X·Wᵀ and dY·W,
 * where the device runs it) and of the block-8 kernel (both, without the quad kernel), which widen
 * each value of W as they load it. A tiled kernel through workgroup memory ran 5–7× slower than
 * the f32 kernels on SwiftShader.
 * The low-rank term then runs as its own dispatch (LoRALinear checks isPacked before fusing).
 */
async function createPackedMatmul(gpu: Gpu, spec: MatmulSpec, variant: MatmulVariant): Promise<Dispatch> {
  const { m, n, k, transA = false, transB = false, alpha = 1, beta = 0 } = spec;
  if (transA || spec.lowRank) throw new ShapeError(`${spec.label}: a packed weight is read as X·Wᵀ or dY·W only, without a fused low-rank term`);
  if (variant === 'scalar' || variant === 'vec4') throw new ShapeError(`${spec.label}: a packed weight runs in the quad or block-8 kernel, not ${variant}`);
  if ((variant === 'quad' || variant === 'quadColumns') && !gpu.quadKernels) throw new ShapeError(`matmul ${variant} needs subgroups whose quads are consecutive invocations, which this device lacks`);
  if (variant === 'quadColumns' && (transB || n % 2 !== 0)) throw new ShapeError(`${spec.label}: a packed weight runs in quadColumns as dY·W with N even only; got ${transB ? 'X·Wᵀ' : `N=${n}`}`);
  const uniforms = createUniformBuffer(gpu, `${spec.label}.params`, 32);
  const data = new ArrayBuffer(32);
  new Uint32Array(data, 0, 3).set([m, n, k]);
  new Float32Array(data, 12, 2).set([alpha, beta]);
  gpu.device.queue.writeBuffer(uniforms, 0, data);
  const format = spec.b.format === 'f16' ? 1 : 0;
  if (variant === 'quad' || variant === 'quadColumns' || (variant === 'auto' && gpu.quadKernels)) {
    // dY·W with N even runs the columns entry point's word pairs (nnColumnsPairs) where it is
    // chosen; else X·Wᵀ with K even and dY·W with N even read each word of W once for its two
    // values (ntPairs, nnPairs in matmul-quad-source.ts).
    const columns = variant === 'quadColumns' || (variant === 'auto' && !transB && n % 2 === 0 && quadColumnsChosen({ m, n, transA, transB }));
    const plan = columns ? planQuadColumns({ m, transA }) : planQuad({ m, n, transA, transB });
    const entryPoint = columns ? 'nnColumnsPairs' : (plan.entryPoint === 'nt' ? k : n) % 2 === 0 ? `${plan.entryPoint}Pairs` : plan.entryPoint;
    return createDispatch(gpu, {
      family: 'matmulQuadPacked',
      entryPoint,
      label: spec.label,
      constants: { kFormat: format, kWgX: plan.wgX, kWgY: plan.wgY },
      bindings: [uniforms, bindingOf(spec.a), bindingOf(spec.b), bindingOf(spec.c)],
      workgroups: [Math.ceil(n / plan.tileN), Math.ceil(m / plan.tileM)],
      flops: 2 * m * n * k,
    });
  }
  const plan = planBlock8({ m, n, transB });
  return createDispatch(gpu, {
    family: 'matmulBlock8Packed',
    entryPoint: plan.entryPoint,
    label: spec.label,
    constants: { kFormat: format, ...(transB ? {} : { kWgX: plan.wgX, kWgY: plan.wgY }) },
    bindings: [uniforms, bindingOf(spec.a), bindingOf(spec.b), bindingOf(spec.c)],
    workgroups: [Math.ceil(n / plan.tileN), Math.ceil(m / plan.tileM)],
    flops: 2 * m * n * k,
  });
}

export function expectNumel(label: string, name: string, tensor: GpuTensor, numel: number): void {
  if (tensor.numel < numel) {
    throw new ShapeError(`${label}: ${name} (${tensor.label}) holds ${tensor.numel} values, needs ${numel}`);
  }
}
