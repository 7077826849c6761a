// fingerprint.wgsl — a 64-bit checksum of a buffer's bits, to prove a buffer never changed.
//
// Word i contributes mix32(word ^ mix32(i ^ seed)) to each of two 32-bit lanes (two seeds), and
// contributions are added mod 2³². For a fixed i, word → mix32(word ^ c) is a bijection, so
// changing any bits of any one word changes that lane's sum: a single flipped bit is always
// caught, and the position matters (swapping two words changes the sum). Wrapping u32 addition
// is associative and commutative, so the result does not depend on scheduling.

struct Params {
  words: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> sums: array<atomic<u32>, 2>;  // cleared by the caller

const kWorkgroupSize = 256u;
const kSeed0 = 0x9e3779b9u;
const kSeed1 = 0x85ebca6bu;
var<workgroup> scratch: array<vec2u, kWorkgroupSize>;

@compute @workgroup_size(kWorkgroupSize)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  var sum = vec2u(0u, 0u);
  for (var i = id.x; i < params.words; i += groups.x * kWorkgroupSize) {
    let word = data[i];
    sum += vec2u(mix32(word ^ mix32(i ^ kSeed0)), mix32(word ^ mix32(i ^ kSeed1)));  // mix32: mix32.wgsl
  }
  scratch[lid] = sum;
  workgroupBarrier();
  for (var width = kWorkgroupSize / 2u; width > 0u; width /= 2u) {
    if (lid < width) { scratch[lid] += scratch[lid + width]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    atomicAdd(&sums[0], scratch[0].x);
    atomicAdd(&sums[1], scratch[0].y);
  }
}
