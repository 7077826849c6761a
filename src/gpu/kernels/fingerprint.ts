// A 64-bit fingerprint of a buffer's bits, computed on the GPU (shaders/fingerprint.wgsl).
import { createUniformBuffer, readBytes, tensorBytes, type GpuTensor } from '../buffers.ts';
import type { Gpu } from '../device.ts';
import { createDispatch } from '../dispatch.ts';
import { stridedWorkgroups } from './elementwise.ts';

/** Hex string of two 32-bit lanes; equal strings mean (with overwhelming odds) equal bits. */
export async function fingerprintTensor(gpu: Gpu, tensor: GpuTensor): Promise<string> {
  const words = tensorBytes(tensor) / 4; // a packed tensor: its words, two values each
  const uniforms = createUniformBuffer(gpu, `${tensor.label}.fingerprint.params`, 4);
  gpu.device.queue.writeBuffer(uniforms, 0, new Uint32Array([words]));
  const sums = gpu.device.createBuffer({
    label: `${tensor.label}.fingerprint`,
    size: 8,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const dispatch = await createDispatch(gpu, {
    family: 'fingerprint',
    entryPoint: 'main',
    label: `${tensor.label}.fingerprint`,
    bindings: [uniforms, tensor.buffer, sums],
    workgroups: [stridedWorkgroups(words)],
  });
  const encoder = gpu.device.createCommandEncoder({ label: `${tensor.label}.fingerprint` });
  encoder.clearBuffer(sums);
  const pass = encoder.beginComputePass();
  dispatch.encode(pass);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  const [lane0, lane1] = new Uint32Array(await readBytes(gpu, sums, 8));
  sums.destroy();
  uniforms.destroy();
  return lane0.toString(16).padStart(8, '0') + lane1.toString(16).padStart(8, '0');
}
