// mix32.wgsl — lowbias32 (Chris Wellons), an invertible 32-bit mixer. Prepended by
// src/gpu/shaders.ts to the kernels that hash (fingerprint, dropout); its CPU twin is mix32 in
// src/reference/fingerprint.ts, and the two must agree bit for bit.
fn mix32(value: u32) -> u32 {
  var x = value;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}
