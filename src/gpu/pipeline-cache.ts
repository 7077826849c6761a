// Compute pipelines are expensive to build: one per (kernel family, entry point, constants),
// built once and reused. Shader modules are cached per family.
import { GpuValidationError } from './errors.ts';
import { SHADERS, type KernelFamily } from './shaders.ts';

export type PipelineConstants = Record<string, number | boolean>;

export class PipelineCache {
  private readonly modules = new Map<KernelFamily, GPUShaderModule>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  /** How many pipelines were actually compiled (not served from the cache). */
  compiled = 0;

  constructor(private readonly device: GPUDevice) {}

  get(family: KernelFamily, entryPoint: string, constants: PipelineConstants = {}): Promise<GPUComputePipeline> {
    const key = pipelineKey(family, entryPoint, constants);
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.build(family, entryPoint, constants, key);
      this.pipelines.set(key, pipeline);
      pipeline.catch(() => this.pipelines.delete(key));
    }
    return pipeline;
  }

  private async build(family: KernelFamily, entryPoint: string, constants: PipelineConstants, label: string) {
    const module = this.module(family);
    const numeric: Record<string, number> = {};
    for (const [name, value] of Object.entries(constants)) numeric[name] = Number(value);
    try {
      const pipeline = await this.device.createComputePipelineAsync({
        label,
        layout: 'auto',
        compute: { module, entryPoint, constants: numeric },
      });
      this.compiled++;
      return pipeline;
    } catch (err) {
      const info = await module.getCompilationInfo();
      const messages = info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
      throw new GpuValidationError(`Pipeline ${label} failed: ${(err as Error).message}${messages ? ` [${messages}]` : ''}`);
    }
  }

  private module(family: KernelFamily): GPUShaderModule {
    let module = this.modules.get(family);
    if (!module) {
      module = this.device.createShaderModule({ label: family, code: SHADERS[family] });
      this.modules.set(family, module);
    }
    return module;
  }
}

export function pipelineKey(family: string, entryPoint: string, constants: PipelineConstants): string {
  const sorted = Object.keys(constants).sort().map((k) => `${k}=${Number(constants[k])}`);
  return `${family}.${entryPoint}${sorted.length ? `{${sorted.join(',')}}` : ''}`;
}
