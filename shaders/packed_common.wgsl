// packed_common.wgsl — frozen weights kept in their checkpoint precision: 16-bit values packed
// two per u32 (element e in word e >> 1, the low half first: safetensors' little-endian bytes
// as they are). Prepended to every packed-weight kernel. BF16 widens by shifting into the high
// half; F16 is decoded by hand (subnormals included, exactly), so no shader-f16 is needed.
// Narrowing rounds to nearest even, as torch does. CPU twin: src/util/half-float.ts.

override kFormat: u32 = 0u; // 0: bf16, 1: f16

fn halfToF32(h: u32) -> f32 {
  if (kFormat == 0u) { return bitcast<f32>(h << 16u); }
  let sign = (h & 0x8000u) << 16u;
  let exp = (h >> 10u) & 0x1fu;
  let mant = h & 0x3ffu;
  if (exp == 0u) {
    let magnitude = f32(mant) * 5.9604644775390625e-8; // mant · 2^-24, exact
    return select(magnitude, -magnitude, sign != 0u);
  }
  if (exp == 31u) { return bitcast<f32>(sign | 0x7f800000u | (mant << 13u)); }
  return bitcast<f32>(sign | ((exp + 112u) << 23u) | (mant << 13u));
}

fn f32ToHalf(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if (kFormat == 0u) {
    if ((b & 0x7fffffffu) > 0x7f800000u) { return ((b >> 16u) | 0x40u) & 0xffffu; } // NaN stays NaN
    return ((b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u) & 0xffffu;
  }
  let sign = (b >> 16u) & 0x8000u;
  let exp = i32((b >> 23u) & 0xffu);
  var mant = b & 0x7fffffu;
  if (exp == 255) { return sign | 0x7c00u | select(0u, 0x200u, mant != 0u); }
  let e = exp - 112; // f16's biased exponent
  if (e >= 31) { return sign | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return sign; }
    mant = mant | 0x800000u;
    let shift = u32(14 - e);
    var half = mant >> shift;
    let rem = mant & ((1u << shift) - 1u);
    let mid = 1u << (shift - 1u);
    if (rem > mid || (rem == mid && (half & 1u) == 1u)) { half += 1u; }
    return sign | half;
  }
  var half = (u32(e) << 10u) | (mant >> 13u);
  let rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u) == 1u)) { half += 1u; }
  return sign | half;
}

/** The 16 bits of element e from a packed word. */
fn halfOf(word: u32, e: u32) -> u32 {
  return select(word & 0xffffu, word >> 16u, (e & 1u) == 1u);
}
