// WGSL sources by kernel family. Vite (and vitest) inline them with `?raw`; the Node CLI gets
// the same through bin/wgsl-loader.mjs. The block-8 and quad matmuls and the quad attention are
// written out by generators (their 8×8 blocks unrolled), so their sources come from TypeScript,
// as do the shared-input LoRA kernels (one module per member count: WGSL cannot index bindings). A family's module
// is compiled when first used: the quad one (which enables subgroups) only where the device has them.
import { MATMUL_BLOCK8_PACKED_WGSL, MATMUL_BLOCK8_WGSL } from './kernels/matmul-block8-source.ts';
import { MATMUL_QUAD_WGSL, matmulQuadPackedWgsl } from './kernels/matmul-quad-source.ts';
import { attentionQuadWgsl } from './kernels/attention-quad-source.ts';
import { loraGroupWgsl } from './kernels/lora-group-source.ts';
import adamw from '../../shaders/adamw.wgsl?raw';
import attention from '../../shaders/attention.wgsl?raw';
import attentionCommon from '../../shaders/attention_common.wgsl?raw';
import bias from '../../shaders/bias.wgsl?raw';
import crossEntropy from '../../shaders/cross_entropy.wgsl?raw';
import dora from '../../shaders/dora.wgsl?raw';
import elementwise from '../../shaders/elementwise.wgsl?raw';
import embedding from '../../shaders/embedding.wgsl?raw';
import fingerprint from '../../shaders/fingerprint.wgsl?raw';
import keepFinite from '../../shaders/keep_finite.wgsl?raw';
import matmul from '../../shaders/matmul.wgsl?raw';
import matmulVec4 from '../../shaders/matmul_vec4.wgsl?raw';
import merge from '../../shaders/merge.wgsl?raw';
import mergePacked from '../../shaders/merge_packed.wgsl?raw';
import embeddingPacked from '../../shaders/embedding_packed.wgsl?raw';
import packedCommon from '../../shaders/packed_common.wgsl?raw';
import mix32 from '../../shaders/mix32.wgsl?raw';
import reduce from '../../shaders/reduce.wgsl?raw';
import rmsnorm from '../../shaders/rmsnorm.wgsl?raw';
import rope from '../../shaders/rope.wgsl?raw';
import sgd from '../../shaders/sgd.wgsl?raw';
import stepGuard from '../../shaders/step_guard.wgsl?raw';
import swiglu from '../../shaders/swiglu.wgsl?raw';

// WGSL has no includes: kernels that hash get the shared mixer prepended, the attention kernels
// their shared uniforms and bindings, the packed-weight kernels their 16-bit conversions.
export const SHADERS = {
  adamw, attention: attentionCommon + attention, attentionQuad: attentionQuadWgsl(attentionCommon), bias, crossEntropy, dora, elementwise: mix32 + elementwise, embedding, fingerprint: mix32 + fingerprint, keepFinite,
  loraGroup2: loraGroupWgsl(2), loraGroup3: loraGroupWgsl(3),
  matmul, matmulVec4, matmulBlock8: MATMUL_BLOCK8_WGSL, matmulQuad: MATMUL_QUAD_WGSL, merge,
  matmulBlock8Packed: packedCommon + MATMUL_BLOCK8_PACKED_WGSL, matmulQuadPacked: matmulQuadPackedWgsl(packedCommon), embeddingPacked: packedCommon + embeddingPacked, mergePacked: packedCommon + mergePacked, reduce, rmsnorm, rope, sgd, stepGuard, swiglu,
} as const;
export type KernelFamily = keyof typeof SHADERS;
