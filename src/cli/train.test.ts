// `lora-playground train` through the real bin: JSON per step, adapter and merged files on
// disk in the formats PEFT and transformers read, one-line errors for bad flags.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '../io/safetensors.ts';

const BIN = fileURLToPath(new URL('../../bin/lora-playground.mjs', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('lora-playground train', () => {
  it('trains the low-rank teacher, printing JSON per step, and writes adapter + merged weights', () => {
    const out = mkdtempSync(join(tmpdir(), 'lora-train-'));
    const r = run(['train', '--task', 'low-rank-teacher', '--dim', '16', '--true-rank', '2', '--rank', '2', '--alpha', '4', '--steps', '3', '--seed', '5', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const steps = lines.filter((l) => 'step' in l);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    for (const s of steps) {
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(s.base_grad).toEqual({ 'student.base_layer.weight': null });
      expect(Object.keys(s.grad_norms)).toEqual(['student.lora_A.weight', 'student.lora_B.weight']);
    }
    const adapter = parseSafetensors(readFileSync(join(out, 'adapter/adapter_model.safetensors')));
    expect(adapter.metadata).toEqual({ format: 'pt' });
    expect(adapter.tensors.map((t) => [t.name, t.shape])).toEqual([
      ['base_model.model.layer.lora_A.weight', [2, 16]],
      ['base_model.model.layer.lora_B.weight', [16, 2]],
    ]);
    const config = JSON.parse(readFileSync(join(out, 'adapter/adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 2, lora_alpha: 4, target_modules: ['layer'], use_dora: false, bias: 'none' });
    const merged = parseSafetensors(readFileSync(join(out, 'merged/model.safetensors')));
    expect(merged.tensors.map((t) => t.shape)).toEqual([[16, 16]]);
    expect(existsSync(join(out, 'adapter/train_lora.py'))).toBe(false); // no transformers model resumes the teacher's layer
  });

  it('writes the merged model in F16 on request (tiny-lm, the bundled base)', () => {
    const out = mkdtempSync(join(tmpdir(), 'lora-f16-'));
    const r = run(['train', '--task', 'tiny-lm', '--rank', '2', '--targets', 'q_proj', '--steps', '1', '--batch', '2', '--seq-len', '16', '--merged-dtype', 'f16', '--quiet', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const merged = parseSafetensors(readFileSync(join(out, 'merged/model.safetensors')));
    expect(new Set(merged.tensors.map((t) => t.dtype))).toEqual(new Set(['F16']));
    expect(merged.tensors.map((t) => t.name)).toContain('model.layers.1.self_attn.q_proj.weight');
    expect(JSON.parse(readFileSync(join(out, 'merged/config.json'), 'utf8'))).toMatchObject({ model_type: 'llama', torch_dtype: 'float16', architectures: ['LlamaForCausalLM'] });
    const adapter = JSON.parse(readFileSync(join(out, 'adapter/adapter_config.json'), 'utf8'));
    expect(adapter).toMatchObject({ r: 2, target_modules: ['q_proj'], base_model_name_or_path: 'public/models/byte-caps' });
    // Beside the adapter, the script that resumes it with transformers + PEFT (src/io/python-script.test.ts checks its contents).
    const script = readFileSync(join(out, 'adapter/train_lora.py'), 'utf8');
    expect(script).toContain(`BASE_MODEL = ${JSON.stringify(resolve('public/models/byte-caps'))}\n`);
    expect(script).toContain('    target_modules=["q_proj"],\n');
    expect(script).toMatch(/^BATCH = 2 /m);
    expect(readFileSync(join(out, 'adapter/corpus-b-lines.txt'), 'utf8')).toMatch(/^[a-z][A-Z]\n/);
    for (const name of ['accelerate_fsdp.yaml', 'accelerate_deepspeed.yaml']) expect(readFileSync(join(out, 'adapter', name), 'utf8')).toContain('num_processes');
  });

  it('--recompute (activation checkpointing) trains the same loss curve as keeping every activation', () => {
    const args = ['train', '--task', 'tiny-lm', '--rank', '2', '--targets', 'q_proj,v_proj', '--steps', '3', '--batch', '2', '--seq-len', '16', '--seed', '4'];
    const losses = (r: ReturnType<typeof run>) => {
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'step' in l).map((l) => l.loss);
    };
    const plain = losses(run(args));
    expect(plain).toHaveLength(3);
    expect(losses(run([...args, '--recompute']))).toEqual(plain);
  });

  it('same seed, same loss curve', () => {
    const args = ['train', '--task', 'low-rank-teacher', '--dim', '16', '--true-rank', '2', '--rank', '1', '--steps', '3', '--seed', '9'];
    const losses = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'step' in l).map((l) => l.loss);
    expect(losses(run(args).stdout)).toEqual(losses(run(args).stdout));
  });

  it('a diverging run (SGD, lr 10, no clipping) stops with one line and exit 3, leaving the last finite adapter on disk', () => {
    const out = mkdtempSync(join(tmpdir(), 'lora-diverge-'));
    const r = run(['train', '--task', 'low-rank-teacher', '--dim', '64', '--true-rank', '4', '--tokens', '64', '--rank', '4', '--steps', '60',
      '--optimizer', 'sgd', '--lr', '10', '--max-grad-norm', '0', '--quiet', '--out', out]);
    expect(r.status, r.stderr).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const stoppedAt = Number(/training stopped at step (\d+): (the loss is|a gradient is non-finite)/.exec(lines[0])?.[1]);
    expect(stoppedAt).toBeGreaterThan(1);
    expect(stoppedAt).toBeLessThan(60);
    const adapter = parseSafetensors(readFileSync(join(out, 'adapter/adapter_model.safetensors')));
    for (const t of adapter.tensors) expect(adapter.get(t.name).every(Number.isFinite), t.name).toBe(true);
  });

  it.each([
    [['--task', 'low-rank-teacher', '--optimizer', 'adam'], '--optimizer must be adamw or sgd, got adam'],
    [['--task', 'mnist'], '--task must be low-rank-teacher, tiny-lm, text; got mnist'],
    [['--task', 'low-rank-teacher', '--rank', '0'], 'rank must be ≥ 1'],
    [['--task', 'low-rank-teacher', '--lr', 'fast'], "lr must be a number"],
    [['--task', 'low-rank-teacher', '--dim', '8', '--rank', '9'], 'larger than min(in, out) = 8'],
    [['--task', 'tiny-lm', '--targets', 'qkv'], "unknown target module 'qkv'"],
    [['--task', 'low-rank-teacher', '--recompute'], '--recompute (activation checkpointing) applies to the language models'],
    [['--task', 'tiny-lm', '--model', '/nonexistent'], '/nonexistent is not a folder'],
  ])('refuses %j with one line and exit 2', (flags, message) => {
    const r = run(['train', ...flags]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
