// A 64-bit fingerprint of a buffer's bits, computed on the GPU (shaders/fingerprint.wgsl).
import { createUniformBuffer, readBytes, tensorBytes, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch } from '../dispatch.ts';
import { stridedWorkgroups } from './elementwise.ts';

/** Hex string of two 32-bit lanes; equal strings mean (with overwhelming odds) equal bits. */
export async function fingerprintTensor(gpu: Gpu, tensor: GpuTensor): Promise<string> {
  return (await fingerprintTensors(gpu, [tensor]))[0];
}

/**
 * The fingerprints of many tensors with one readback: each tensor's checksum is its own
 * submission (a 49,152 × 576 embedding takes about a second on SwiftShader), copied into slot i
 * of one buffer that is mapped once. A model's 272 tensors one readback at a time spent most of
 * their time waiting on the round trips.
 */
export async function fingerprintTensors(gpu: Gpu, tensors: readonly GpuTensor[]): Promise<string[]> {
  if (!tensors.length) return [];
  const slots = gpu.device.createBuffer({
    label: 'fingerprints',
    size: 8 * tensors.length, // [tensors, 2] u32 lanes
    usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const temporaries: GPUBuffer[] = [slots];
  try {
    for (const [i, tensor] of tensors.entries()) {
      const words = tensorBytes(tensor) / 4; // a packed tensor: its words, two values each
      const uniforms = createUniformBuffer(gpu, `${tensor.label}.fingerprint.params`, 4);
      gpu.device.queue.writeBuffer(uniforms, 0, new Uint32Array([words]));
      const sums = gpu.device.createBuffer({
        label: `${tensor.label}.fingerprint`,
        size: 8, // [2] u32 lanes, added to atomically
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      temporaries.push(uniforms, sums);
      const dispatch = await createDispatch(gpu, {
        family: 'fingerprint',
        entryPoint: 'main',
        label: `${tensor.label}.fingerprint`,
        bindings: [uniforms, tensor.buffer, sums],
        workgroups: [stridedWorkgroups(words)],
      });
      const encoder = gpu.device.createCommandEncoder({ label: `${tensor.label}.fingerprint` });
      encoder.clearBuffer(sums);
      const pass = encoder.beginComputePass({ label: `${tensor.label}.fingerprint` });
      dispatch.encode(pass);
      pass.end();
      encoder.copyBufferToBuffer(sums, 0, slots, 8 * i, 8);
      gpu.device.queue.submit([encoder.finish()]);
    }
    const lanes = new Uint32Array(await readBytes(gpu, slots, 8 * tensors.length));
    return tensors.map((_, i) => lanes[2 * i].toString(16).padStart(8, '0') + lanes[2 * i + 1].toString(16).padStart(8, '0'));
  } finally {
    for (const b of temporaries) b.destroy();
  }
}
