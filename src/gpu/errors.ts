// Typed errors for everything that can go wrong between us and the GPU.
// Each carries a message a person can act on; callers switch on the class, not the text.

export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export type UnavailableReason = 'no-webgpu' | 'no-adapter' | 'device-request-failed';

/** WebGPU cannot be used at all: which step failed, and what the user can do. */
export class WebGpuUnavailableError extends GpuError {
  constructor(readonly reason: UnavailableReason, detail = '') {
    super(unavailableMessage(reason, detail));
  }
}

function unavailableMessage(reason: UnavailableReason, detail: string): string {
  const suffix = detail ? ` (${detail})` : '';
  switch (reason) {
    case 'no-webgpu':
      return 'This browser has no WebGPU (navigator.gpu is missing). Use Chrome or Edge 113+, ' +
        'or Firefox 141+ / Safari 26+ with WebGPU enabled, on a page served over https or localhost.';
    case 'no-adapter':
      return 'WebGPU is present but no GPU adapter was found (requestAdapter() returned null). ' +
        'Update the graphics driver, or enable WebGPU for your GPU in the browser settings' +
        ' (chrome://flags/#enable-unsafe-webgpu on Linux).' + suffix;
    case 'device-request-failed':
      return 'The GPU adapter refused to create a device' + suffix +
        '. Close other tabs using the GPU and reload the page.';
  }
}

/** The device could not allocate a buffer of the requested size. */
export class GpuOutOfMemoryError extends GpuError {}

/** WebGPU rejected a call (bad shader, bad binding, size over a limit...). */
export class GpuValidationError extends GpuError {}

/** A request exceeds one of the device's limits; says which limit and by how much. */
export class GpuLimitError extends GpuError {}

/** Tensor shapes that do not fit together. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}
