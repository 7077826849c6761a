// The bias kernels (shaders/bias.wgsl) against their references, on ragged shapes: rows and
// columns of 1, columns past one workgroup (257, 1000), and enough values to grid-stride.
import { createTensor, readTensor } from '../gpu/buffers.ts';
import { submitDispatches } from '../gpu/dispatch.ts';
import { createBiasAdd, createBiasGrad } from '../gpu/kernels/bias.ts';
import { biasAddReference, biasGradReference } from '../reference/bias.ts';
import { seededRandom, uniformArray } from '../util/random.ts';
import { resultOf, type KernelCheck } from './check.ts';

export function biasChecks(): KernelCheck[] {
  return [[1, 1], [3, 17], [17, 130], [300, 7], [2, 257], [130, 1000]].map(([rows, cols]): KernelCheck => ({
    name: `bias add and grad rows=${rows} cols=${cols}`,
    async run(gpu) {
      const random = seededRandom(rows * 31 + cols);
      const [y, b, dy] = [uniformArray(random, rows * cols), uniformArray(random, cols), uniformArray(random, rows * cols)];
      const ty = await createTensor(gpu, 'check.y', [rows, cols], y);
      const tb = await createTensor(gpu, 'check.b', [cols], b);
      const tdy = await createTensor(gpu, 'check.dy', [rows, cols], dy);
      const tdb = await createTensor(gpu, 'check.db', [cols], new Float32Array(cols).fill(NaN)); // grad overwrites, never reads
      const spec = { label: 'check.bias', rows, cols };
      submitDispatches(gpu, this.name, [await createBiasAdd(gpu, { ...spec, bias: tb, y: ty }), await createBiasGrad(gpu, { ...spec, dy: tdy, dBias: tdb })]);
      return resultOf(this.name, {
        'y+b': { got: await readTensor(gpu, ty), ref: biasAddReference(y, b, rows, cols) },
        'Σ_rows dy': { got: await readTensor(gpu, tdb), ref: biasGradReference(dy, rows, cols) },
      });
    },
  }));
}
