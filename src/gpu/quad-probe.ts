// Whether the quad matmul (kernels/matmul-quad-source.ts) may run on this device: it needs
// subgroups, and a quad's four invocations must be four consecutive local invocations of a
// 64-wide workgroup (li >> 2 equal), which WebGPU does not promise. One small dispatch checks it
// when the device is acquired; anything else (no feature, an error, a mismatch) means no.

const PROBE_WGSL = `
enable subgroups;
@group(0) @binding(0) var<storage, read_write> verdicts: array<u32>;  // (4 workgroups · 64)

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u) {
  let quad = li >> 2u;
  // Each broadcast on its own line: behind a short-circuit it would not be in uniform control flow.
  let lanes = vec4u(quadBroadcast(quad, 0u), quadBroadcast(quad, 1u), quadBroadcast(quad, 2u), quadBroadcast(quad, 3u));
  let sameQuad = all(lanes == vec4u(quad));
  verdicts[wid.x * 64u + li] = select(0u, 1u, sameQuad);
}
`;

const WORKGROUPS = 4;

export async function probeQuadLayout(device: GPUDevice, hasSubgroups: boolean): Promise<boolean> {
  if (!hasSubgroups) return false;
  const count = WORKGROUPS * 64;
  device.pushErrorScope('validation');
  const verdicts = device.createBuffer({ label: 'quad-probe', size: count * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const staging = device.createBuffer({ label: 'quad-probe.read', size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const module = device.createShaderModule({ label: 'quad-probe', code: PROBE_WGSL });
    const pipeline = await device.createComputePipelineAsync({ label: 'quad-probe', layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: verdicts } }] });
    const encoder = device.createCommandEncoder({ label: 'quad-probe' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(WORKGROUPS);
    pass.end();
    encoder.copyBufferToBuffer(verdicts, 0, staging, 0, count * 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const ok = new Uint32Array(staging.getMappedRange()).every((v) => v === 1);
    staging.unmap();
    return ok;
  } catch {
    return false;
  } finally {
    const error = await device.popErrorScope();
    if (error) console.warn(`[webgpu] quad probe failed, the quad matmul stays off: ${error.message}`);
    verdicts.destroy();
    staging.destroy();
  }
}
