// CPU reference for shaders/bias.wgsl: a linear layer's bias (Qwen2's q/k/v projections).

type Vec = ArrayLike<number>;

/** y + b broadcast over rows: y (rows, cols), b (cols) → (rows, cols). */
export function biasAddReference(y: Vec, b: Vec, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * cols + j] = y[r * cols + j] + b[j];
  return out;
}

/** dL/db = the column sums of dY: dy (rows, cols) → (cols). */
export function biasGradReference(dy: Vec, rows: number, cols: number): Float64Array {
  const db = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) db[j] += dy[r * cols + j];
  return db;
}
