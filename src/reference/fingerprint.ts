// CPU reference for shaders/fingerprint.wgsl; must agree bit for bit.

const SEED0 = 0x9e3779b9;
const SEED1 = 0x85ebca6b;

/** lowbias32: an invertible 32-bit mixer. */
export function mix32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export function fingerprintReference(data: Float32Array | Uint32Array): string {
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let lane0 = 0;
  let lane1 = 0;
  for (let i = 0; i < words.length; i++) {
    lane0 = (lane0 + mix32(words[i] ^ mix32(i ^ SEED0))) >>> 0;
    lane1 = (lane1 + mix32(words[i] ^ mix32(i ^ SEED1))) >>> 0;
  }
  return lane0.toString(16).padStart(8, '0') + lane1.toString(16).padStart(8, '0');
}
