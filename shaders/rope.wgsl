// rope.wgsl — rotary position embedding, rotate-half convention (HF Llama), in place:
//   x'[i]      = x[i]·cos θ − x[i + D/2]·sin θ
//   x'[i+D/2]  = x[i+D/2]·cos θ + x[i]·sin θ        θ = pos · rope_theta^(−2i/D)
// The backward is the rotation by −θ (kDirection = −1). cos/sin come from a table computed on
// the host in float64, (seqLen, D/2), so large angles lose no accuracy on the GPU.
// x is (tokens, heads·D) with token t at position t mod seqLen.

struct Params {
  tokens: u32,
  heads: u32,
  headDim: u32,
  seqLen: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cosTable: array<f32>;  // (seqLen, D/2)
@group(0) @binding(2) var<storage, read> sinTable: array<f32>;  // (seqLen, D/2)
@group(0) @binding(3) var<storage, read_write> x: array<f32>;   // (tokens, heads·D)

override kDirection: f32 = 1.0;  // 1 forward, −1 backward
override kWorkgroupSize: u32 = 64;

@compute @workgroup_size(kWorkgroupSize)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let half = params.headDim / 2u;
  let pairs = params.tokens * params.heads * half;
  let index = id.x + id.y * 65535u * kWorkgroupSize;
  if (index >= pairs) { return; }
  let i = index % half;
  let head = (index / half) % params.heads;
  let token = index / (half * params.heads);
  let pos = token % params.seqLen;
  let c = cosTable[pos * half + i];
  let s = kDirection * sinTable[pos * half + i];
  let lo = token * params.heads * params.headDim + head * params.headDim + i;
  let hi = lo + half;
  let a = x[lo];
  let b = x[hi];
  x[lo] = a * c - b * s;
  x[hi] = b * c + a * s;
}
