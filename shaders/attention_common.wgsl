// attention_common.wgsl — the uniforms, bindings and index helpers both attention kernels share
// (shaders/attention.wgsl and the generated quad one), prepended to each by src/gpu/shaders.ts.
// q, o, dq, do: (batch·seq, heads·D); k, v, dk, dv: (batch·seq, kvHeads·D);
// probs, dScores: (batch, heads, seq, seq), row i valid for j ≤ i (the rest is never read).

struct Params {
  batch: u32,
  seq: u32,
  heads: u32,
  kvHeads: u32,
  headDim: u32,
  scale: f32,  // 1/√D
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> dOut: array<f32>;           // backward only
@group(0) @binding(5) var<storage, read_write> probs: array<f32>;    // written forward, read backward
@group(0) @binding(6) var<storage, read_write> dScores: array<f32>;  // backward scratch
@group(0) @binding(7) var<storage, read_write> out: array<f32>;      // o, or dq
@group(0) @binding(8) var<storage, read_write> out2: array<f32>;     // dk (backwardKeyValue)
@group(0) @binding(9) var<storage, read_write> out3: array<f32>;     // dv (backwardKeyValue)

fn qOffset(b: u32, i: u32, h: u32) -> u32 { return ((b * params.seq + i) * params.heads + h) * params.headDim; }
fn kvOffset(b: u32, j: u32, g: u32) -> u32 { return ((b * params.seq + j) * params.kvHeads + g) * params.headDim; }
fn probOffset(b: u32, h: u32, i: u32) -> u32 { return ((b * params.heads + h) * params.seq + i) * params.seq; }
