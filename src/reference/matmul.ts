// CPU reference for shaders/matmul.wgsl, accumulating in float64. This is the specification.

export interface MatmulReferenceArgs {
  a: ArrayLike<number>; // (M, K), or (K, M) with transA
  b: ArrayLike<number>; // (K, N), or (N, K) with transB
  c?: ArrayLike<number>; // (M, N), read when beta ≠ 0
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
}

/** C = alpha · op(A) · op(B) + beta · C, returned as a new (M, N) float64 array. */
export function matmulReference(args: MatmulReferenceArgs): Float64Array {
  const { a, b, c, m, n, k, transA = false, transB = false, alpha = 1, beta = 0 } = args;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        const bv = transB ? b[j * k + p] : b[p * n + j];
        sum += av * bv;
      }
      const prior = beta !== 0 && c ? beta * c[i * n + j] : 0;
      out[i * n + j] = alpha * sum + prior;
    }
  }
  return out;
}
