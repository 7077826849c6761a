// scripts/make-model.mjs writes model folders that the loader reads: a tiny Qwen2 in BF16 shards
// with an index (names, shapes, q/k/v biases, values that are BF16 and N(0, 0.02)-like, norms at 1),
// an F16 Mistral in one file, and the generated BPE tokenizer of SmolLM2's size (49152 entries,
// its special tokens, every text encodes and decodes back). Runs on the CPU in a few seconds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { folderOpener } from './folder-opener.ts';
import { loadTokenizer } from '../data/tokenizer.ts';
import { llamaParameterShapes } from '../model/config.ts';
import { loadModelFolder } from '../io/model-folder.ts';
import { readFloat32 } from '../io/weight-source.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/make-model.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'make-model-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function make(name: string, args: string[]): string {
  const out = join(root, name);
  const r = spawnSync(process.execPath, [SCRIPT, '--out', out, ...args], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return out;
}

function meanStd(x: Float32Array): [number, number] {
  let sum = 0;
  let sq = 0;
  for (const v of x) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / x.length;
  return [mean, Math.sqrt(sq / x.length - mean * mean)];
}

const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

describe('scripts/make-model.mjs', () => {
  it('writes a tiny Qwen2 as BF16 shards + index that loads with the config’s names and shapes', async () => {
    const dir = make('qwen2', ['--preset', 'tiny-qwen2', '--dtype', 'BF16', '--shard-mb', '0.05', '--seed', '3']);
    const shards = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
    expect(shards.length).toBeGreaterThan(2);
    shards.forEach((f, i) => expect(f).toBe(`model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`));
    expect(readdirSync(dir)).not.toContain('model.safetensors');

    const raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(raw).toMatchObject({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', use_sliding_window: false, sliding_window: 256, max_window_layers: 2, torch_dtype: 'bfloat16' });

    const folder = await loadModelFolder(folderOpener(dir));
    expect(folder.config.model_type).toBe('qwen2');
    expect(folder.dtypes).toEqual(['BF16']);
    expect(folder.files).toEqual(shards);
    const expected = llamaParameterShapes(folder.config);
    expect(expected.get('model.layers.1.self_attn.q_proj.bias')).toEqual([64]);
    expect(expected.get('model.layers.1.self_attn.k_proj.bias')).toEqual([32]);
    expect(expected.get('model.layers.1.self_attn.v_proj.bias')).toEqual([32]);
    expect([...folder.weights.tensors.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, shape] of expected) expect(folder.weights.tensors.get(name)?.shape, name).toEqual(shape);

    // The index: save_pretrained's shape, every tensor once, the total its data's bytes.
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    const names = Object.keys(index.weight_map);
    expect(names).toEqual([...names].sort());
    expect(names.sort()).toEqual([...expected.keys()].sort());
    const numel = [...expected.values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
    expect(index.metadata.total_size).toBe(numel * 2);

    for (const name of expected.keys()) {
      const x = await readFloat32(folder.weights, name);
      expect(bits(x).every((b) => (b & 0xffff) === 0), `${name} holds BF16 values`).toBe(true);
      if (name.endsWith('norm.weight')) {
        expect(x.every((v) => v === 1), name).toBe(true);
      } else {
        const [mean, std] = meanStd(x);
        expect(Math.abs(mean), name).toBeLessThan(0.02 * (4 / Math.sqrt(x.length)) + 1e-3);
        expect(std, name).toBeGreaterThan(0.02 * (x.length >= 1000 ? 0.9 : 0.5));
        expect(std, name).toBeLessThan(0.02 * (x.length >= 1000 ? 1.1 : 1.5));
      }
    }
    expect(folder.tokenizer!.decode(folder.tokenizer!.encode('Qwen2 ä'))).toBe('Qwen2 ä');
  });

  it('writes an untied F16 Mistral in one file, the same seed giving the same values', async () => {
    const dir = make('mistral', ['--preset', 'tiny-mistral', '--dtype', 'F16', '--sliding-window', '128', '--seed', '3']);
    const raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(raw).toMatchObject({ architectures: ['MistralForCausalLM'], model_type: 'mistral', sliding_window: 128, tie_word_embeddings: false, torch_dtype: 'float16' });
    const folder = await loadModelFolder(folderOpener(dir));
    expect(folder.files).toEqual(['model.safetensors']);
    expect(folder.dtypes).toEqual(['F16']);
    expect(folder.weights.tensors.get('lm_head.weight')?.shape).toEqual([256, 64]);
    expect(folder.weights.tensors.has('model.layers.0.self_attn.q_proj.bias')).toBe(false);

    // Each tensor's stream depends on the seed and its name only: a Llama folder's F32 values of
    // the same seed, rounded to F16, are this folder's.
    const f32 = await loadModelFolder(folderOpener(make('llama-f32', ['--seed', '3'])));
    for (const name of ['model.embed_tokens.weight', 'model.layers.1.mlp.down_proj.weight']) {
      const want = await readFloat32(f32.weights, name);
      const got = await readFloat32(folder.weights, name);
      // F16 keeps 11 significant bits: within half an ulp, or half the subnormal step 2^-24.
      const off = want.findIndex((w, i) => !(Math.abs(got[i] - w) <= Math.max(Math.abs(w) * 2 ** -11, 2 ** -25)));
      expect(off, `${name}[${off}]: ${got[off]} for ${want[off]}`).toBe(-1);
      expect(got).not.toEqual(want); // and really rounded
    }
  });

  it('generates a byte-level BPE tokenizer of exactly 49152 entries, like SmolLM2’s, that round-trips any text', () => {
    const dir = make('bpe', ['--vocab', '49152', '--layers', '1']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).vocab_size).toBe(49152);
    const json = readFileSync(join(dir, 'tokenizer.json'), 'utf8');
    const config = readFileSync(join(dir, 'tokenizer_config.json'), 'utf8');
    const parsed = JSON.parse(json);
    const ids = new Set<number>(Object.values(parsed.model.vocab));
    expect(ids.size).toBe(49152);
    expect(Math.min(...ids)).toBe(0);
    expect(Math.max(...ids)).toBe(49151);
    expect(parsed.model.merges.length).toBe(49152 - 256 - 17);
    expect(parsed.added_tokens.slice(0, 3).map((t: { id: number; content: string }) => [t.id, t.content])).toEqual([[0, '<|endoftext|>'], [1, '<|im_start|>'], [2, '<|im_end|>']]);
    expect(JSON.parse(config)).toMatchObject({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>' });

    const tokenizer = loadTokenizer(json, config);
    expect(tokenizer.eosId).toBe(0);
    const texts = [
      'The quick brown fox jumps over the lazy dog.',
      'def f(x):\n    return x  + 12345\n\n',
      'Grüße aus Köln — naïve café, 日本語のテキスト, 🎉👨‍👩‍👧, \u0000\u0001\u007f\ttab',
      '<|im_start|>user\nhi<|im_end|>\n<|endoftext|>',
      "  it's 3.14159  ",
    ];
    for (const text of texts) {
      const encoded = tokenizer.encode(text);
      expect(encoded.every((id) => Number.isInteger(id) && id >= 0 && id < 49152), text).toBe(true);
      expect(tokenizer.decode(encoded)).toBe(text);
    }
    // Merges are used: plain English takes far fewer tokens than bytes.
    expect(tokenizer.encode(texts[0]).length).toBeLessThan(texts[0].length / 1.5);
    expect(tokenizer.encode('<|im_start|>')).toEqual([1]);
  });
});
