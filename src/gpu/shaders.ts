// WGSL sources by kernel family. Vite (and vitest) inline them with `?raw`; the Node CLI gets
// the same through bin/wgsl-loader.mjs.
import adamw from '../../shaders/adamw.wgsl?raw';
import elementwise from '../../shaders/elementwise.wgsl?raw';
import fingerprint from '../../shaders/fingerprint.wgsl?raw';
import matmul from '../../shaders/matmul.wgsl?raw';
import matmulVec4 from '../../shaders/matmul_vec4.wgsl?raw';
import merge from '../../shaders/merge.wgsl?raw';
import reduce from '../../shaders/reduce.wgsl?raw';

export const SHADERS = { adamw, elementwise, fingerprint, matmul, matmulVec4, merge, reduce } as const;
export type KernelFamily = keyof typeof SHADERS;
